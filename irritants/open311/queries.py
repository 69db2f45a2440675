"""``GET requests``: published reports as Open311 service requests, filtered as the specification says.

Only published reports are shown, their text redacted as public pages show it; ``service_request_id`` is the report's
public reference, never a database id. Statuses: the irritant's typed status, ``closed`` for the closed kinds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from irritants.clusters.models import Cluster
from irritants.db import utcnow
from irritants.errors import NotFoundError
from irritants.intake.models import Moderation, Report
from irritants.intake.redaction import redact
from irritants.open311.catalogue import SEPARATOR, Service
from irritants.partners import services as partners
from irritants.referential import cache
from irritants.squads.models import Squad
from irritants.status import CITIZEN_STATUS_LABELS, CLOSED_STATUSES, StatusKind
from irritants.triage import services as triage

SPAN = dt.timedelta(days=90)  # the specification's widest range and default window
MAX_RESULTS = 1000  # the specification's default limit, and the widest page
OPEN_STATUSES = frozenset(StatusKind) - CLOSED_STATUSES
SERVICE_NOTICE = (
    "Signalement enregistré. Il est regroupé avec les signalements qui décrivent le même blocage (un « irritant »), "
    "puis examiné par l'équipe concernée ; son statut et ses étapes sont publiés ici."
)


@dataclass(frozen=True)
class RequestFilters:
    """What ``GET requests`` was asked (already checked by the door)."""

    references: list[str] | None = None
    service_codes: list[str] = field(default_factory=list)
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: list[str] = field(default_factory=list)
    page: int = 1
    page_size: int = MAX_RESULTS


@dataclass(frozen=True)
class Row:
    report: Report
    cluster: Cluster | None
    squad: str | None


def open311_status(status: StatusKind) -> str:
    return "closed" if status in CLOSED_STATUSES else "open"


def window(start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime | None = None) -> tuple[Any, Any]:
    """The range searched: both bounds as given, or the 90 days before ``end``, after ``start``, or up to now."""
    if start is None and end is None:
        end = now or utcnow()
    if start is None:
        start = end - SPAN  # type: ignore[operator]
    if end is None:
        end = start + SPAN
    return start, end


def _service_condition(session: Session, codes: list[str]) -> Any:
    ref = cache.referential(session)
    conditions = []
    for code in codes:
        admin_slug, _, procedure_slug = code.partition(SEPARATOR)
        admin = ref.administrations.get(admin_slug)
        if admin is None:
            continue
        if procedure_slug:
            procedure_id = ref.procedures.get((admin[0], procedure_slug))
            if procedure_id is not None:
                conditions.append(and_(Report.administration_id == admin[0], Report.procedure_id == procedure_id))
        else:
            conditions.append(and_(Report.administration_id == admin[0], Report.procedure_id.is_(None)))
    return or_(*conditions) if conditions else false()


def find_requests(session: Session, filters: RequestFilters, *, now: dt.datetime | None = None) -> list[Row]:
    """Published reports matching the filters, newest first, one page."""
    stmt = (
        select(Report, Cluster, Squad.name)
        .outerjoin(Cluster, Cluster.id == Report.cluster_id)
        .outerjoin(Squad, Squad.id == Cluster.squad_id)
        .where(Report.moderation == Moderation.PUBLISHED)
    )
    if filters.references is not None:
        stmt = stmt.where(Report.reference.in_(filters.references))
    else:
        start, end = window(filters.start, filters.end, now)
        stmt = stmt.where(Report.created_at >= start, Report.created_at <= end)
        if filters.service_codes:
            stmt = stmt.where(_service_condition(session, filters.service_codes))
        if filters.statuses:
            wanted: set[StatusKind] = set()
            for status in filters.statuses:
                wanted |= CLOSED_STATUSES if status == "closed" else OPEN_STATUSES
            stmt = stmt.where(Report.status.in_(sorted(wanted)))
    stmt = (
        stmt.order_by(Report.created_at.desc(), Report.id.desc())
        .offset((filters.page - 1) * filters.page_size)
        .limit(filters.page_size)
    )
    return [Row(report, cluster, squad) for report, cluster, squad in session.execute(stmt).all()]


def request_by_reference(session: Session, reference: str) -> Row:
    """One published report by its public reference, or NotFoundError."""
    rows = find_requests(session, RequestFilters(references=[reference.strip().upper()], page_size=1))
    if not rows:
        raise NotFoundError(f"Aucune demande publiée ne porte la référence « {reference[:40]} ».")
    return rows[0]


def reference_of_token(session: Session, token: str) -> str:
    """The public reference an Open311 token leads to, or NotFoundError."""
    report_id = partners.report_id_of_token(session, token)
    reference = session.scalar(select(Report.reference).where(Report.id == report_id)) if report_id else None
    if reference is None:
        raise NotFoundError("Jeton Open311 inconnu.")
    return reference


def as_open311(session: Session, row: Row, *, extensions: bool = False) -> dict[str, Any]:
    """One service request as ``GET requests`` shows it (and with ``extensions=true``, its irritant and history)."""
    report, cluster = row.report, row.cluster
    service = Service(report.administration, report.procedure)
    updated = report.created_at
    if cluster is not None:
        updated = max(updated, cluster.closed_at or cluster.updated_at or updated)
    out: dict[str, Any] = {
        "service_request_id": report.reference,
        "status": open311_status(report.status),
        "status_notes": CITIZEN_STATUS_LABELS[report.status],
        "service_name": service.name,
        "service_code": service.code,
        "description": redact(report.description),
        "agency_responsible": row.squad,
        "service_notice": SERVICE_NOTICE,
        "requested_datetime": report.created_at,
        "updated_datetime": updated,
        "expected_datetime": None,
        "address": f"{report.territory.name} ({report.territory.code})",
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if extensions:
        out["extended_attributes"] = {"cluster": _cluster(cluster), "departement": report.territory.code}
        steps = sorted(triage.public_steps(session, report), key=lambda step: step.at)
        out["notes"] = [
            {"datetime": step.at, "type": "status", "summary": step.text, "description": step.note} for step in steps
        ]
    return out


def _cluster(cluster: Cluster | None) -> dict[str, Any] | None:
    # An irritant marked spam is not public: its label and figures stay out.
    if cluster is None or cluster.status == StatusKind.SPAM:
        return None
    return {"id": cluster.id, "label": cluster.label, "size": cluster.size, "score": round(cluster.score, 3)}
