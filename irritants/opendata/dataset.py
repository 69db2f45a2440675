"""The rows of the open dataset, read from the database: one per public irritant, and weekly counts of reports.

Nothing here reads a text written by a citizen, a token or a contact: the irritants' rows take their public label
(already redacted when it was computed, and redacted again here), the reports' rows are GROUP BY counts over codes.
A count under ``SMALL_CELL`` is not published: its row is dropped (in SQL, ``HAVING``), so that neither the count nor
the existence of a rare combination (a week, a démarche, a département, a channel, a severity) can single a person
out. Only complete weeks are counted, so a published week never changes but through a withdrawn report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from irritants.clusters.effect import fix_effect
from irritants.clusters.models import Cluster
from irritants.effect import VERDICT_LABELS
from irritants.french import PARIS
from irritants.intake.models import Report, Severity
from irritants.intake.redaction import redact
from irritants.opendata.weeks import as_date, paris_week, week_start_moment
from irritants.referential.models import Administration, Procedure, Territory
from irritants.sanitize import neutralise
from irritants.settings import FixEffectSettings
from irritants.squads.models import Squad
from irritants.status import CITIZEN_STATUS_LABELS, StatusKind

#: The smallest count published: a cell counting fewer reports is left out with its row.
SMALL_CELL = 10

#: Statuses of the irritants listed (a duplicate is listed through its original, spam never).
PUBLISHED_STATUSES = tuple(s for s in StatusKind if s not in (StatusKind.SPAM, StatusKind.DUPLICATE))


def safe_text(text: str) -> str:
    """A public label as published: redacted once more (codes that look like keys or tokens included), on one line,
    and never read as a formula by a spreadsheet."""
    return neutralise(" ".join(redact(text).split()))


@dataclass(frozen=True)
class IrritantRow:
    """One public irritant as the open dataset describes it."""

    id: int
    libelle: str
    statut: str
    statut_libelle: str
    code_administration: str | None
    administration: str | None
    code_demarche: str | None
    demarche: str | None
    code_startup_etat: str | None
    startup_etat: str | None
    date_premier_signalement: dt.date | None
    date_correctif: dt.date | None
    nombre_signalements: int
    personnes_concernees: int
    effet_correctif: str | None
    effet_correctif_libelle: str | None
    rapport_apres_avant: float | None
    ic95_bas: float | None
    ic95_haut: float | None


@dataclass(frozen=True)
class WeekRow:
    """Reports received in one Paris week for one combination of codes (never fewer than ``SMALL_CELL``)."""

    semaine: dt.date
    code_administration: str
    administration: str
    code_demarche: str | None
    demarche: str | None
    code_departement: str
    departement: str
    canal: str
    gravite: str
    nombre_signalements: int


def current_week(today: dt.date) -> dt.date:
    """The Monday of the week holding ``today``: the first week not yet published."""
    return today - dt.timedelta(days=today.weekday())


# --- irritants --------------------------------------------------------------------------------------------------


def _first_reports_and_procedures(session: Session) -> tuple[dict[int, dt.date], dict[int, int]]:
    """By irritant: the day (Paris) of its first report, and the démarche most of its reports name (the lowest id
    among equals) — one GROUP BY pass over the reports for both."""
    rows = session.execute(
        select(Report.cluster_id, Report.procedure_id, func.count(), func.min(Report.created_at))
        .where(Report.cluster_id.is_not(None))
        .group_by(Report.cluster_id, Report.procedure_id)
    )
    first: dict[int, dt.datetime] = {}
    best: dict[int, tuple[int, int]] = {}
    for cluster_id, procedure_id, count, earliest in rows:
        if earliest is not None and (cluster_id not in first or earliest < first[cluster_id]):
            first[cluster_id] = earliest
        if procedure_id is not None and (
            cluster_id not in best or (count, -procedure_id) > (best[cluster_id][0], -best[cluster_id][1])
        ):
            best[cluster_id] = (count, procedure_id)
    days = {cluster_id: moment.astimezone(PARIS).date() for cluster_id, moment in first.items()}
    return days, {cluster_id: procedure_id for cluster_id, (_count, procedure_id) in best.items()}


def _finite(value: float | None) -> float | None:
    return None if value is None or value in (float("inf"), float("-inf")) else round(value, 4)


def irritant_rows(session: Session, settings: FixEffectSettings, today: dt.date) -> list[IrritantRow]:
    """Every public irritant (the public list's: not spam, not a duplicate, with at least one report), by id."""
    clusters = session.scalars(
        select(Cluster).where(Cluster.status.in_(PUBLISHED_STATUSES), Cluster.size > 0).order_by(Cluster.id)
    ).all()
    admins = {a.id: a for a in session.scalars(select(Administration))}
    procedures = {p.id: p for p in session.scalars(select(Procedure))}
    squads = {s.id: s for s in session.scalars(select(Squad))}
    first, main_procedure = _first_reports_and_procedures(session)
    rows = []
    for cluster in clusters:
        admin = admins.get(cluster.main_administration_id or 0)
        procedure = procedures.get(main_procedure.get(cluster.id, 0))
        squad = squads.get(cluster.squad_id or 0)
        found = fix_effect(session, settings, cluster, today=today)
        ratio = found.ratio if found is not None else None
        rows.append(
            IrritantRow(
                id=cluster.id,
                libelle=safe_text(cluster.label),
                statut=str(cluster.status),
                statut_libelle=CITIZEN_STATUS_LABELS[cluster.status],
                code_administration=admin.slug if admin else None,
                administration=admin.name if admin else None,
                code_demarche=procedure.slug if procedure else None,
                demarche=procedure.name if procedure else None,
                code_startup_etat=squad.slug if squad else None,
                startup_etat=squad.name if squad else None,
                date_premier_signalement=first.get(cluster.id),
                date_correctif=cluster.fixed_on,
                nombre_signalements=cluster.size,
                personnes_concernees=cluster.people,
                effet_correctif=str(found.verdict) if found is not None else None,
                effet_correctif_libelle=VERDICT_LABELS[found.verdict] if found is not None else None,
                rapport_apres_avant=_finite(ratio.ratio) if ratio else None,
                ic95_bas=_finite(ratio.low) if ratio else None,
                ic95_haut=_finite(ratio.high) if ratio else None,
            )
        )
    return rows


# --- weekly counts of reports ------------------------------------------------------------------------------------


def reports_counted(session: Session, today: dt.date) -> int:
    """The reports the weekly counts are drawn from (complete weeks, not spam), published or left out."""
    return (
        session.scalar(
            select(func.count()).where(
                Report.created_at < week_start_moment(current_week(today)), Report.status != StatusKind.SPAM
            )
        )
        or 0
    )


def week_rows(session: Session, today: dt.date) -> list[WeekRow]:
    """Reports per Paris week, administration, démarche, département, channel and severity, counted by the
    database over complete weeks (before the week of ``today``); a count under ``SMALL_CELL`` is left out."""
    dialect = session.get_bind().dialect.name
    week = paris_week(Report.created_at, dialect).label("semaine")
    keys = (week, Report.administration_id, Report.procedure_id, Report.territory_code, Report.channel_code,
            Report.severity)  # fmt: skip
    count = func.count().label("n")
    stmt = (
        select(*keys, count)
        .where(Report.created_at < week_start_moment(current_week(today)), Report.status != StatusKind.SPAM)
        .group_by(literal_column("semaine"), *keys[1:])  # the week by its name: computed once per report
        .having(func.count() >= SMALL_CELL)
    )
    admins = {a.id: a for a in session.scalars(select(Administration))}
    procedures = {p.id: p for p in session.scalars(select(Procedure))}
    territories = dict(session.execute(select(Territory.code, Territory.name)).all())
    rows = []
    for monday, admin_id, procedure_id, territory, channel, severity, n in session.execute(stmt):
        admin, procedure = admins[admin_id], procedures.get(procedure_id or 0)
        rows.append(
            WeekRow(
                semaine=as_date(monday),
                code_administration=admin.slug,
                administration=admin.name,
                code_demarche=procedure.slug if procedure else None,
                demarche=procedure.name if procedure else None,
                code_departement=territory,
                departement=territories.get(territory, territory),
                canal=channel,
                gravite=str(Severity(severity)),
                nombre_signalements=n,
            )
        )
    rows.sort(key=lambda r: (r.semaine, r.code_administration, r.code_demarche or "", r.code_departement, r.canal,
                             r.gravite))  # fmt: skip
    return rows
