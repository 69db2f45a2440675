"""Reference tables, loaded by ``irritants load-reference``; never hard-coded in templates."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from irritants.db import Base


class Territory(Base):
    """A French département (INSEE code), with its region."""

    __tablename__ = "territories"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    region_code: Mapped[str] = mapped_column(String(3))
    region_name: Mapped[str] = mapped_column(String(80))


class Administration(Base):
    """A public body citizens deal with (CAF, France Travail, a préfecture…)."""

    __tablename__ = "administrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    acronym: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where an irritant routed to this body (« hors périmètre ») has its reports forwarded; None: not forwarded.
    contact_email: Mapped[str | None] = mapped_column(String(254))

    procedures: Mapped[list[Procedure]] = relationship(
        back_populates="administration", order_by="Procedure.name", cascade="all, delete-orphan"
    )


class Procedure(Base):
    """A démarche done with an administration (e.g. « Demande de RSA » at the CAF)."""

    __tablename__ = "procedures"
    __table_args__ = (UniqueConstraint("administration_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(160))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    administration: Mapped[Administration] = relationship(back_populates="procedures")


class Channel(Base):
    """How the citizen was dealing with the administration (online, phone, counter…)."""

    __tablename__ = "channels"

    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
