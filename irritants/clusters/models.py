"""Cluster (irritant), stored report vectors, « moi aussi » supports and their optional emails, the fitted encoder."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from irritants.db import Base, UTCDateTime, str_enum, utcnow
from irritants.intake.models import ContactColumns
from irritants.status import StatusKind

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "’": "'", "ʼ": "'", "‘": "'"})


def search_fold(text: str | None) -> str:
    """Text as searched: case and accents folded, ligatures spelt out, spaces collapsed (« Préfecture » → prefecture).

    Both sides of a search are folded the same way, in Python, so SQLite and PostgreSQL give the same answers
    without relying on a database collation or extension.
    """
    text = unicodedata.normalize("NFKD", (text or "").casefold().translate(_LIGATURES))
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).split())


def search_text(label: str | None, keywords: Iterable[str] | None) -> str:
    """What the backlog's text search looks in: label and keywords folded, one per line (a query never spans two)."""
    return "\n".join(search_fold(part) for part in (label, *(keywords or [])) if part)


class Cluster(Base):
    """A group of reports about the same blockage: what gets ranked, triaged and fixed."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Label and keywords folded for search (search_text()); kept in step by the events below, never set by hand.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    excerpt_report_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[StatusKind] = mapped_column(str_enum(StatusKind), default=StatusKind.NEW, index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    supporters: Mapped[int] = mapped_column(Integer, default=0)
    people: Mapped[int] = mapped_column(Integer, default=0)
    territories: Mapped[int] = mapped_column(Integer, default=0)
    administrations: Mapped[int] = mapped_column(Integer, default=0)
    main_administration_id: Mapped[int | None] = mapped_column(ForeignKey("administrations.id"), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    score_breakdown: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Mean of the members' unit vectors (float32 bytes); None until the first vector arrives.
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary)
    encoder: Mapped[str | None] = mapped_column(String(40))
    # A product owner's decisions that a re-clustering must respect.
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    label_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"))
    routed_to: Mapped[str | None] = mapped_column(Text)
    squad_id: Mapped[int | None] = mapped_column(ForeignKey("squads.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    fixed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The day the fix was delivered, as its squad declared it (« correctif livré », triage/fixes.py): the last one
    # declared, kept when the irritant is reopened or regresses.
    fixed_on: Mapped[dt.date | None] = mapped_column(Date)
    # When the cluster reached a closed status (fixed, closed, routed, duplicate, spam): contact data retention
    # is counted from here.
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


@event.listens_for(Cluster.label, "set")
def _label_set(cluster: Cluster, value: str | None, _old: Any, _initiator: Any) -> None:
    cluster.search_text = search_text(value, cluster.keywords)


@event.listens_for(Cluster.keywords, "set")
def _keywords_set(cluster: Cluster, value: list[str] | None, _old: Any, _initiator: Any) -> None:
    cluster.search_text = search_text(cluster.label, value)


class ReportVector(Base):
    """A report's text vector, computed once after intake and reused by every re-clustering."""

    __tablename__ = "report_vectors"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    encoder: Mapped[str] = mapped_column(String(40))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Support(Base):
    """« C'est aussi mon cas » : a distinct person saying this happens to them too."""

    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("cluster_id", "person_key"), Index("ix_supports_created", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    # Keyed HMAC of a random browser identifier: counts a person once without knowing who they are.
    person_key: Mapped[str] = mapped_column(String(64))
    territory_code: Mapped[str | None] = mapped_column(ForeignKey("territories.code"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Keyed HMAC of the network it came from (IPv4 address, IPv6 /64), erased after SOURCE_RETENTION_DAYS: fresh
    # browser identifiers from one network count once per irritant.
    source_hash: Mapped[str | None] = mapped_column(String(64))
    # Whether it counts toward the irritant's people (False: an earlier counted support came from the same network).
    counted: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class SupportContact(ContactColumns, Base):
    """Email left with a « moi aussi » to hear how the irritant goes (the columns of ``ReportContact``)."""

    __tablename__ = "support_contacts"

    support_id: Mapped[int] = mapped_column(ForeignKey("supports.id", ondelete="CASCADE"), primary_key=True)


class EncoderMean(Base):
    """The mean of an encoder's report vectors: the centre of the incremental placement's centred rule.

    Set by each batch run (every vector of the encoder), then moved by each placement (a running mean over
    ``count`` vectors); on an empty instance the first placement creates it.
    """

    __tablename__ = "encoder_means"

    encoder: Mapped[str] = mapped_column(String(40), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    count: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EncoderState(Base):
    """A fitted text encoder (TF-IDF fallback), shared by every process that assigns or searches."""

    __tablename__ = "encoder_states"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    fitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
