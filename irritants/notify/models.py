"""Status changes waiting to be told: one row per change of an irritant, composed into messages by the grouping job.

A row names the irritant and the change, never a person: who hears of it is read when the message is composed
(recipients.py), so that an address erased, purged or unsubscribed in the meantime receives nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, str_enum, utcnow
from irritants.status import StatusKind


class PendingNotice(Base):
    """One change of an irritant's status that citizens are told of."""

    __tablename__ = "pending_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    status: Mapped[StatusKind] = mapped_column(str_enum(StatusKind))
    # What citizens read with it: the team's public note, where it was sent (never the agent's internal reason).
    public_note: Mapped[str | None] = mapped_column(Text)
    routed_to: Mapped[str | None] = mapped_column(Text)
    # An irritant's pending changes are told together once its oldest is MAIL_GROUP_MINUTES old (grouping.py).
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
