"""The public steps of a report's irritant, for the citizen's tracking page: received, examined, planned by a
squad, fixed, sent elsewhere, grouped with another irritant… in French, from the audit log. An agent's ``reason``
is never shown; the optional ``public_note`` of a status decision is.

A report merged away follows its irritant: the steps of the irritant it was in lead on, at the merge, to those
of the irritant it was merged into; a report of an irritant marked duplicate goes on with the original's steps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.audit.models import Event
from irritants.clusters import stats
from irritants.clusters.models import Cluster
from irritants.errors import ValidationFailed
from irritants.intake.models import Report
from irritants.intake.redaction import redact
from irritants.status import CLOSED_STATUSES, StatusKind

PUBLIC_NOTE_MAX = 1000
INFLOW_DAYS = 30  # the window of « still coming in » on a squad's public page
_HORIZON = 200  # events read per irritant: far more than an irritant's public steps


def clean_public_note(note: str | None) -> str | None:
    """A status decision's note for citizens, trimmed; refused when too long or holding personal data."""
    text = (note or "").strip()
    if len(text) > PUBLIC_NOTE_MAX:
        message = f"La note publique ne doit pas dépasser {PUBLIC_NOTE_MAX} caractères."
        raise ValidationFailed(message, errors={"public_note": [message]})
    if text and redact(text) != text:
        message = "La note publique est lue par les usagers : retirez-en les données personnelles (numéro, courriel…)."
        raise ValidationFailed(message, errors={"public_note": [message]})
    return text or None


@dataclass(frozen=True)
class Step:
    """One public step: when, what (French), optionally an irritant to link to, and the team's public note."""

    at: dt.datetime
    text: str
    cluster_id: int | None = None
    link_text: str | None = None
    note: str | None = None


def _status_step(event: Event, squad: str | None, labels: dict[int, str]) -> Step | None:
    before, after = event.before or {}, event.after or {}
    try:
        status = StatusKind(after.get("status"))
        previous = StatusKind(before["status"]) if before.get("status") else None
    except ValueError:
        return None
    by = f" par « {squad} »" if squad else ""
    if status == StatusKind.TRIAGED:
        text = "Rouvert et examiné à nouveau" if previous in CLOSED_STATUSES else "Examiné par l’équipe"
    elif status == StatusKind.PLANNED:
        text = f"Pris en charge{by or ' par une équipe'}"
    elif status == StatusKind.IN_PROGRESS:
        text = f"Correction en cours{by}"
    elif status == StatusKind.FIXED:
        text = f"Corrigé{by}"
        day = after.get("fixed_on")  # the day the squad declared its fix delivered (« correctif livré »)
        if isinstance(day, str) and len(day) == 10:
            text += f" (correctif livré le {day[8:10]}/{day[5:7]}/{day[0:4]})"
    elif status == StatusKind.REGRESSED:
        text = "Réapparu après correction : à corriger de nouveau"
    elif status == StatusKind.CLOSED_NOT_FIXED:
        text = "Clos sans correction"
    elif status == StatusKind.NOT_OUR_SCOPE:
        # Typed by an agent and never checked as public text before: redacted here.
        routed = redact(str(after.get("routed_to") or ""))
        text = f"Transmis à « {routed} »" if routed else "Transmis à un autre service"
    elif status == StatusKind.DUPLICATE:
        target = after.get("duplicate_of_id")
        return Step(event.created_at, "Regroupé avec l’irritant", target, labels.get(target), event.public_note)
    elif status == StatusKind.SPAM:
        text = "Non retenu"
    else:
        return None
    return Step(event.created_at, text, note=event.public_note)


def _steps_of(
    events: list[Event], report_id: int, labels: dict[int, str], start: dt.datetime | None, end: dt.datetime | None
) -> list[Step]:
    """Public steps among one irritant's events (oldest first) that happened while the report was in it."""
    steps: list[Step] = []
    squad: str | None = None
    for event in events:
        after = event.after or {}
        if event.action == "cluster.assign":
            squad = after.get("squad")  # the squad in charge when a later status step happens
        if (start is not None and event.created_at < start) or (end is not None and event.created_at > end):
            continue
        if event.action == "cluster.status":
            step = _status_step(event, squad, labels)
        elif event.action == "report.move" and event.subject_id == report_id:
            step = Step(
                event.created_at, "Votre signalement a été rattaché à un irritant plus proche de votre situation"
            )
        elif event.action == "cluster.create" and report_id in (after.get("reports") or []):
            step = Step(event.created_at, "Votre signalement a été placé dans un irritant plus précis")
        else:
            step = None
        if step is not None:
            steps.append(step)
    return steps


