"""Agents (authenticated staff) and their personal API tokens. Citizens never have accounts."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    """What an agent does; an agent may hold several roles."""

    PRODUCT_OWNER = "product_owner"
    SQUAD_MEMBER = "squad_member"
    MANAGER = "manager"
    ADMIN = "admin"
    # An agent of one administration (the CAF, a préfecture, the DGFiP…): sees its irritants and answers publicly.
    CORRESPONDANT = "correspondant"


ROLE_LABELS: dict[Role, str] = {
    Role.PRODUCT_OWNER: "Responsable produit",
    Role.SQUAD_MEMBER: "Membre d'une start-up d'État",
    Role.MANAGER: "Pilotage",
    Role.ADMIN: "Administration",
    Role.CORRESPONDANT: "Correspondant d'une administration",
}


class User(Base):
    """An agent. ``session_epoch`` is part of the login session's id: bumping it ends every session."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # None for agents who only sign in with ProConnect.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The administration a correspondant speaks for (required with that role, see accounts.py); None for others.
    administration_id: Mapped[int | None] = mapped_column(ForeignKey("administrations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Since when the account is closed: it is deleted DEACTIVATED_AGENT_RETENTION_DAYS later (auth/retention.py).
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}.{self.session_epoch}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"

    def to_audit(self) -> dict[str, Any]:
        return {"email": self.email, "roles": sorted(self.roles or []), "active": self.active}


class ApiToken(Base):
    """A personal API token: only its SHA-256 is stored; revoked tokens stay for the audit trail."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # First characters of the token, shown in lists so an agent can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(Base):
    """Failed sign-ins counted under a keyed HMAC (of an address and a network or browser, or of an address alone):
    neither the address typed nor the IP is stored. Rows idle for a day are deleted (see auth/throttle.py)."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # "pair" (address × network or trusted browser) or "account" (address × every browser never signed in).
    scope: Mapped[str] = mapped_column(String(10))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PasswordReset(Base):
    """A link to choose a new password, mailed on request: only the SHA-256 of its token is stored (a database leak
    opens no account), it lasts PASSWORD_RESET_MINUTES and is used once (``used_at``); using one ends the others."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
