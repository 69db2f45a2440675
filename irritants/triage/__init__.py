"""Triage: product owners' decisions over irritants (workflow, merges and splits, back-office, reply templates)."""
