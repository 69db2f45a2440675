"""What agents asked to be told: the daily digest of new irritants of a squad or an administration."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, utcnow


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
