"""The rows of each export, read from the database in chunks (``yield_per``) as pandas DataFrames.

Reports: one row per report of the filters, its text redacted (``intake.redaction.redact``) and only when the report
is published; never its contact, tracking token, person key, reference or raw text. Irritants: those with at least
one report of the filters, with the score's breakdown, the dates each status was first reached (from the audit log)
and the fix effect. Squads: every squad (narrowed by ``squad`` and ``administration``), its members count, its
irritants' reports of the filters, the fixes it shipped and what they did.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from irritants.audit.models import Event
from irritants.clusters import effect as fix_effects
from irritants.clusters.models import Cluster
from irritants.exports.writers import Column, Kind, frame
from irritants.insights.filters import InsightFilters, report_conditions
from irritants.intake.models import Moderation, Report
from irritants.intake.redaction import redact
from irritants.referential.models import Administration, Channel, Procedure, Territory
from irritants.settings import FixEffectSettings
from irritants.squads.models import Squad, SquadMember
from irritants.status import StatusKind

CHUNK = 2000  # rows read and written at a time


class What(enum.StrEnum):
    REPORTS = "reports"
    IRRITANTS = "irritants"
    SQUADS = "squads"


WHAT_LABELS: dict[What, str] = {
    What.REPORTS: "Signalements",
    What.IRRITANTS: "Irritants",
    What.SQUADS: "Start-ups d'État",
}

T, N, F, B, D, DAY = Kind.TEXT, Kind.INT, Kind.FLOAT, Kind.BOOL, Kind.DATETIME, Kind.DATE
REPORT_COLUMNS = tuple(
    Column(n, k)
    for n, k in (
        ("id", N), ("cree_le", D), ("administration", T), ("demarche", T), ("departement", T), ("region", T),
        ("canal", T), ("gravite", T), ("assiste", B), ("statut", T), ("irritant_id", N), ("irritant", T),
        ("start_up", T), ("publie", B), ("texte", T),
    )
)  # fmt: skip
# The score's terms (ranking/score.py) by their stable names, as columns.
SCORE_TERMS = {"people": "personnes", "severity": "gravite", "recency": "recence", "growth": "croissance",
               "breadth": "etendue", "equity": "equite"}  # fmt: skip
# The status dates: when the irritant first reached each of these statuses (audit log).
STATUS_DATES = {
    StatusKind.TRIAGED: "trie_le", StatusKind.PLANNED: "planifie_le", StatusKind.IN_PROGRESS: "en_cours_le",
    StatusKind.FIXED: "corrige_le", StatusKind.CLOSED_NOT_FIXED: "ferme_sans_correctif_le",
    StatusKind.REGRESSED: "regresse_le",
}  # fmt: skip
IRRITANT_COLUMNS = (
    Column("id", N), Column("libelle", T), Column("statut", T), Column("administration", T), Column("start_up", T),
    Column("doublon_de", N), Column("signalements_periode", N), Column("signalements", N), Column("personnes", N),
    Column("soutiens", N), Column("departements", N), Column("score", F),
    *(Column(f"score_{name}", F) for name in SCORE_TERMS.values()),
    Column("premier_signalement", D), *(Column(name, D) for name in STATUS_DATES.values()),
    Column("correctif_livre_le", DAY), Column("effet_correctif", T), Column("rapport_apres_avant", F),
)  # fmt: skip
SQUAD_COLUMNS = (
    Column("slug", T), Column("nom", T), Column("phase", T), Column("administration", T), Column("membres", N),
    Column("irritants_suivis", N), Column("signalements_periode", N), Column("correctifs_livres", N),
    Column("correctifs_periode", N), Column("effets_baisse", N), Column("effets_sans_changement", N),
    Column("effets_hausse", N), Column("effets_trop_tot", N),
)  # fmt: skip
COLUMNS: dict[What, tuple[Column, ...]] = {
    What.REPORTS: REPORT_COLUMNS, What.IRRITANTS: IRRITANT_COLUMNS, What.SQUADS: SQUAD_COLUMNS,
}  # fmt: skip


def _chunks(session: Session, stmt: Select[Any]) -> Iterator[Sequence[Any]]:
    yield from session.execute(stmt.execution_options(yield_per=CHUNK)).partitions()


# --- reports -------------------------------------------------------------------------------------------------------


def _reports_stmt(session: Session, filters: InsightFilters) -> Select[Any]:
    published = Report.moderation == Moderation.PUBLISHED
    return (
        select(
            Report.id,
            Report.created_at,
            Administration.name,
            Procedure.name,
            Report.territory_code,
            Territory.region_code,
            Channel.label,
            Report.severity,
            Report.assisted,
            Report.status,
            Report.cluster_id,
            Cluster.label,
            Squad.slug,
            published,
            case((published, Report.description), else_=None),  # an unpublished text is not even read
        )
        .join(Administration, Administration.id == Report.administration_id)
        .outerjoin(Procedure, Procedure.id == Report.procedure_id)
        .join(Territory, Territory.code == Report.territory_code)
        .join(Channel, Channel.code == Report.channel_code)
        .outerjoin(Cluster, Cluster.id == Report.cluster_id)
        .outerjoin(Squad, Squad.id == Cluster.squad_id)
        .where(*report_conditions(session, filters))
        .order_by(Report.id)
    )


def report_frames(session: Session, filters: InsightFilters) -> Iterator[pd.DataFrame]:
    """The reports of ``filters``, a DataFrame per chunk."""
    names = [c.name for c in REPORT_COLUMNS]
    for rows in _chunks(session, _reports_stmt(session, filters)):
        records = []
        for row in rows:
            record = dict(zip(names, row, strict=True))
            record["gravite"] = str(record["gravite"])
            record["statut"] = str(record["statut"])
            record["texte"] = redact(record["texte"]) if record["publie"] and record["texte"] else None
            records.append(record)
        yield frame(REPORT_COLUMNS, records)


# --- irritants -----------------------------------------------------------------------------------------------------


def _matching(session: Session, filters: InsightFilters) -> Any:
    """Irritant id → its reports of the filters, as a subquery."""
    return (
        select(Report.cluster_id.label("cluster_id"), func.count(Report.id).label("n"))
        .where(Report.cluster_id.is_not(None), *report_conditions(session, filters))
        .group_by(Report.cluster_id)
        .subquery()
    )


def _irritants_stmt(session: Session, filters: InsightFilters) -> Select[Any]:
    matching = _matching(session, filters)
    return (
        select(Cluster, matching.c.n, Administration.name, Squad.slug)
        .join(matching, matching.c.cluster_id == Cluster.id)
        .outerjoin(Administration, Administration.id == Cluster.main_administration_id)
        .outerjoin(Squad, Squad.id == Cluster.squad_id)
        .order_by(Cluster.id)
    )


def _status_dates(session: Session, ids: list[int]) -> dict[int, dict[str, dt.datetime]]:
    """When each irritant first reached each status of STATUS_DATES, from its ``cluster.status`` events."""
    out: dict[int, dict[str, dt.datetime]] = {i: {} for i in ids}
    events = session.execute(
        select(Event.cluster_id, Event.created_at, Event.after)
        .where(Event.action == "cluster.status", Event.cluster_id.in_(ids))
        .order_by(Event.created_at, Event.id)
    )
    for cluster_id, at, after in events:
        column = STATUS_DATES.get(str((after or {}).get("status")))  # type: ignore[call-overload]
        if column and column not in out[cluster_id]:
            out[cluster_id][column] = at
    return out


def _first_reports(session: Session, ids: list[int]) -> dict[int, dt.datetime]:
    rows = session.execute(
        select(Report.cluster_id, func.min(Report.created_at))
        .where(Report.cluster_id.in_(ids))
        .group_by(Report.cluster_id)
    )
    return {cluster_id: first for cluster_id, first in rows}


def _score_terms(breakdown: dict[str, Any] | None) -> dict[str, float]:
    terms = (breakdown or {}).get("terms") or []
    by_name = {t.get("name"): t.get("contribution") for t in terms if isinstance(t, dict)}
    return {f"score_{label}": by_name.get(name) for name, label in SCORE_TERMS.items()}


def irritant_frames(
    session: Session, filters: InsightFilters, fix_settings: FixEffectSettings, *, today: dt.date | None = None
) -> Iterator[pd.DataFrame]:
    """The irritants with reports in ``filters``, a DataFrame per chunk."""
    for rows in _chunks(session, _irritants_stmt(session, filters)):
        ids = [row[0].id for row in rows]
        dates, firsts = _status_dates(session, ids), _first_reports(session, ids)
        records = []
        for cluster, matching, administration, squad in rows:
            found = fix_effects.fix_effect(session, fix_settings, cluster, today=today) if cluster.fixed_on else None
            ratio = found.ratio.ratio if found is not None and found.ratio is not None else None
            records.append({
                "id": cluster.id, "libelle": cluster.label, "statut": str(cluster.status),
                "administration": administration, "start_up": squad, "doublon_de": cluster.duplicate_of_id,
                "signalements_periode": matching, "signalements": cluster.size, "personnes": cluster.people,
                "soutiens": cluster.supporters, "departements": cluster.territories, "score": cluster.score,
                **_score_terms(cluster.score_breakdown), "premier_signalement": firsts.get(cluster.id),
                **dates[cluster.id], "correctif_livre_le": cluster.fixed_on,
                "effet_correctif": found.label if found is not None else None, "rapport_apres_avant": ratio,
            })  # fmt: skip
        yield frame(IRRITANT_COLUMNS, records)


# --- squads --------------------------------------------------------------------------------------------------------


def _squads_stmt(session: Session, filters: InsightFilters) -> Select[Any]:
    members = select(func.count()).where(SquadMember.squad_id == Squad.id).scalar_subquery()
    followed = select(func.count(Cluster.id)).where(Cluster.squad_id == Squad.id).scalar_subquery()
    in_period = (
        select(func.count(Report.id))
        .join(Cluster, Cluster.id == Report.cluster_id)
        .where(Cluster.squad_id == Squad.id, *report_conditions(session, filters))
        .scalar_subquery()
    )
    stmt = (
        select(Squad, Administration.name, members, followed, in_period)
        .outerjoin(Administration, Administration.id == Squad.administration_id)
        .order_by(Squad.slug)
    )
    if filters.squad:
        stmt = stmt.where(Squad.slug == filters.squad)
    if filters.administration:
        stmt = stmt.where(Administration.slug == filters.administration)
    return stmt


def squad_frames(
    session: Session, filters: InsightFilters, fix_settings: FixEffectSettings, *, today: dt.date | None = None
) -> Iterator[pd.DataFrame]:
    """The squads of ``filters``, a DataFrame per chunk."""
    for rows in _chunks(session, _squads_stmt(session, filters)):
        fixed = session.scalars(
            select(Cluster).where(Cluster.squad_id.in_([row[0].id for row in rows]), Cluster.fixed_on.is_not(None))
        ).all()
        verdicts: dict[int, Counter[str]] = {}
        for cluster in fixed:
            found = fix_effects.fix_effect(session, fix_settings, cluster, today=today)
            verdicts.setdefault(cluster.squad_id or 0, Counter())[str(found.verdict) if found else ""] += 1
        records = []
        for squad, administration, members, followed, in_period in rows:
            shipped = [c for c in fixed if c.squad_id == squad.id]
            counts = verdicts.get(squad.id, Counter())
            records.append({
                "slug": squad.slug, "nom": squad.name, "phase": str(squad.phase), "administration": administration,
                "membres": members, "irritants_suivis": followed, "signalements_periode": in_period,
                "correctifs_livres": len(shipped),
                "correctifs_periode": sum(1 for c in shipped if filters.start <= c.fixed_on <= filters.end),
                "effets_baisse": counts["drop"], "effets_sans_changement": counts["no_change"],
                "effets_hausse": counts["rise"], "effets_trop_tot": counts["too_early"],
            })  # fmt: skip
        yield frame(SQUAD_COLUMNS, records)


# --- any of them ---------------------------------------------------------------------------------------------------


def count(session: Session, what: What, filters: InsightFilters) -> int:
    """How many rows the export of ``what`` has (decides between streaming and the background)."""
    if what == What.REPORTS:
        stmt = select(func.count(Report.id)).where(*report_conditions(session, filters))
    elif what == What.IRRITANTS:
        stmt = select(func.count()).select_from(_matching(session, filters))
    else:
        stmt = select(func.count()).select_from(_squads_stmt(session, filters).subquery())
    return int(session.scalar(stmt) or 0)


def frames(
    session: Session, what: What, filters: InsightFilters, fix_settings: FixEffectSettings
) -> Iterator[pd.DataFrame]:
    """The DataFrames of the export of ``what``, chunk after chunk."""
    if what == What.REPORTS:
        return report_frames(session, filters)
    if what == What.IRRITANTS:
        return irritant_frames(session, filters, fix_settings)
    return squad_frames(session, filters, fix_settings)
