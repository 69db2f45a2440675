"""« Ne plus recevoir de messages » : signed unsubscribe tokens, and unsubscribing an address.

A token signs the keyed HMAC of the address (``intake.services.email_hmac``), never the address itself: a link
forwarded or logged tells nothing about whom it belongs to, and it has no expiry (a message read months later
must still unsubscribe). Unsubscribing marks every contact of that address — its reports' and its « moi aussi »'s
— so that no status message is written to it any more (recipients.py skips them); the rows themselves stay until
the purge, as before. Mails to the address not sent yet are dropped.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from irritants.clusters.models import SupportContact
from irritants.intake.models import ReportContact
from irritants.outbox import services as outbox
from irritants.outbox.rendering import absolute_url

if TYPE_CHECKING:
    from flask import Flask

_SALT = "irritants.unsubscribe"
_CONTACTS: tuple[type[ReportContact] | type[SupportContact], ...] = (ReportContact, SupportContact)


def token_for(secret_key: str, email_hmac: str) -> str:
    """The signed token of an address's unsubscribe link."""
    return URLSafeSerializer(secret_key, salt=_SALT).dumps(email_hmac)


def unsubscribe_url(app: Flask, email_hmac: str) -> str:
    """The absolute one-click unsubscribe link of an address, for every message written to it."""
    return absolute_url("unsubscribe.page", app=app, token=token_for(app.config["SECRET_KEY"], email_hmac))


def address_of(secret_key: str, token: str) -> str | None:
    """The email HMAC a token was signed for, or None when it was not signed by this service."""
    try:
        value = URLSafeSerializer(secret_key, salt=_SALT).loads(token)
    except BadData:
        return None
    return value if isinstance(value, str) and len(value) == 64 else None


def is_subscribed(session: Session, email_hmac: str) -> bool:
    """Whether some contact of this address may still be written to."""
    wanted = (exists().where(m.email_hmac == email_hmac, m.unsubscribed_at.is_(None)) for m in _CONTACTS)
    return bool(session.scalar(select(or_(*wanted))))


def unsubscribe(session: Session, email_hmac: str, *, now: dt.datetime) -> int:
    """Mark every contact of this address as wanting no more messages, and drop the mails to it not sent yet;
    returns how many contacts were still subscribed."""
    changed = 0
    for model in _CONTACTS:
        for email in set(session.scalars(select(model.email).where(model.email_hmac == email_hmac))):
            outbox.forget_address(session, email, recipient_key=email_hmac)
        changed += session.execute(
            update(model)
            .where(model.email_hmac == email_hmac, model.unsubscribed_at.is_(None))
            .values(unsubscribed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    return changed
