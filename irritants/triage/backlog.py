"""Read side of the product owners' backlog: ranked and filtered irritants, and what an irritant page shows.

Shared by the back-office pages and the API; no Flask here, and nothing is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import marshmallow as ma
import numpy as np
from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from irritants.audit.models import Event
from irritants.clusters import engine
from irritants.clusters import services as clusters
from irritants.clusters.models import Cluster, Support
from irritants.clusters.services import PERIODS
from irritants.db import utcnow
from irritants.errors import NotFoundError, ValidationFailed
from irritants.feedback import services as feedback
from irritants.intake.models import SEVERITY_LABELS, Moderation, Report, Severity
from irritants.intake.redaction import redact
from irritants.paging import Page, PageQuerySchema, Sort, ordered, page_size_field, paginate, sort_field
from irritants.ranking import GROWTH_PSEUDOCOUNT
from irritants.referential.models import Administration, Territory
from irritants.settings import ClusteringSettings, FeedbackSettings
from irritants.squads.models import Squad
from irritants.status import StatusKind

# What the backlog may be sorted by (``sort``: a field, or -field for descending); ties: the higher score, then id.
SORT_FIELDS = ("score", "size", "people", "trend", "last_report_at", "updated_at", "id")
# An irritant's reports: by date, or by severity (from « gêne » to « rupture de droits »), then date.
REPORT_SORTS = ("created_at", "severity")
_SEVERITY_RANK = case({severity: rank for rank, severity in enumerate(Severity)}, value=Report.severity)
# The back-office's choices (the API takes any of SORT_FIELDS, either way).
SORTS: dict[str, str] = {
    "-score": "Score (du plus élevé au plus faible)",
    "-size": "Nombre de signalements",
    "-trend": "Dynamique (hausse sur 30 jours)",
    "-last_report_at": "Signalement le plus récent",
}
# The sort values before the one rule of every list (each meant « highest first »): still understood, and announced
# as deprecated by the API until their sunset (docs/api.md).
LEGACY_SORTS: dict[str, str] = {"score": "-score", "size": "-size", "trend": "-trend", "recent": "-last_report_at"}
PERIOD_LABELS: dict[str, str] = {
    "7j": "7 derniers jours",
    "30j": "30 derniers jours",
    "90j": "3 derniers mois",
    "365j": "12 derniers mois",
}
PAGE_SIZES = (10, 25, 50, 100)  # offered by the back-office select
NO_SQUAD = "none"
# Merged and spam irritants leave the backlog; filtering on their status brings them back.
HIDDEN_BY_DEFAULT = (StatusKind.DUPLICATE, StatusKind.SPAM)
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class BacklogFilters:
    """What the backlog shows: filters, order and page (every field optional, all kept in the URL)."""

    administration: str | None = None
    territory: str | None = None
    status: StatusKind | None = None
    severity: Severity | None = None
    period: str | None = None
    squad: int | str | None = None  # a squad id or slug, or NO_SQUAD for irritants no squad has taken
    q: str | None = None
    unresolved: bool = False  # only the irritants flagged « non résolu pour les usagers » (feedback.services)
    sort: str = "-score"
    page: int = 1
    page_size: int = 25

    def as_query(self, **changes: Any) -> dict[str, str]:
        """Query-string parameters that differ from the defaults (for links: pages, sorting)."""
        defaults = asdict(BacklogFilters())
        values = {**asdict(self), **changes}
        return {
            key: str(int(value)) if isinstance(value, bool) else str(value)  # « unresolved=1 »
            for key, value in values.items()
            if value not in (None, "") and value != defaults[key]
        }

    @property
    def active(self) -> bool:
        """Whether anything narrows the list."""
        return any(
            (
                self.administration,
                self.territory,
                self.status,
                self.severity,
                self.period,
                self.squad,
                self.q,
                self.unresolved,
            )
        )


class BacklogQuerySchema(PageQuerySchema):
    """The backlog's query string (back-office form and API), with French messages."""

    administration = ma.fields.String(validate=ma.validate.Length(max=60, error="Administration inconnue."))
    territory = ma.fields.String(
        validate=ma.validate.Regexp(r"^(\d{2}|2[AB]|97\d)$", error="Code de département invalide (ex. 59, 2A, 974).")
    )
    status = ma.fields.Enum(StatusKind, by_value=True, error_messages={"unknown": "Statut inconnu."})
    severity = ma.fields.Enum(Severity, by_value=True, error_messages={"unknown": "Gravité inconnue."})
    period = ma.fields.String(
        validate=ma.validate.OneOf(list(PERIODS), error="Période inconnue : 7j, 30j, 90j ou 365j.")
    )
    # A squad's id, its slug (as its pages and the squads API name it) or « none » (irritants no squad has taken).
    squad = ma.fields.String(
        validate=ma.validate.Regexp(r"^(\d{1,9}|none|[a-z0-9][a-z0-9-]{0,99})$", error="Start-up d'État inconnue."),
        metadata={"description": "Start-up d'État : son identifiant ou son slug ; none : irritants sans équipe"},
    )
    q = ma.fields.String(validate=ma.validate.Length(max=200, error="Recherche trop longue (200 caractères au plus)."))
    unresolved = ma.fields.Boolean(
        truthy={"1", "true", "oui"},
        falsy={"0", "false", "non"},
        error_messages={"invalid": "Filtre « non résolu » : 1 ou 0."},
        metadata={"description": "1 : seulement les irritants corrigés que les usagers disent non résolus"},
    )
    sort = sort_field(SORT_FIELDS, "-score", legacy=LEGACY_SORTS)
    page_size = page_size_field(25)  # the page's select offers PAGE_SIZES; the API takes any size of the rule

    @ma.post_load
    def _filters(self, data: dict[str, Any], **_: Any) -> BacklogFilters:
        squad = data.get("squad")
        if squad is not None and squad.isdigit():
            data["squad"] = int(squad)
        return BacklogFilters(**data)


