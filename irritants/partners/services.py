"""Partners' keys (create, revoke, list, authenticate) and the Open311 tokens of their requests. Never commits."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.db import utcnow
from irritants.errors import NotFoundError, ValidationFailed
from irritants.partners.models import NAME_MAX, Partner, PartnerRequest
from irritants.tokens import hash_token

KEY_PREFIX = "o311_"
KEY_MAX_LENGTH = 100


@dataclass(frozen=True)
class NewPartner:
    """A partner just created and its key, which is never shown again."""

    partner: Partner
    key: str


def create_partner(session: Session, name: str) -> NewPartner:
    """A new partner with a fresh key (256 bits), stored hashed."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationFailed(f"Le nom du partenaire doit faire de 1 à {NAME_MAX} caractères.")
    if session.scalar(select(Partner.id).where(Partner.name == name)) is not None:
        raise ValidationFailed(f"Un partenaire s'appelle déjà « {name} ».")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    partner = Partner(name=name, key_hash=hash_token(key), key_prefix=key[: len(KEY_PREFIX) + 6], created_at=utcnow())
    session.add(partner)
    session.flush()
    return NewPartner(partner, key)


def revoke_partner(session: Session, name: str) -> Partner:
    """Refuse the partner's key from now on (what it sent stays)."""
    partner = session.scalar(select(Partner).where(Partner.name == (name or "").strip()))
    if partner is None:
        raise NotFoundError(f"Aucun partenaire ne s'appelle « {name} ».")
    if partner.revoked_at is None:
        partner.revoked_at = utcnow()
    return partner


def list_partners(session: Session) -> list[Partner]:
    """Every partner, by name."""
    return list(session.scalars(select(Partner).order_by(Partner.name)))


def partner_by_key(session: Session, key: str | None) -> Partner | None:
    """The active partner whose key this is, or None (missing, unknown or revoked key)."""
    if not key or len(key) > KEY_MAX_LENGTH:
        return None
    return session.scalar(select(Partner).where(Partner.key_hash == hash_token(key), Partner.revoked_at.is_(None)))


def token_for(session: Session, partner: Partner, report_id: int) -> str:
    """The Open311 token of a partner's report: the one given before on a replay, else a new one."""
    token = session.scalar(select(PartnerRequest.token).where(PartnerRequest.report_id == report_id))
    if token is not None:
        return token
    token = secrets.token_urlsafe(24)
    session.add(PartnerRequest(token=token, partner_id=partner.id, report_id=report_id, created_at=utcnow()))
    session.flush()
    return token


def report_id_of_token(session: Session, token: str) -> int | None:
    """The report an Open311 token leads to, or None."""
    if not token or len(token) > 40:
        return None
    return session.scalar(select(PartnerRequest.report_id).where(PartnerRequest.token == token))
