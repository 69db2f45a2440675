"""Squad (start-up d'État) and its members."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, str_enum, utcnow


class SquadPhase(enum.StrEnum):
    """Phases of a start-up d'État (beta.gouv.fr)."""

    INVESTIGATION = "investigation"
    CONSTRUCTION = "construction"
    ACCELERATION = "acceleration"
    TRANSFERT = "transfert"
    PERENNISE = "perennise"
    ABANDON = "abandon"


SQUAD_PHASE_LABELS: dict[SquadPhase, str] = {
    SquadPhase.INVESTIGATION: "Investigation",
    SquadPhase.CONSTRUCTION: "Construction",
    SquadPhase.ACCELERATION: "Accélération",
    SquadPhase.TRANSFERT: "Transfert",
    SquadPhase.PERENNISE: "Pérennisé",
    SquadPhase.ABANDON: "Abandon",
}


class Squad(Base):
    """An agile team created to remove one irritant."""

    __tablename__ = "squads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    phase: Mapped[SquadPhase] = mapped_column(str_enum(SquadPhase, 20), default=SquadPhase.INVESTIGATION)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SquadMember(Base):
    """An agent's membership of a squad (product owners and squad members belong to squads)."""

    __tablename__ = "squad_members"

    squad_id: Mapped[int] = mapped_column(ForeignKey("squads.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
