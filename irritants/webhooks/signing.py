"""Signing deliveries, as receivers check them (docs/webhooks.md). Pure: standard library only.

``X-Irritants-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``, keyed with the endpoint's secret
(its UTF-8 bytes, ``whsec_`` included). The time is signed with the body, so a captured delivery cannot be replayed
later than the receiver's tolerance (300 s); ``v1`` names the scheme, so a new one can be added beside it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-Irritants-Signature"
EVENT_HEADER = "X-Irritants-Event"
DELIVERY_HEADER = "X-Irritants-Delivery"
TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 - the visible prefix of every secret, not a secret
PREFIX_SHOWN = 10  # characters of a secret the lists show (« whsec_AbCd… »)


def new_secret() -> str:
    """A fresh signing secret (256 bits of randomness), shown once to whoever registered the endpoint."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with ``secret``."""
    signed = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of ``X-Irritants-Signature`` for ``body`` sent at ``timestamp`` (now by default)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={signature(secret, body, t)}"


def verify(
    secret: str, body: bytes, header: str, *, now: float | None = None, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds of ``now`` (what a receiver
    does; several ``v1`` values are accepted, for a receiver that would be sent more than one)."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        t = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = signature(secret, body, t)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))
