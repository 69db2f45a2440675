"""Anti-abuse for the public form without CAPTCHA: honeypot and minimum fill time."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

HONEYPOT_FIELD = "site_web"
_SALT = "irritants.report-form"


@dataclass(frozen=True)
class FormCheck:
    """Result of checking a submitted form token."""

    ok: bool
    nonce: str | None
    reason: str | None = None

    @property
    def reusable(self) -> bool:
        """Genuine and unexpired (if perhaps sent too fast): a re-rendered form carries it on, so the fill time
        counts from the form's first display, not from its last correction."""
        return self.ok or self.reason == "too_fast"


def issue_form_token(secret_key: str) -> str:
    """A signed, timestamped token put in the form when it is displayed; its nonce doubles as idempotency key."""
    return URLSafeTimedSerializer(secret_key, salt=_SALT).dumps({"n": secrets.token_urlsafe(16)})


def check_form_token(
    token: str | None, secret_key: str, *, min_seconds: float, max_seconds: float, now: dt.datetime | None = None
) -> FormCheck:
    """Reject forms sent faster than a person can type, or with a missing, forged or stale token."""
    if not token:
        return FormCheck(False, None, "missing")
    serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
    try:
        payload, issued = serializer.loads(token, max_age=int(max_seconds), return_timestamp=True)
    except SignatureExpired:
        return FormCheck(False, None, "expired")
    except BadSignature:
        return FormCheck(False, None, "invalid")
    nonce = payload.get("n") if isinstance(payload, dict) else None
    elapsed = ((now or dt.datetime.now(dt.UTC)) - issued).total_seconds()
    if elapsed < min_seconds:
        return FormCheck(False, nonce, "too_fast")
    return FormCheck(True, nonce)
