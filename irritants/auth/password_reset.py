"""« Mot de passe oublié ? »: a single-use, short-lived link mailed to an agent, then a new password.

Why a table of hashed tokens rather than a signed token bound to the password hash: a stored link can be ended
(used, superseded by a new password, counted per address for the rate limit) and expires on the server's clock; only
its SHA-256 is stored, so a copy of the database opens no account. The token itself is never logged nor audited.

Deactivated accounts and ProConnect-only accounts (no password of this service) get no mail: the page answers the
same for every address and says that ProConnect accounts sign in with ProConnect. The caller commits.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from irritants.audit import services as audit
from irritants.auth import passwords, throttle
from irritants.auth.models import LoginThrottle, PasswordReset, User
from irritants.auth.passwords import PASSWORD_MAX_LENGTH, password_problems
from irritants.auth.services import end_sessions, find_user, password_context_words
from irritants.outbox.rendering import absolute_url, render_mail
from irritants.outbox.services import Mail, queue_mail
from irritants.tokens import email_hmac, hash_token

TOPIC = "password_reset"
#: Links mailed to one address per hour at most: more requests are answered alike but send nothing.
MAX_LINKS_PER_HOUR = 3
TOKEN_MAX_LENGTH = 100


def request_reset(session: Session, app: Flask, email: str, *, minutes: int, now: dt.datetime) -> bool:
    """Queue a reset link for the active agent with a password at ``email``; False (nothing queued) otherwise."""
    forget_expired(session, now)
    user = find_user(session, email[:PASSWORD_MAX_LENGTH])
    if user is None or not user.active or user.password_hash is None:
        return False
    recent = session.scalar(
        select(func.count())
        .select_from(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.created_at > now - dt.timedelta(hours=1))
    )
    if (recent or 0) >= MAX_LINKS_PER_HOUR:
        return False
    token = secrets.token_urlsafe(32)
    expires_at = now + dt.timedelta(minutes=minutes)
    session.add(PasswordReset(user_id=user.id, token_hash=hash_token(token), created_at=now, expires_at=expires_at))
    session.flush()
    reset_url = absolute_url("auth.reset_password_page", app=app, token=token)
    text, html = render_mail(
        "password_reset",
        app=app,
        name=user.name,
        reset_url=reset_url,
        minutes=minutes,
        forgot_url=absolute_url("auth.forgot_password", app=app),
    )
    subject = "Choisir un nouveau mot de passe"
    queue_mail(
        session,
        Mail(to=user.email, subject=subject, text=text, html=html),
        topic=TOPIC,
        recipient_key=email_hmac(app.config["SECRET_KEY"], user.email),
    )
    return True


def valid_link(session: Session, token: str, now: dt.datetime) -> PasswordReset | None:
    """The unused, unexpired link of this token whose agent is still active with a password; None otherwise."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    link = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(token)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    user = session.get(User, link.user_id)
    if user is None or not user.active or user.password_hash is None:
        return None
    return link


@dataclass(frozen=True)
class ResetOutcome:
    """The agent whose password was reset, or field errors (the link is then still usable), or neither (dead link)."""

    user: User | None
    errors: dict[str, list[str]]


def reset_password(
    session: Session,
    token: str,
    new: str,
    confirmation: str,
    *,
    min_length: int,
    secret_key: str,
    now: dt.datetime,
) -> ResetOutcome:
    """Set the new password through a valid link: the link and every other of the agent's links end, every session
    ends, the address's sign-in waits are lifted (whoever reads the mailbox proved to own it), audited."""
    link = valid_link(session, token, now)
    if link is None:
        return ResetOutcome(None, {})
    user = session.get(User, link.user_id)
    assert user is not None  # checked by valid_link
    errors: dict[str, list[str]] = {}
    words = password_context_words(session)
    problems = password_problems(new, min_length=min_length, email=user.email, context_words=words) if new else []
    if not new:
        errors["new_password"] = ["Saisissez un nouveau mot de passe."]
    elif problems:
        errors["new_password"] = problems
    elif confirmation != new:
        errors["new_password_confirmation"] = ["Les deux mots de passe saisis sont différents."]
    if errors:
        return ResetOutcome(None, errors)
    # The conditional delete is the claim: of two uses of one link at once, only one finds the row.
    claimed = session.execute(
        delete(PasswordReset)
        .where(PasswordReset.id == link.id, PasswordReset.used_at.is_(None), PasswordReset.expires_at > now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return ResetOutcome(None, {})
    session.execute(
        delete(PasswordReset).where(PasswordReset.user_id == user.id).execution_options(synchronize_session=False)
    )

    user.password_hash = passwords.hash_password(new)
    session.flush()
    end_sessions(session, user)
    account = throttle.account_key(secret_key, user.email)
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == account))
    audit.record(
        session, None, "user.password_reset_by_email", "user", user.id, after={"sessions_ended": True, "by": "email"}
    )
    return ResetOutcome(user, {})


def forget_expired(session: Session, now: dt.datetime) -> int:
    """Delete links expired for a day (kept that long only to count requests per hour); returns how many."""
    stale = delete(PasswordReset).where(PasswordReset.expires_at < now - dt.timedelta(days=1))
    return session.execute(stale.execution_options(synchronize_session=False)).rowcount or 0
