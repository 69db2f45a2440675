"""What waits to be told: status changes (one row per change of an irritant, composed into messages by the grouping
job; a row names the irritant and the change, never a person: who hears of it is read when the message is composed,
recipients.py, so that an address erased, purged or unsubscribed in the meantime receives nothing), and what agents
asked to be told (the daily digest of new irritants of a squad or an administration).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text, UniqueConstraint
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


class DigestSubscription(Base):
    """An agent's subscription to the daily digest of one squad or one administration (exactly one of the two)."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (
        CheckConstraint("(squad_id IS NULL) <> (administration_id IS NULL)", name="one_scope"),
        # NULLs are distinct: each constraint only bites on the rows of its own kind.
        UniqueConstraint("user_id", "squad_id", name="uq_digest_subscriptions_user_squad"),
        UniqueConstraint("user_id", "administration_id", name="uq_digest_subscriptions_user_administration"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    squad_id: Mapped[int | None] = mapped_column(ForeignKey("squads.id", ondelete="CASCADE"), index=True)
    administration_id: Mapped[int | None] = mapped_column(
        ForeignKey("administrations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
