"""Endpoints' signing secrets at rest: sealed with AES-256-GCM under a key derived from SECRET_KEY.

A delivery is signed with the secret itself, so it must be read back (a one-way hash, as for API tokens, cannot
sign). Sealing keeps a copy of the database (a backup, a dump handed to a developer) from signing deliveries on
its own; the endpoint's id is bound in as associated data, so a sealed secret copied onto another row does not
open. Changing SECRET_KEY makes every sealed secret unreadable: deliveries then fail with that reason until each
secret is rotated (docs/webhooks.md).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """The sealed secret does not open with this key (SECRET_KEY changed, or the row was tampered with)."""


def _context(endpoint_id: int) -> bytes:
    return f"irritants webhook endpoint {endpoint_id}".encode("ascii")


def seal(key: bytes, secret: str, *, endpoint_id: int) -> bytes:
    """``secret`` sealed for the endpoint ``endpoint_id`` (a fresh nonce each time)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, secret.encode("utf-8"), _context(endpoint_id))


def unseal(key: bytes, sealed: bytes, *, endpoint_id: int) -> str:
    """The secret ``seal`` sealed; ``SecretUnreadable`` if it does not open."""
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _context(endpoint_id)).decode("utf-8")
    except (InvalidTag, ValueError) as exc:
        raise SecretUnreadable("secret illisible (SECRET_KEY a changé ?) : renouvelez-le") from exc
