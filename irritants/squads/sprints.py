"""Sprints, backlog items, their links to irritants and the log of every change of an item."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, str_enum, utcnow


class SprintState(enum.StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    CLOSED = "closed"


SPRINT_STATE_LABELS: dict[SprintState, str] = {
    SprintState.PLANNED: "prévu",
    SprintState.ACTIVE: "en cours",
    SprintState.CLOSED: "terminé",
}


class ItemState(enum.StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"


ITEM_STATE_LABELS: dict[ItemState, str] = {
    ItemState.TODO: "à faire",
    ItemState.IN_PROGRESS: "en cours",
    ItemState.DONE: "fait",
}


class Unfinished(enum.StrEnum):
    """Where a closed sprint's unfinished items went."""

    NEXT_SPRINT = "next_sprint"
    BACKLOG = "backlog"


class ItemField(enum.StrEnum):
    """What one row of the change log changed (``created``: the item's first row, its title as new value)."""

    CREATED = "created"
    TITLE = "title"
    DESCRIPTION = "description"
    STATE = "state"
    SPRINT = "sprint"
    POINTS = "points"
    RANK = "rank"
    LINK = "link"  # new value: the irritant's id
    UNLINK = "unlink"  # old value: the irritant's id


class Sprint(Base):
    """A time-box of a squad: numbered per squad, dated, with a goal and its review."""

    __tablename__ = "sprints"
    __table_args__ = (
        UniqueConstraint("squad_id", "number"),
        CheckConstraint("ends_on > starts_on", name="dates"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    squad_id: Mapped[int] = mapped_column(ForeignKey("squads.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    goal: Mapped[str] = mapped_column(Text, default="")
    review_notes: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[SprintState] = mapped_column(str_enum(SprintState, 20), default=SprintState.PLANNED)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Recorded when the sprint is closed: where its unfinished items went.
    unfinished_to: Mapped[Unfinished | None] = mapped_column(str_enum(Unfinished, 20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


class BacklogItem(Base):
    """A user story or task of a squad, in its product backlog (no sprint) or in one of its sprints."""

    __tablename__ = "backlog_items"
    __table_args__ = (
        CheckConstraint("points IS NULL OR points >= 0", name="points"),
        Index("ix_backlog_items_squad_rank", "squad_id", "rank"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    squad_id: Mapped[int] = mapped_column(ForeignKey("squads.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[ItemState] = mapped_column(str_enum(ItemState, 20), default=ItemState.TODO)
    # Order in the squad's product backlog: smaller first, unique within a squad by the services' care.
    rank: Mapped[int] = mapped_column(Integer)
    sprint_id: Mapped[int | None] = mapped_column(ForeignKey("sprints.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Touched by every change, links included, so that each one bumps the version.
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


class BacklogItemCluster(Base):
    """An item works on an irritant; an irritant can be worked by several items, of several squads."""

    __tablename__ = "backlog_item_clusters"

    item_id: Mapped[int] = mapped_column(ForeignKey("backlog_items.id", ondelete="CASCADE"), primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True, index=True)


class BacklogItemChange(Base):
    """One change of an item (who, when, what, old and new values): progress on any past day is replayed from it."""

    __tablename__ = "backlog_item_changes"
    __table_args__ = (Index("ix_backlog_item_changes_item_at", "item_id", "changed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("backlog_items.id", ondelete="CASCADE"))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Who acted, kept readable if the account is deleted (as in the audit log).
    actor: Mapped[str] = mapped_column(String(300))
    field: Mapped[ItemField] = mapped_column(str_enum(ItemField, 20))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
