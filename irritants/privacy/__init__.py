"""Citizens' personal data over time: the daily purge past retention and the erasure of one citizen on request."""
