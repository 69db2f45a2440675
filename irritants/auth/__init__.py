"""Agents: accounts, roles, sign-in (local and ProConnect), API tokens and the authorisation policy."""
