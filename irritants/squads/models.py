"""Squad (start-up d'État), its dated phase history and its members."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, str_enum, utcnow
from irritants.squads.phases import SquadPhase


class Squad(Base):
    """An agile team created to remove one irritant."""

    __tablename__ = "squads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    phase: Mapped[SquadPhase] = mapped_column(str_enum(SquadPhase, 20), default=SquadPhase.INVESTIGATION)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Public profile (the page /startups/<slug>, the API): all optional, filled in over the squad's life.
    mission: Mapped[str | None] = mapped_column(Text)
    # Administrations are deactivated, never deleted (reports keep theirs): no ON DELETE, as for irritants.
    administration_id: Mapped[int | None] = mapped_column(ForeignKey("administrations.id"), index=True)
    incubator: Mapped[str | None] = mapped_column(String(120))
    product_url: Mapped[str | None] = mapped_column(String(300))
    repository_url: Mapped[str | None] = mapped_column(String(300))
    stats_url: Mapped[str | None] = mapped_column(String(300))
    # Nullable: squads created before this column existed got their creation time, on every database alike.
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic concurrency, as irritants have it: an edit made on an older version is refused (409).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


class SquadPhaseChange(Base):
    """One entry of a squad's dated phase history: the phase it entered, on which day, why, and who recorded it.

    The squad's ``phase`` column is the newest entry's phase (the service writes both in one transaction).
    """

    __tablename__ = "squad_phase_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    squad_id: Mapped[int] = mapped_column(ForeignKey("squads.id", ondelete="CASCADE"), index=True)
    phase: Mapped[SquadPhase] = mapped_column(str_enum(SquadPhase, 20))
    started_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)  # public; for an abandon, its post-mortem
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_by: Mapped[str] = mapped_column(String(200))  # the agent's label, or « système »; agents only
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SquadMember(Base):
    """An agent's membership of a squad (product owners and squad members belong to squads)."""

    __tablename__ = "squad_members"

    squad_id: Mapped[int] = mapped_column(ForeignKey("squads.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
