"""Citizen intake: reports, the public form, the tracking page, submission, anti-abuse."""