def _events(session: Session, cluster_id: int) -> list[Event]:
    stmt = select(Event).where(Event.cluster_id == cluster_id).order_by(Event.created_at.desc(), Event.id.desc())
    return list(reversed(session.scalars(stmt.limit(_HORIZON)).all()))


def _merges_of(session: Session, report: Report) -> list[Event]:
    """The merges that carried this report from irritant to irritant, oldest first."""
    merged_away = session.scalars(
        select(Cluster.id).where(Cluster.duplicate_of_id == report.cluster_id, Cluster.status == StatusKind.DUPLICATE)
    ).all()
    if not merged_away:
        return []
    events = session.scalars(
        select(Event)
        .where(Event.action == "cluster.merge", Event.subject_type == "cluster", Event.subject_id.in_(merged_away))
        .order_by(Event.created_at, Event.id)
    )
    return [e for e in events if report.id in ((e.after or {}).get("reports") or [])]


def public_steps(session: Session, report: Report) -> list[Step]:
    """The report's public history, newest first: its receipt, then its irritant's steps (see module docstring)."""
    received = Step(report.created_at, "Signalement reçu")
    if report.cluster_id is None:
        return [received]
    # Periods the report spent in each irritant: (irritant, from, until).
    periods: list[tuple[int, dt.datetime | None, dt.datetime | None]] = []
    start: dt.datetime | None = None
    merges = _merges_of(session, report)
    for merge in merges:
        periods.append((merge.subject_id or 0, start, merge.created_at))
        start = merge.created_at
    periods.append((report.cluster_id, start, None))
    current = session.get(Cluster, report.cluster_id)
    if current is not None and current.status == StatusKind.DUPLICATE and current.duplicate_of_id:
        since = session.scalar(
            select(Event.created_at)
            .where(Event.cluster_id == current.id, Event.action == "cluster.status")
            .order_by(Event.created_at.desc(), Event.id.desc())
            .limit(1)
        )
        periods.append((current.duplicate_of_id, since, None))
    targets = {int((m.after or {}).get("into") or 0) for m in merges} | {p[0] for p in periods}
    events = {cluster_id: _events(session, cluster_id) for cluster_id, _, _ in periods}
    targets |= {
        int(e.after.get("duplicate_of_id") or 0) for es in events.values() for e in es if e.action == "cluster.status"
    }
    labels: dict[int, str] = dict(
        session.execute(select(Cluster.id, Cluster.label).where(Cluster.id.in_(targets - {0}))).all()
    )
    steps = [received]
    for cluster_id, begin, end in periods:
        steps += _steps_of(events[cluster_id], report.id, labels, begin, end)
    for merge in merges:
        into = int((merge.after or {}).get("into") or 0)
        steps.append(Step(merge.created_at, "Regroupé avec l’irritant", into, labels.get(into)))
    return sorted(steps, key=lambda s: s.at, reverse=True)


@dataclass(frozen=True)
class SquadIrritant:
    """An irritant a squad owns, as its public page shows it: the irritant, and for a fixed one the fix's date and
    the team's public note."""

    cluster: Cluster
    fixed_at: dt.datetime | None
    fix_note: str | None
    inflow: int = 0  # reports and counted « moi aussi » of the last INFLOW_DAYS days


def squad_irritants(session: Session, squad_id: int) -> list[SquadIrritant]:
    """The public irritants assigned to a squad (no spam, no duplicate, none empty), most people affected first."""
    stmt = (
        select(Cluster)
        .where(
            Cluster.squad_id == squad_id,
            Cluster.status.not_in((StatusKind.SPAM, StatusKind.DUPLICATE)),
            (Cluster.size > 0) | (Cluster.supporters > 0),
        )
        .order_by(Cluster.people.desc(), Cluster.id)
    )
    clusters = list(session.scalars(stmt))
    fixed = [c.id for c in clusters if c.status == StatusKind.FIXED]
    notes: dict[int, str | None] = {}
    if fixed:
        # The newest decision that made each fixed irritant « fixed » carries the note citizens were given.
        events = session.scalars(
            select(Event)
            .where(Event.cluster_id.in_(fixed), Event.action == "cluster.status")
            .order_by(Event.created_at, Event.id)
        )
        for event in events:
            if (event.after or {}).get("status") == StatusKind.FIXED:
                notes[event.cluster_id] = event.public_note
    recent = stats.inflow(session, [c.id for c in clusters], days=INFLOW_DAYS)
    return [
        SquadIrritant(c, c.fixed_at if c.status == StatusKind.FIXED else None, notes.get(c.id), recent.get(c.id, 0))
        for c in clusters
    ]