def parse_filters(args: Any) -> tuple[BacklogFilters, dict[str, list[str]]]:
    """Filters from a query string; unknown values are dropped and reported (field → French messages)."""
    schema = BacklogQuerySchema()
    raw = {key: args.get(key) for key in schema.fields if args.get(key) is not None}
    try:
        return schema.load(raw), {}
    except ma.ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_form": err.messages}
        kept = {key: value for key, value in raw.items() if key not in messages}
        return schema.load(kept), {key: list(value) for key, value in messages.items()}


def _report_conditions(session: Session, filters: BacklogFilters) -> list[Any]:
    conditions = []
    if filters.administration:
        admin_id = session.scalar(select(Administration.id).where(Administration.slug == filters.administration))
        if admin_id is None:
            raise ValidationFailed("Administration inconnue.", errors={"administration": ["Administration inconnue."]})
        conditions.append(Report.administration_id == admin_id)
    if filters.territory:
        conditions.append(Report.territory_code == filters.territory)
    if filters.severity:
        conditions.append(Report.severity == filters.severity)
    if filters.period:
        conditions.append(Report.created_at >= utcnow() - dt.timedelta(days=PERIODS[filters.period]))
    return conditions


def _trend_subquery(now: dt.datetime) -> Any:
    """Per cluster: items (reports and « moi aussi ») of the last 30 days and of the 30 days before."""
    recent, older = now - dt.timedelta(days=30), now - dt.timedelta(days=60)
    items = (
        select(Report.cluster_id.label("cid"), Report.created_at.label("at"))
        .where(Report.cluster_id.is_not(None), Report.created_at >= older)
        .union_all(
            select(Support.cluster_id, Support.created_at).where(Support.created_at >= older, Support.counted.is_(True))
        )
        .subquery()
    )
    last = func.sum(case((items.c.at >= recent, 1.0), else_=0.0))
    return (
        select(items.c.cid, last.label("last"), (func.count() - last).label("previous"))
        .group_by(items.c.cid)
        .subquery()
    )


