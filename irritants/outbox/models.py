"""The outbox: messages (mails, webhook calls…) queued in the transaction of the decision that causes them, then
delivered by a background job; and each delivery attempt."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, str_enum, utcnow


class Delivery(enum.StrEnum):
    """Where a queued message stands."""

    PENDING = "pending"
    """Waiting for its ``next_attempt_at`` (first send or a retry)."""
    SENDING = "sending"
    """Claimed by a sender until ``claimed_until``; taken again after that if the sender died."""
    SENT = "sent"
    """Accepted by the server (SMTP, webhook endpoint)."""
    DEAD = "dead"
    """Given up: refused for good, or retried up to the transport's cap."""


#: How the commands (``irritants outbox``, ``irritants jobs``) name each state, in French.
DELIVERY_LABELS: dict[Delivery, str] = {
    Delivery.PENDING: "à envoyer",
    Delivery.SENDING: "en cours d'envoi",
    Delivery.SENT: "envoyés",
    Delivery.DEAD: "abandonnés",
}


class OutboxMessage(Base):
    """One message to deliver, at least once, through a registered transport (``kind``)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    topic: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[Delivery] = mapped_column(str_enum(Delivery, 10), default=Delivery.PENDING)
    # What the transport needs (a mail's headers and bodies, a webhook's URL and body): deleted on erasure.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Stable from the queueing on: a resend after a crash carries the same Message-ID (or webhook delivery id).
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    # Keyed HMAC of the normalised recipient address (the one of report_contacts.email_hmac), for erasure.
    recipient_key: Mapped[str | None] = mapped_column(String(64), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    # The feature's own handle on its messages, e.g. "webhook:12".
    ref: Mapped[str | None] = mapped_column(String(100), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Short and technical (an SMTP code and reply, an HTTP status): never personal data.
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxAttempt(Base):
    """One delivery attempt of a message: when, how it went, how long it took."""

    __tablename__ = "outbox_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
