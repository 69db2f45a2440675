"""Event: one append-only record per state change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, utcnow


class Event(Base):
    """An audit record; never updated nor deleted by the application."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Who acted, kept readable if the account is deleted: an agent's email, "token:<name>" or "système".
    actor: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    # The irritant the event belongs to, for its timeline (also set for report-level events).
    cluster_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    # What citizens may read about this step on their tracking page (status decisions); ``reason`` never is shown.
    public_note: Mapped[str | None] = mapped_column(Text)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an audit event."""


@event.listens_for(Event, "before_update")
@event.listens_for(Event, "before_delete")
def _refuse_change(_mapper: Any, _connection: Any, target: Event) -> None:
    raise AppendOnlyError(f"audit event {target.id} is append-only")