def backlog(session: Session, filters: BacklogFilters, *, feedback_settings: FeedbackSettings) -> Page[Cluster]:
    """Irritants for agents, filtered, sorted, one page of them (« non résolu » as ``feedback_settings`` says)."""
    stmt = select(Cluster)
    if filters.unresolved:
        stmt = stmt.where(Cluster.id.in_(sorted(feedback.unresolved_cluster_ids(session, feedback_settings))))
    if filters.status is not None:
        stmt = stmt.where(Cluster.status == filters.status)
    else:
        stmt = stmt.where(Cluster.status.not_in(HIDDEN_BY_DEFAULT))
    conditions = _report_conditions(session, filters)
    if conditions:
        stmt = stmt.where(exists(select(Report.id).where(Report.cluster_id == Cluster.id, *conditions)))
    if filters.squad == NO_SQUAD:
        stmt = stmt.where(Cluster.squad_id.is_(None))
    elif isinstance(filters.squad, str):  # a slug (an unknown one matches nothing)
        stmt = stmt.where(Cluster.squad_id == select(Squad.id).where(Squad.slug == filters.squad).scalar_subquery())
    elif filters.squad is not None:
        stmt = stmt.where(Cluster.squad_id == filters.squad)
    if filters.q and filters.q.strip():
        stmt = stmt.where(clusters.search_condition(filters.q))
    counted = stmt
    order: dict[str, Any] = {
        "score": Cluster.score,
        "size": (Cluster.size, Cluster.score),
        "people": (Cluster.people, Cluster.score),
        "updated_at": Cluster.updated_at,
        "id": Cluster.id,
    }
    field = Sort.parse(filters.sort).field
    if field == "last_report_at":
        latest = (
            select(Report.cluster_id.label("cid"), func.max(Report.created_at).label("at"))
            .where(Report.cluster_id.is_not(None))
            .group_by(Report.cluster_id)
            .subquery()
        )
        stmt = stmt.outerjoin(latest, latest.c.cid == Cluster.id)
        order["last_report_at"] = latest.c.at
    elif field == "trend":
        # The ratio the score's growth term is the logarithm of: same pseudo-counts, so both agree on order.
        trend = _trend_subquery(utcnow())
        ratio = (func.coalesce(trend.c.last, 0) + GROWTH_PSEUDOCOUNT) / (
            func.coalesce(trend.c.previous, 0) + GROWTH_PSEUDOCOUNT
        )
        stmt = stmt.outerjoin(trend, trend.c.cid == Cluster.id)
        order["trend"] = (ratio, Cluster.score)
    stmt = ordered(stmt, filters.sort, order, tiebreak=Cluster.id.asc())
    return paginate(session, stmt, page=filters.page, page_size=filters.page_size, counted=counted)


def cluster_detail(session: Session, cluster_id: int) -> Cluster:
    """An irritant by id, or NotFoundError."""
    cluster = session.get(Cluster, min(max(cluster_id, 0), MAX_ID))
    if cluster is None:
        raise NotFoundError("Cet irritant n'existe pas.")
    return cluster


def _report_row(report: Report, *, raw: bool, representative: frozenset[int]) -> dict[str, Any]:
    # Agents who may not moderate read texts as the public would: redacted, and not at all while awaiting review.
    hidden = not raw and report.moderation != Moderation.PUBLISHED
    return {
        "id": report.id,
        "reference": report.reference,
        "created_at": report.created_at,
        "text": None if hidden else (report.description if raw else redact(report.description)),
        "raw": raw,
        "hidden": hidden,
        # Before a moderator masked passages: for moderators only, until the retention period ends.
        "original": report.original_description if raw else None,
        "moderation": report.moderation,
        "administration": report.administration.name,
        "procedure": report.procedure.name if report.procedure else None,
        "territory_code": report.territory_code,
        "territory": report.territory.name,
        "channel": report.channel.label,
        "severity": report.severity,
        "severity_label": SEVERITY_LABELS[report.severity],
        "assisted": report.assisted,
        "cluster_locked": report.cluster_locked,
        "representative": report.id in representative,
    }


def cluster_reports(
    session: Session,
    cluster: Cluster,
    *,
    page: int = 1,
    page_size: int = 20,
    raw: bool = False,
    sort: str = "-created_at",
) -> Page[dict[str, Any]]:
    """An irritant's reports in the ``sort`` order (newest first by default), one page of them; texts redacted
    unless ``raw``."""
    stmt = ordered(
        select(Report).where(Report.cluster_id == cluster.id),
        sort,
        {"created_at": Report.created_at, "severity": (_SEVERITY_RANK, Report.created_at)},
        tiebreak=Report.id,
    )
    representative = frozenset(cluster.excerpt_report_ids or [])
    reports = paginate(session, stmt, page=max(page, 1), page_size=page_size)
    return reports.map(lambda r: _report_row(r, raw=raw, representative=representative))


def representative_reports(session: Session, cluster: Cluster, *, raw: bool = False) -> list[dict[str, Any]]:
    """The reports chosen to represent the irritant (``excerpt_report_ids``), in that order."""
    ids = [int(i) for i in cluster.excerpt_report_ids or []]
    if not ids:
        return []
    found = {
        r.id: r for r in session.scalars(select(Report).where(Report.id.in_(ids), Report.cluster_id == cluster.id))
    }
    chosen = frozenset(ids)
    return [_report_row(found[i], raw=raw, representative=chosen) for i in ids if i in found]


