"""Report (signalement) and its purgeable contact data."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from irritants.db import Base, UTCDateTime, str_enum, utcnow
from irritants.referential.models import Administration, Channel, Procedure, Territory
from irritants.status import CITIZEN_STATUS_LABELS, StatusKind


class Severity(enum.StrEnum):
    """How hard the irritant hit the citizen."""

    GENE = "gene"
    PERTE_DE_TEMPS = "perte_de_temps"
    BLOCAGE = "blocage"
    RUPTURE_DE_DROITS = "rupture_de_droits"


SEVERITY_LABELS: dict[Severity, str] = {
    Severity.GENE: "Gêne",
    Severity.PERTE_DE_TEMPS: "Perte de temps",
    Severity.BLOCAGE: "Blocage de ma démarche",
    Severity.RUPTURE_DE_DROITS: "Rupture de droits (aide, revenu, titre…)",
}


class Moderation(enum.StrEnum):
    """Whether a report's (redacted) text may appear on public pages, in the API and exports."""

    PUBLISHED = "published"
    # Personal data was detected, or enough people flagged it: hidden until a moderator decides.
    PENDING = "pending"
    REJECTED = "rejected"


class Source(enum.StrEnum):
    """Where a report came in."""

    WEB = "web"
    API = "api"
    OPEN311 = "open311"  # a partner's client, through Open311 GeoReport v2 (docs/open311.md)
    IMPORT = "import"
    DEMO = "demo"


class Report(Base):
    """One citizen's account of one irritant occurrence; keeps its identity forever."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_created_at_cluster_id", "created_at", "cluster_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    # SHA-256 of the secret tracking token: a database leak does not reveal tracking links.
    tracking_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Random seed from which the tracking token is derived with the app secret (see services).
    token_seed: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    description: Mapped[str] = mapped_column(Text)
    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id"), index=True)
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("procedures.id"), index=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territories.code"), index=True)
    channel_code: Mapped[str] = mapped_column(ForeignKey("channels.code"))
    severity: Mapped[Severity] = mapped_column(str_enum(Severity))
    occurred_on: Mapped[dt.date | None] = mapped_column(Date)
    assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Its irritant's status (« new » while in none), for the tracking page and the API: written only by
    # clusters.report_status.sync_report_statuses (docs/architecture.md, « Statuses »).
    status: Mapped[StatusKind] = mapped_column(str_enum(StatusKind), default=StatusKind.NEW, index=True)
    source: Mapped[Source] = mapped_column(str_enum(Source, 10), default=Source.WEB)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"), index=True)
    # Cosine similarity to the cluster's centroid when it was assigned (None: not yet clustered).
    cluster_confidence: Mapped[float | None] = mapped_column(Float)
    # Lease of the background worker encoding it while it has no cluster (None: nobody's); once expired (the worker
    # died), another worker takes it (irritants/clusters/jobs.py).
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Moved by a product owner: re-clustering keeps it where it was put.
    cluster_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Keyed HMAC identifying the same person across reports and supports (browser id or email), if known.
    person_key: Mapped[str | None] = mapped_column(String(64), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Fingerprint of the request body, to refuse a reused key with a different body.
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    # Stable key of an imported row (file's own id or content hash) so re-imports add nothing.
    external_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    moderation: Mapped[Moderation] = mapped_column(
        str_enum(Moderation, 12), default=Moderation.PUBLISHED, server_default="published", index=True
    )
    # Why it awaits moderation: kinds of personal data detected ("nir", "iban"…) and/or "abuse".
    moderation_reasons: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    abuse_flags: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Passages masked by a moderator: ``description`` is the text as published (each one replaced by « [masqué] »),
    # so nothing that reads it can leak them; the original is kept until the retention period after ``masked_at``
    # ends (purge-personal-data), then deleted.
    original_description: Mapped[str | None] = mapped_column(Text)
    masked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)

    administration: Mapped[Administration] = relationship(lazy="joined")
    procedure: Mapped[Procedure | None] = relationship(lazy="joined")
    territory: Mapped[Territory] = relationship(lazy="joined")
    channel: Mapped[Channel] = relationship(lazy="joined")
    contact: Mapped[ReportContact | None] = relationship(
        back_populates="report", cascade="all, delete-orphan", uselist=False, lazy="select"
    )

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    @property
    def status_label(self) -> str:
        return CITIZEN_STATUS_LABELS[self.status]


class ContactColumns:
    """A follow-up email given with explicit consent (of a report here, of a « moi aussi » in clusters), kept in a
    table of its own so that it can be purged on schedule: never shown, never logged."""

    email: Mapped[str] = mapped_column(String(254))
    # Keyed HMAC of the normalised email: de-duplication, one message per address and erasure without reading addresses.
    email_hmac: Mapped[str] = mapped_column(String(64), index=True)
    consent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    purge_after: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # The person asked for no more messages (unsubscribe link, page or tracking page): nothing more is written to this
    # address from this row; the row itself goes at the purge as before.
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ReportContact(ContactColumns, Base):
    """Follow-up email of a report, kept apart so it can be purged on schedule."""

    __tablename__ = "report_contacts"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)

    report: Mapped[Report] = relationship(back_populates="contact")


class AbuseFlag(Base):
    """« Signaler un contenu abusif » : one per person and report."""

    __tablename__ = "abuse_flags"
    __table_args__ = (UniqueConstraint("report_id", "person_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    person_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # As on supports: the keyed hash of the network (erased after a while), and whether it counts toward hiding.
    source_hash: Mapped[str | None] = mapped_column(String(64))
    counted: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
