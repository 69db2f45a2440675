"""The clusters domain's public face: irritants as the public sees them (ranked listing, page, excerpts), « moi
aussi » supports, and the duplicate links every domain follows (``root_of``).

Clustering itself (placing a new report: ``engine.py`` and ``jobs.py``; re-clustering: ``recluster.py``; counts
and scores: ``stats.py``; one writer of a report's status: ``report_status.py``) sits beside this module; triage
builds its decisions on top of all of them. Functions take the session first and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from irritants.clusters.models import Cluster, Support, SupportContact, search_fold
from irritants.db import utcnow
from irritants.errors import NotFoundError, ValidationFailed
from irritants.intake.models import Moderation, Report
from irritants.intake.redaction import excerpt
from irritants.paging import Page, ordered, paginate
from irritants.referential.models import Administration
from irritants.settings import RankingSettings
from irritants.status import CITIZEN_STATUS_LABELS, StatusKind

PUBLIC_HIDDEN = (StatusKind.SPAM,)
MAX_ID = 2**31 - 1
PERIODS = {"7j": 7, "30j": 30, "90j": 90, "365j": 365}


@dataclass(frozen=True)
class ClusterFilters:
    """Filters of the ranked listing (all optional)."""

    administration: str | None = None
    territory: str | None = None
    status: StatusKind | None = None
    period: str | None = None


def get_public_cluster(session: Session, cluster_id: int) -> Cluster:
    """A cluster that may be shown publicly, or NotFoundError."""
    cluster = session.get(Cluster, cluster_id)
    if cluster is None or cluster.status in PUBLIC_HIDDEN or (cluster.size == 0 and cluster.supporters == 0):
        raise NotFoundError("Cet irritant n'existe pas ou n'est plus public.")
    return cluster


def root_of(session: Session, cluster: Cluster) -> Cluster:
    """Follow « doublon de » links to the irritant that is not itself a duplicate."""
    seen = {cluster.id}
    while cluster.status == StatusKind.DUPLICATE and cluster.duplicate_of_id and cluster.duplicate_of_id not in seen:
        seen.add(cluster.duplicate_of_id)
        parent = session.get(Cluster, cluster.duplicate_of_id)
        if parent is None:
            break
        cluster = parent
    return cluster


def merged_into(session: Session, cluster_id: int) -> Cluster | None:
    """For a duplicate irritant (merged or marked so), the public irritant its readers are sent on to, if any."""
    cluster = session.get(Cluster, cluster_id)
    if cluster is None or cluster.status != StatusKind.DUPLICATE or not cluster.duplicate_of_id:
        return None
    root = root_of(session, cluster)
    if root.id == cluster.id:
        return None
    try:
        return get_public_cluster(session, root.id)
    except NotFoundError:
        return None


def public_label(cluster: Cluster) -> str:
    """French wording of a cluster's status for citizens."""
    return CITIZEN_STATUS_LABELS[cluster.status]


@dataclass(frozen=True)
class Excerpt:
    """A redacted excerpt; the report's id is its public handle (for « Signaler un contenu abusif »)."""

    report_id: int
    text: str


def public_excerpts(session: Session, cluster: Cluster) -> list[Excerpt]:
    """Redacted excerpts of the cluster's representative reports: published ones only, topped up with others."""
    wanted = list(cluster.excerpt_report_ids or [])
    if not wanted:
        return []
    published = (Report.cluster_id == cluster.id, Report.moderation == Moderation.PUBLISHED)
    found = dict(session.execute(select(Report.id, Report.description).where(Report.id.in_(wanted), *published)).all())
    chosen = [(i, found[i]) for i in wanted if i in found]
    if len(chosen) < len(wanted):
        # A held or rejected representative gives its place to another published report of the irritant.
        chosen += session.execute(
            select(Report.id, Report.description)
            .where(*published, Report.id.not_in(wanted))
            .order_by(Report.id)
            .limit(len(wanted) - len(chosen))
        ).all()
    return [Excerpt(report_id, excerpt(text)) for report_id, text in chosen]


def excerpts(session: Session, cluster: Cluster) -> list[str]:
    """Redacted excerpts of the cluster's published representative reports (public API)."""
    return [item.text for item in public_excerpts(session, cluster)]


def administration_names(session: Session, ids: list[int]) -> dict[int, str]:
    """Names of administrations by id."""
    if not ids:
        return {}
    return dict(session.execute(select(Administration.id, Administration.name).where(Administration.id.in_(ids))).all())


def search_condition(q: str) -> Any:
    """Irritants whose label or keywords contain ``q``, ignoring case and accents (or whose number it is): the
    backlog's search and the public list's."""
    words = q.strip()
    folded = search_fold(words)
    # The query is folded like the stored search_text; LIKE's wildcards in it are literal characters.
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    conditions = [Cluster.search_text.like(f"%{escaped}%", escape="\\")] if folded else []
    if words.isdecimal() and int(words) <= MAX_ID:
        conditions.append(Cluster.id == int(words))  # « 123 » finds irritant n° 123
    return or_(*conditions) if conditions else false()


def listed() -> Any:
    """The irritants public lists show (the API's, the public list and roadmap): not spam, with reports, and not a
    duplicate — it keeps its public page, which points to the original, but is not listed twice."""
    return and_(Cluster.status.not_in((*PUBLIC_HIDDEN, StatusKind.DUPLICATE)), Cluster.size > 0)


# What the public list may be sorted by (``sort``: a field, or -field for descending); ties: the higher score, then id.
LIST_SORTS = ("score", "size", "people", "id")


def _list_order() -> dict[str, Any]:
    return {
        "score": Cluster.score,
        "size": (Cluster.size, Cluster.score),
        "people": (Cluster.people, Cluster.score),
        "id": Cluster.id,
    }