def territorial_breakdown(session: Session, cluster: Cluster) -> list[dict[str, Any]]:
    """Reports per département (with its region) and each one's share, most affected first."""
    rows = session.execute(
        select(Territory.code, Territory.name, Territory.region_name, func.count(Report.id))
        .join(Report, Report.territory_code == Territory.code)
        .where(Report.cluster_id == cluster.id)
        .group_by(Territory.code, Territory.name, Territory.region_name)
    ).all()
    total = sum(row[3] for row in rows)
    out = [
        {"code": code, "name": name, "region": region, "reports": count, "share": count / total if total else 0.0}
        for code, name, region, count in rows
    ]
    out.sort(key=lambda row: (-row["reports"], row["code"]))
    return out


@dataclass(frozen=True)
class _EncoderRef:
    # What engine.centroid_index needs of an encoder: its name (and dimension when there is no centroid yet).
    name: str
    dim: int


def similar_clusters(
    session: Session, cluster: Cluster, limit: int = 5, *, clustering: ClusteringSettings | None = None
) -> list[Cluster]:
    """Irritants closest to this one: centroid cosine; by its label when it has no centroid and ``clustering`` is
    given."""
    ids: list[int] = []
    if cluster.centroid and cluster.encoder:
        centroid = engine.from_bytes(cluster.centroid)
        index = engine.centroid_index(session, _EncoderRef(cluster.encoder, int(centroid.shape[0])))  # type: ignore[arg-type]
        if index.ids.size and index.matrix.shape[1] == centroid.shape[0]:
            sims = index.matrix @ centroid
            ids = [int(index.ids[i]) for i in np.argsort(-sims, kind="stable")[: limit + 1]]
    elif clustering is not None and cluster.label:
        # Not ready a few seconds after a start only: the page is not worth failing for it.
        with contextlib.suppress(engine.EncoderNotReady):
            ids = [s.cluster_id for s in engine.similar(session, clustering, cluster.label, limit=limit + 1)]
    ids = [i for i in ids if i != cluster.id]
    if not ids:
        return []
    found = {
        c.id: c
        for c in session.scalars(select(Cluster).where(Cluster.id.in_(ids), Cluster.status.not_in(HIDDEN_BY_DEFAULT)))
    }
    return [found[i] for i in ids if i in found][:limit]


def list_squads(session: Session) -> list[Squad]:
    """Every squad, by name (filters and assignment)."""
    return list(session.scalars(select(Squad).order_by(Squad.name)))


def _from_a_merge(session: Session, ids: list[int]) -> set[int]:
    """Which of these duplicates came from a merge (their last merge or unmerge event is a merge): only a merge
    can be undone; a duplicate marked by hand goes back through its status."""
    if not ids:
        return set()
    last: dict[int, str] = {}
    for subject_id, action in session.execute(
        select(Event.subject_id, Event.action)
        .where(
            Event.subject_type == "cluster",
            Event.subject_id.in_(ids),
            Event.action.in_(("cluster.merge", "cluster.unmerge")),
        )
        .order_by(Event.id)
    ):
        last[subject_id] = action
    return {i for i, action in last.items() if action == "cluster.merge"}


def merged_into(session: Session, cluster: Cluster) -> list[Cluster]:
    """Irritants merged into this one, which a product owner may take back out; itself if it was merged away."""
    if cluster.status == StatusKind.DUPLICATE:
        return [cluster] if _from_a_merge(session, [cluster.id]) else []
    duplicates = list(
        session.scalars(
            select(Cluster)
            .where(Cluster.duplicate_of_id == cluster.id, Cluster.status == StatusKind.DUPLICATE)
            .order_by(Cluster.id)
        )
    )
    merged = _from_a_merge(session, [c.id for c in duplicates])
    return [c for c in duplicates if c.id in merged]


def clusters_by_ids(session: Session, ids: list[int]) -> dict[int, Cluster]:
    """Irritants by id (any status), for labels of linked irritants."""
    ids = sorted({i for i in ids if 0 < i <= MAX_ID})
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Cluster).where(Cluster.id.in_(ids)))}


def search_clusters(session: Session, q: str, *, exclude: int | None = None, limit: int = 10) -> list[Cluster]:
    """Irritants whose label or keywords contain ``q`` (or whose number it is), best scored first."""
    if not q.strip():
        return []
    stmt = select(Cluster).where(clusters.search_condition(q), Cluster.status.not_in(HIDDEN_BY_DEFAULT))
    if exclude is not None:
        stmt = stmt.where(Cluster.id != exclude)
    return list(session.scalars(stmt.order_by(Cluster.score.desc(), Cluster.id).limit(limit)))
