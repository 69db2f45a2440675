"""Secrets given out once and stored only as a hash: citizens' tracking tokens, agents' API tokens; and the keyed
hash of an email address that finds a person's rows without reading addresses."""

from __future__ import annotations

import hashlib
import hmac


def hash_token(token: str) -> str:
    """What is stored to find a token's owner without storing the token: a plain SHA-256, enough for 256-bit random
    tokens (a slow password hash would only slow every request)."""
    return hashlib.sha256(token.encode()).hexdigest()


def email_hmac(secret_key: str, email: str) -> str:
    """Keyed HMAC of a normalised email, for de-duplication (and erasure) without reading addresses."""
    key = hashlib.sha256(f"email-hmac:{secret_key}".encode()).digest()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()
