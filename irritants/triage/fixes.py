"""« Correctif livré »: the one way an irritant becomes fixed, and what invites a squad to declare it.

Finishing every backlog item of an irritant is not the same as the problem being gone for citizens, so nothing
makes an irritant fixed by itself: its squad's product owner (or an admin) declares the fix, with the day it was
delivered and a public note citizens read on their tracking page. A plain status change to « fixed » is refused
(``decisions.check_status``).

Decisions:
- a fix is declared from ``in_progress``, and also from ``planned`` and ``regressed`` (a fix delivered before the
  board caught up, or a regression fixed again): the irritant then takes the workflow's step to ``in_progress``
  first, audited, in the same transaction, so the table of ``status.py`` stays the truth about which steps exist;
- ``fixed_on`` is a day in Paris time, not in the future and not before the irritant's first report;
- ``clusters.fixed_on`` keeps the last declared fix day when the irritant is later reopened or regresses (the
  history of fixes shipped; its status says whether it is fixed now).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from irritants.auth.policy import Action, Agent
from irritants.clusters.models import Cluster
from irritants.french import to_paris_time, today
from irritants.intake.models import Report
from irritants.squads.sprints import BacklogItem, BacklogItemCluster, ItemState
from irritants.status import StatusKind
from irritants.triage.decisions import apply_status
from irritants.triage.tracking import clean_public_note
from irritants.triage.workflow import (
    allow,
    check_transition,
    check_version,
    clean_reason,
    get_cluster,
    invalid,
    quoted,
)

S = StatusKind
#: Where a fix may be declared from (``planned`` and ``regressed`` through ``in_progress``).
FIXABLE = (S.PLANNED, S.IN_PROGRESS, S.REGRESSED)


def first_report_day(session: Session, cluster: Cluster) -> dt.date:
    """The day (Paris time) of the irritant's first report, or of the irritant itself when it holds none."""
    first = session.scalar(select(func.min(Report.created_at)).where(Report.cluster_id == cluster.id))
    return to_paris_time(first or cluster.created_at).date()


def check_fix_day(session: Session, cluster: Cluster, fixed_on: dt.date | None) -> dt.date:
    """The day the fix was delivered: given, not in the future, not before the first report."""
    if fixed_on is None:
        raise invalid("fixed_on", "Indiquez la date de livraison du correctif.")
    if fixed_on > today():
        raise invalid("fixed_on", "La date de livraison du correctif ne peut pas être dans le futur.")
    first = first_report_day(session, cluster)
    if fixed_on < first:
        message = f"Le correctif ne peut pas dater d'avant le premier signalement de l'irritant ({first:%d/%m/%Y})."
        raise invalid("fixed_on", message)
    return fixed_on


def declare_fix(
    session: Session,
    agent: Agent,
    cluster_id: int,
    *,
    fixed_on: dt.date | None,
    public_note: str | None,
    expected_version: int | None = None,
    reason: str | None = None,
) -> Cluster:
    """« Correctif livré »: the irritant becomes fixed on ``fixed_on``, citizens read ``public_note``."""
    cluster = get_cluster(session, cluster_id)
    reason = clean_reason(reason)
    allow(agent, Action.DECLARE_FIX, cluster)
    check_version(cluster, expected_version)
    if cluster.status not in FIXABLE:
        choices = ", ".join(quoted(s) for s in FIXABLE)
        message = f"Un correctif se déclare pour un irritant {choices} ; celui-ci est {quoted(cluster.status)}."
        raise invalid("to", message)
    day = check_fix_day(session, cluster, fixed_on)
    note = clean_public_note(public_note)
    if not note:
        raise invalid("public_note", "Rédigez la note publique : c'est ce que les usagers liront du correctif.")
    why = reason or f"Correctif livré le {day:%d/%m/%Y}."
    if cluster.status != S.IN_PROGRESS:
        check_transition(cluster.status, S.IN_PROGRESS)
        apply_status(session, agent, cluster, S.IN_PROGRESS, None, None, why)
    check_transition(cluster.status, S.FIXED)
    apply_status(session, agent, cluster, S.FIXED, None, None, why, note, fixed_on=day)
    return cluster


# --- what the board and the irritant's page invite the product owner to do --------------------------------------


def _with_items(squad_id: int | None, cluster_ids: Iterable[int] | None) -> tuple[Any, Any]:
    """The irritants in scope, each with how many items work on it and how many of them are done."""
    done = func.sum(case((BacklogItem.state == ItemState.DONE, 1), else_=0))
    stmt = (
        select(Cluster.id, func.count(BacklogItem.id), done)
        .join(BacklogItemCluster, BacklogItemCluster.cluster_id == Cluster.id)
        .join(BacklogItem, BacklogItem.id == BacklogItemCluster.item_id)
        .group_by(Cluster.id)
    )
    if squad_id is not None:
        stmt = stmt.where(Cluster.squad_id == squad_id)
    if cluster_ids is not None:
        stmt = stmt.where(Cluster.id.in_(sorted(set(cluster_ids)) or [0]))
    return stmt, done


def _clusters(session: Session, ids: list[int]) -> list[Cluster]:
    if not ids:
        return []
    return list(session.scalars(select(Cluster).where(Cluster.id.in_(ids)).order_by(Cluster.id)))


def awaiting_fix(
    session: Session, *, squad_id: int | None = None, cluster_ids: Iterable[int] | None = None
) -> list[Cluster]:
    """Irritants not yet fixed (of that squad, or among those ids) whose every linked item is done, at least one: the
    invitation to declare « correctif livré »."""
    stmt, done = _with_items(squad_id, cluster_ids)
    stmt = stmt.where(Cluster.status.in_(FIXABLE)).having(func.count(BacklogItem.id) == done)
    return _clusters(session, [row[0] for row in session.execute(stmt)])


def reopened_after_fix(
    session: Session, *, squad_id: int | None = None, cluster_ids: Iterable[int] | None = None
) -> list[Cluster]:
    """Fixed irritants (of that squad, or among those ids) with a linked item not done: the product owner decides
    whether the problem is back (nothing un-fixes an irritant by itself)."""
    stmt, done = _with_items(squad_id, cluster_ids)
    stmt = stmt.where(Cluster.status == S.FIXED).having(func.count(BacklogItem.id) > done)
    return _clusters(session, [row[0] for row in session.execute(stmt)])
