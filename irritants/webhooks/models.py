"""A squad's webhook endpoints. Their deliveries are outbox messages (kind ``webhook``, ref ``webhook:<id>``), and
each try of a delivery one ``OutboxAttempt``: the delivery log is the outbox's."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, utcnow

URL_MAX = 500


class WebhookEvent(enum.StrEnum):
    """What an endpoint may subscribe to (the ``event`` of a delivery, and its ``X-Irritants-Event`` header)."""

    STATUS_CHANGED = "irritant.status_changed"
    REPORT_ADDED = "irritant.report_added"
    ITEM_STATE_CHANGED = "item.state_changed"


EVENT_LABELS: dict[WebhookEvent, str] = {
    WebhookEvent.STATUS_CHANGED: "Un irritant de l’équipe change de statut",
    WebhookEvent.REPORT_ADDED: "Un signalement rejoint un irritant de l’équipe",
    WebhookEvent.ITEM_STATE_CHANGED: "Un élément du backlog change d’état",
}


class WebhookEndpoint(Base):
    """A URL of a squad's own tool that receives the events it chose, signed with its own secret."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    squad_id: Mapped[int] = mapped_column(ForeignKey("squads.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(URL_MAX))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)  # WebhookEvent values
    # The signing secret, sealed (AES-GCM, key derived from SECRET_KEY: ``sealing.py``): it must be read back to
    # sign each delivery, so it cannot be stored as a one-way hash like API tokens are.
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    secret_prefix: Mapped[str] = mapped_column(String(16))  # shown in lists to tell secrets apart
    secret_rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Why it stopped (« désactivé par … », « 410 Gone … »): the back-office shows it.
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(300))  # the agent's label (kept when the account goes)
