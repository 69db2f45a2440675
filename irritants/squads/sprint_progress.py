"""Progress of a squad's sprints read from the database: the burndown in points and in people, the velocity.

The item change log gives the items' past, the audit log the irritants' statuses, and the people come through the
``PeopleReader`` the caller hands in (``clusters.stats.people_since``: squads sit below irritants); the pure
``squads.burndown`` does the counting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from irritants import french
from irritants.audit.models import Event
from irritants.squads import burndown as bd
from irritants.squads.backlog import get_sprint
from irritants.squads.sprints import BacklogItemChange, ItemField, Sprint, SprintState


class PeopleReader(Protocol):
    """(irritant, person, since) rows of the people some irritants count: ``clusters.stats.people_since``."""

    def __call__(self, session: Session, cluster_ids: Iterable[int]) -> Iterable[tuple[int, str, dt.datetime]]: ...


def _changes(session: Session, item_ids: Iterable[int]) -> list[bd.Change]:
    ids = sorted(set(item_ids))
    if not ids:
        return []
    rows = session.scalars(
        select(BacklogItemChange)
        .where(BacklogItemChange.item_id.in_(ids))
        .order_by(BacklogItemChange.changed_at, BacklogItemChange.id)
    )
    return [bd.Change(c.item_id, c.changed_at, c.field.value, c.old_value, c.new_value) for c in rows]


def _ever_in(session: Session, sprint_ids: list[int]) -> list[int]:
    values = [str(i) for i in sprint_ids]
    stmt = select(BacklogItemChange.item_id).where(
        BacklogItemChange.field == ItemField.SPRINT,
        or_(BacklogItemChange.new_value.in_(values), BacklogItemChange.old_value.in_(values)),
    )
    return list(session.scalars(stmt.distinct()))


def _status_steps(session: Session, cluster_ids: set[int]) -> list[bd.StatusStep]:
    if not cluster_ids:
        return []
    rows = session.scalars(
        select(Event).where(Event.action == "cluster.status", Event.cluster_id.in_(sorted(cluster_ids)))
    )
    return [bd.StatusStep(e.cluster_id, e.created_at, str(e.after.get("status"))) for e in rows if e.cluster_id]


def _linked(changes: list[bd.Change]) -> set[int]:
    # Every irritant ever linked to these items: which ones count on a given day is the replay's business.
    return {int(c.new or 0) for c in changes if c.field == ItemField.LINK} | {
        int(c.old or 0) for c in changes if c.field == ItemField.UNLINK
    }


def _span(sprint: Sprint) -> bd.SprintSpan:
    return bd.SprintSpan(sprint.id, sprint.number, sprint.starts_on, sprint.ends_on, sprint.closed_at)


def sprint_burndown(
    session: Session, sprint_id: int, *, people: PeopleReader, today: dt.date | None = None
) -> list[bd.BurndownDay]:
    """Per day of the sprint: points remaining, scope, ideal line and people affected, from the change log."""
    sprint = get_sprint(session, sprint_id)
    changes = _changes(session, _ever_in(session, [sprint.id]))
    clusters = _linked(changes)
    rows = [bd.Person(cid, who, since) for cid, who, since in people(session, clusters)]
    today = today or french.today()
    return bd.burndown(_span(sprint), changes, _status_steps(session, clusters), rows, today=today)


def squad_velocity(session: Session, squad_id: int, *, last: int = 6) -> list[bd.SprintResult]:
    """Points done and irritants fixed in each of the squad's last closed sprints, oldest first."""
    sprints = session.scalars(
        select(Sprint)
        .where(Sprint.squad_id == squad_id, Sprint.state == SprintState.CLOSED)
        .order_by(Sprint.number.desc())
        .limit(last)
    ).all()
    return sprint_results(session, sprints)


def sprint_results(session: Session, sprints: Iterable[Sprint]) -> list[bd.SprintResult]:
    """Points done and irritants fixed in each of these sprints, oldest first: when it closed, or as of now for a
    sprint still open (its list of sprints shows them all)."""
    sprints = list(sprints)
    changes = _changes(session, _ever_in(session, [s.id for s in sprints]))
    clusters = _linked(changes)
    return bd.sprint_results([_span(s) for s in sprints], changes, _status_steps(session, clusters))
