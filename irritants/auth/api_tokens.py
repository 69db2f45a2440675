"""Agents' personal API tokens: issuing one (its clear value shown once), finding the agent behind one, listing,
revoking, and noting when one was last used. Only a token's SHA-256 is stored."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from irritants.audit import services as audit
from irritants.auth.models import ApiToken, User
from irritants.auth.policy import Agent
from irritants.db import utcnow
from irritants.errors import NotFoundError
from irritants.sanitize import clean_line
from irritants.tokens import hash_token

TOKEN_PREFIX = "irr_"  # noqa: S105 - a marker, not a secret
# Writing last_used_at on every API call would turn each read into a write: once an hour is precise enough.
TOKEN_TOUCH_INTERVAL = dt.timedelta(hours=1)


def create_token(session: Session, user: User, name: str, *, days: int | None = None) -> tuple[ApiToken, str]:
    """A new personal API token; the clear value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=clean_line(name)[:100] or "jeton",
        token_hash=hash_token(raw),  # as tracking tokens: 256-bit random, so a plain SHA-256 is enough
        prefix=raw[:12],
        created_at=now,
        expires_at=now + dt.timedelta(days=days) if days else None,
    )
    session.add(token)
    session.flush()
    return token, raw


def user_for_token(session: Session, raw: str) -> tuple[User, ApiToken] | None:
    """The active agent owning a valid (not revoked, not expired) token, and the token."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    return user, token


def token_state(token: ApiToken, now: dt.datetime | None = None) -> str:
    """State of a token: "active", "expired" or "revoked"."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """An agent's tokens, newest first (revoked ones included: they are part of the record)."""
    stmt = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    return list(session.scalars(stmt))


def issue_token(
    session: Session, user: User, name: str, *, days: int | None, agent: Agent | None = None
) -> tuple[ApiToken, str]:
    """``create_token`` plus its audit event; the clear token is returned once."""
    token, raw = create_token(session, user, name, days=days)
    after = {"name": token.name, "prefix": token.prefix, "user_id": user.id, "expires_at": token.expires_at}
    audit.record(session, agent, "token.create", "token", token.id, after=after)
    return token, raw


def revoke_token(session: Session, token_id: int, *, owner_id: int | None = None, agent: Agent | None = None) -> bool:
    """Revoke a token (audited); False when it was already revoked. With ``owner_id``, only that agent's."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner_id is not None and token.user_id != owner_id):
        raise NotFoundError("Jeton d'API introuvable.")
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    session.flush()
    audit.record(session, agent, "token.revoke", "token", token.id, before={"revoked": False}, after={"revoked": True})
    return True


def revoke_all(session: Session, user_id: int) -> int:
    """Revoke every live token of an agent (the caller records why); how many were revoked."""
    now = utcnow()
    live = session.scalars(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))).all()
    for token in live:
        token.revoked_at = now
    session.flush()
    return len(live)


def token_needs_touch(token: ApiToken, now: dt.datetime | None = None) -> bool:
    """True when ``last_used_at`` is unset or more than an hour old."""
    now = now or utcnow()
    return token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_INTERVAL


def touch_token(session: Session, token_id: int) -> None:
    """Note that a token was used (at most one write an hour, whatever the number of calls)."""
    now = utcnow()
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOKEN_TOUCH_INTERVAL))
        .values(last_used_at=now)
    )
