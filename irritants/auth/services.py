"""Agents' accounts and API tokens: lookups, creation, verification (the caller commits)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.auth.models import ApiToken, User
from irritants.auth.policy import Agent
from irritants.db import utcnow
from irritants.squads.models import SquadMember

TOKEN_PREFIX = "irr_"  # noqa: S105 - a marker, not a secret


def normalise_email(email: str) -> str:
    """Emails compared case-insensitively, without surrounding spaces."""
    return email.strip().lower()


def load_session_user(session: Session, session_id: str) -> User | None:
    """The active agent behind a login session id "<user id>.<epoch>"; None once the epoch moved on."""
    user_id, _, epoch = session_id.partition(".")
    if not user_id.isdigit() or not epoch.isdigit():
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    return user


def squads_of(session: Session, user_id: int) -> frozenset[int]:
    """Ids of the squads an agent belongs to."""
    return frozenset(session.scalars(select(SquadMember.squad_id).where(SquadMember.user_id == user_id)))


def agent_for(session: Session, user: User, *, token_name: str | None = None) -> Agent:
    """The policy's view of an agent."""
    label = f"{user.email} (jeton {token_name})" if token_name else user.email
    return Agent(
        user_id=user.id,
        label=label,
        roles=frozenset(user.roles or []),
        squads=squads_of(session, user.id),
        token_name=token_name,
    )


def hash_token(raw: str) -> str:
    """Stored form of an API token (tokens are 256-bit random: a plain SHA-256 is enough)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(session: Session, user: User, name: str, *, days: int | None = None) -> tuple[ApiToken, str]:
    """A new personal API token; the clear value is returned once and never stored."""
    import datetime as dt

    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:100] or "jeton",
        token_hash=hash_token(raw),
        prefix=raw[:12],
        expires_at=utcnow() + dt.timedelta(days=days) if days else None,
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
