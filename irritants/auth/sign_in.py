"""Flask side of password checks outside the sign-in form's own code: the throttle's counters of this request (network,
or a browser trusted by its device cookie) and the change of one's own password, for the page and the API alike."""

from __future__ import annotations

import hmac
import logging
import math
from dataclasses import dataclass

from flask import current_app, request
from flask_login import login_user
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from irritants.auth import services, throttle
from irritants.auth.access import bearer_token, current_agent
from irritants.auth.models import User
from irritants.db import get_session, utcnow
from irritants.logs import security_event
from irritants.people import network_of
from irritants.settings import settings_of

# Signed cookie of a browser that signed in to an address: throttling counts its failures apart (auth/throttle.py).
DEVICE_COOKIE = "agent_device"  # also the signature's salt; the cookie's name over HTTPS: "__Secure-agent_device"
DEVICE_COOKIE_DAYS = 90
WRONG_CURRENT_PASSWORD = "Mot de passe actuel incorrect."  # noqa: S105 - a message, not a secret


def throttle_keys(email: str) -> tuple[str, throttle.Keys]:
    """The address's key and the counters of a password attempt on it from this network or trusted browser."""
    account = throttle.account_key(current_app.config["SECRET_KEY"], email)
    device = _trusted_device(account)
    return account, throttle.keys_for(
        current_app.config["SECRET_KEY"], account, network=network_of(request.remote_addr), device=device
    )


def wait_message(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return (
        "Trop de tentatives de connexion infructueuses avec cette adresse électronique depuis ce réseau ou ce "
        f"navigateur : par sécurité, patientez {minutes} minute{'s' if minutes > 1 else ''} avant de réessayer."
    )


def device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_COOKIE)


def _trusted_device(account: str) -> str | None:
    """The nonce of this browser's device cookie when it signed in to this address before (OWASP device cookies)."""
    raw = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"], "")
    if not raw or len(raw) > 500:
        return None
    try:
        payload = device_serializer().loads(raw, max_age=DEVICE_COOKIE_DAYS * 86400)
    except BadData:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
        return None
    return payload["n"] if hmac.compare_digest(str(payload.get("a", "")), account[:32]) else None


def log_failure(db: Session, email: str, account: str, *, waiting: bool, what: str = "sign-in") -> None:
    """A security line for a refused password: the account's id when the address has one, else only the first
    characters of the address's keyed hash (``account``: repeated tries on one address stand out); never the
    address typed."""
    user = services.find_user(db, email)
    user_id = user.id if user is not None else None
    who = f"agent {user_id}" if user_id is not None else "an address with no account"
    if waiting:
        security_event(
            "auth.password.throttled",
            "password %s refused for %s: it must wait after repeated failures",
            what,
            who,
            level=logging.WARNING,
            agent_id=user_id,
            account=account[:16],
        )
    else:
        security_event(
            "auth.password.failure",
            "password %s failed for %s",
            what,
            who,
            level=logging.WARNING,
            agent_id=user_id,
            account=account[:16],
        )


@dataclass(frozen=True)
class PasswordChange:
    """Outcome of a change of one's own password: done, or field errors with their status (422, 429)."""

    errors: dict[str, list[str]]
    status: int = 204
    retry_after: int | None = None


def change_own_password(user: User, current: str, new: str, confirmation: str | None) -> PasswordChange:
    """Check the form, then the current password through the sign-in throttle; on success set the new one, end
    every other session of the agent (this browser's is signed in again with the new epoch) and commit."""
    config = current_app.config
    db = get_session()
    errors = services.new_password_errors(
        user,
        current,
        new,
        confirmation,
        min_length=config["PASSWORD_MIN_LENGTH"],
        context_words=services.password_context_words(db),
    )
    if errors:
        return PasswordChange(errors, 422)
    account, keys = throttle_keys(user.email)
    attempt = throttle.current_password(db, user, current, keys, settings_of(current_app).login, utcnow())
    if attempt.user is None:
        log_failure(db, user.email, account, waiting=attempt.wait is not None, what="check before a change")
        db.commit()  # the failure is counted
        if attempt.wait is not None:
            seconds = math.ceil(attempt.wait.total_seconds())
            return PasswordChange({"current_password": [wait_message(seconds)]}, 429, seconds)
        return PasswordChange({"current_password": [WRONG_CURRENT_PASSWORD]}, 422)
    services.change_own_password(db, user, new, agent=current_agent())
    db.commit()
    if bearer_token() is None:
        login_user(user)  # the session id now carries the new epoch: this browser stays signed in
    current_app.logger.info("agent %s changed their password", user.id)
    return PasswordChange({})