def list_clusters(
    session: Session, filters: ClusterFilters, *, page: int, page_size: int, sort: str = "-score"
) -> Page[Cluster]:
    """Public clusters, filtered, in the ``sort`` order (by score by default), one page of them."""
    stmt = select(Cluster).where(listed())
    report_conditions = []
    if filters.administration:
        admin_id = session.scalar(select(Administration.id).where(Administration.slug == filters.administration))
        if admin_id is None:
            raise ValidationFailed(errors={"administration": ["Administration inconnue."]})
        report_conditions.append(Report.administration_id == admin_id)
    if filters.territory:
        report_conditions.append(Report.territory_code == filters.territory)
    if filters.period:
        since = utcnow() - dt.timedelta(days=PERIODS[filters.period])
        report_conditions.append(Report.created_at >= since)
    if report_conditions:
        stmt = stmt.where(exists(select(Report.id).where(Report.cluster_id == Cluster.id, *report_conditions)))
    if filters.status:
        stmt = stmt.where(Cluster.status == filters.status)
    stmt = ordered(stmt, sort, _list_order(), tiebreak=Cluster.id.asc())
    return paginate(session, stmt, page=page, page_size=page_size)


@dataclass(frozen=True)
class SupportOutcome:
    """A « moi aussi »: on which irritant, whether this person was new to it (recorded), and whether it adds one to
    its people (counted: no earlier counted support of that irritant came from the same network)."""

    cluster_id: int
    recorded: bool
    counted: bool
    # An email was kept with it, on this support or on the person's earlier one (False for a reporter of the
    # irritant, who is told through their report).
    contact: bool = False


def add_support(
    session: Session,
    cluster_id: int,
    person: str,
    *,
    source: str | None = None,
    territory_code: str | None = None,
    contact: Mapping[str, Any] | None = None,
) -> SupportOutcome:
    """Record « c'est aussi mon cas » once per person and irritant (a merged or duplicate irritant's goes to the one
    holding it); it counts toward people once per network (``source``, see people.source_key). ``contact``: the
    columns of an email given with consent (``intake.services.contact_values``), kept on the person's support."""
    cluster = merged_into(session, cluster_id) or get_public_cluster(session, cluster_id)
    # One at a time per irritant (PostgreSQL row lock; SQLite writers already queue): two ids from one network
    # arriving together must not both count.
    session.execute(select(Cluster.id).where(Cluster.id == cluster.id).with_for_update())
    already = session.scalar(select(Support.id).where(Support.cluster_id == cluster.id, Support.person_key == person))
    reporter = session.scalar(select(Report.id).where(Report.cluster_id == cluster.id, Report.person_key == person))
    if already:
        if contact:
            _keep_contact(session, already, contact)
        return SupportOutcome(cluster.id, recorded=False, counted=False, contact=bool(contact))
    if reporter:
        return SupportOutcome(cluster.id, recorded=False, counted=False)
    same_source = source is not None and session.scalar(
        select(Support.id)
        .where(Support.cluster_id == cluster.id, Support.source_hash == source, Support.counted.is_(True))
        .limit(1)
    )
    support = Support(
        cluster_id=cluster.id,
        person_key=person,
        territory_code=territory_code,
        source_hash=source,
        counted=not same_source,
    )
    try:
        with session.begin_nested():
            session.add(support)
    except IntegrityError:
        return SupportOutcome(cluster.id, recorded=False, counted=False)
    if contact:
        _keep_contact(session, support.id, contact)
    return SupportOutcome(cluster.id, recorded=True, counted=support.counted, contact=bool(contact))


def _keep_contact(session: Session, support_id: int, values: Mapping[str, Any]) -> None:
    """The support's email, new or given again (a fresh consent also undoes an earlier unsubscription)."""
    row = session.get(SupportContact, support_id) or SupportContact(support_id=support_id)
    for name in ("email", "email_hmac", "consent_at", "purge_after"):
        setattr(row, name, values[name])
    row.unsubscribed_at = None
    session.add(row)
    session.flush()


def cluster_summary(session: Session, cluster: Cluster) -> dict[str, Any]:
    """Public JSON-ready view of a cluster, with its score breakdown."""
    names = administration_names(session, [cluster.main_administration_id] if cluster.main_administration_id else [])
    return {
        "id": cluster.id,
        "label": cluster.label,
        "keywords": list(cluster.keywords or []),
        "status": cluster.status,
        "status_label": public_label(cluster),
        "size": cluster.size,
        "supporters": cluster.supporters,
        "people": cluster.people,
        "territories": cluster.territories,
        "administrations": cluster.administrations,
        "main_administration": names.get(cluster.main_administration_id or 0),
        "score": cluster.score,
        "score_breakdown": cluster.score_breakdown or {},
    }


def clusters_by_ids(session: Session, ids: list[int]) -> list[Cluster]:
    """Clusters with these ids that may be shown publicly."""
    if not ids:
        return []
    return list(session.scalars(select(Cluster).where(Cluster.id.in_(ids), Cluster.status.not_in(PUBLIC_HIDDEN))))


def refresh_one(session: Session, ranking: RankingSettings, cluster_id: int) -> None:
    """Recompute one cluster's counts and score after a change."""
    from irritants.clusters import stats

    session.flush()
    stats.refresh(session, ranking.weights, [cluster_id])
    session.expire_all()


def public_cluster_of(session: Session, report: Report) -> Cluster | None:
    """The public cluster a report belongs to, if any."""
    if report.cluster_id is None:
        return None
    try:
        return get_public_cluster(session, report.cluster_id)
    except NotFoundError:
        return None
