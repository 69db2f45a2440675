"""Secrets given out once and stored only as a hash: citizens' tracking tokens, agents' API tokens."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    """What is stored to find a token's owner without storing the token: a plain SHA-256, enough for 256-bit random
    tokens (a slow password hash would only slow every request)."""
    return hashlib.sha256(token.encode()).hexdigest()
