"""Signed links for supporters: a « moi aussi » has no tracking token, so its survey link carries its id signed with
the app's secret (salt "survey"): it can neither be guessed nor turned into another support's link."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "survey"


def support_token(secret_key: str, support_id: int) -> str:
    """The signed part of a supporter's link ``/resolu/<token>``."""
    return URLSafeSerializer(secret_key, salt=SALT).dumps(support_id)


def support_id_of(secret_key: str, token: str) -> int | None:
    """The support id a link was signed for, None when the signature does not hold."""
    try:
        value = URLSafeSerializer(secret_key, salt=SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
