"""A squad's sprints: create, edit, start and close (the caller commits; lifecycle events go to the audit log)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.audit.services import Actor, record
from irritants.db import utcnow
from irritants.errors import NotFoundError, ValidationFailed
from irritants.sanitize import clean_text
from irritants.squads.backlog import STALE_SPRINT, check_version, flush, get_sprint, get_squad, invalid, set_field
from irritants.squads.sprint_rules import SprintDates, SprintRuleBroken, check_dates, check_editable, check_move
from irritants.squads.sprint_rules import next_number as _next_number
from irritants.squads.sprints import BacklogItem, ItemField, ItemState, Sprint, SprintState, Unfinished


def _rule(exc: SprintRuleBroken) -> ValidationFailed:
    return invalid(exc.field, exc.message)


def _sprint_fields(sprint: Sprint) -> dict[str, Any]:
    return {
        "number": sprint.number,
        "starts_on": sprint.starts_on,
        "ends_on": sprint.ends_on,
        "goal": sprint.goal,
        "state": sprint.state,
    }


def _others(session: Session, squad_id: int, exclude: int | None = None) -> list[SprintDates]:
    rows = session.execute(
        select(Sprint.number, Sprint.starts_on, Sprint.ends_on).where(
            Sprint.squad_id == squad_id, Sprint.id != (exclude or 0)
        )
    )
    return [SprintDates(*row) for row in rows]


def create_sprint(
    session: Session, actor: Actor | None, squad_id: int, *, starts_on: dt.date, ends_on: dt.date, goal: str = ""
) -> Sprint:
    """A new planned sprint of the squad, numbered after its last one; refused when its dates overlap another."""
    get_squad(session, squad_id)
    try:
        check_dates(starts_on, ends_on, _others(session, squad_id))
    except SprintRuleBroken as exc:
        raise _rule(exc) from None
    numbers = session.scalars(select(Sprint.number).where(Sprint.squad_id == squad_id))
    sprint = Sprint(
        squad_id=squad_id, number=_next_number(numbers), starts_on=starts_on, ends_on=ends_on, goal=clean_text(goal)
    )
    session.add(sprint)
    session.flush()
    record(session, actor, "sprint.create", "sprint", sprint.id, after=_sprint_fields(sprint))
    return sprint


def edit_sprint(
    session: Session,
    actor: Actor | None,
    sprint_id: int,
    *,
    expected_version: int | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    goal: str | None = None,
    review_notes: str | None = None,
) -> Sprint:
    """Change a sprint's dates (not once closed), goal or review notes."""
    sprint = get_sprint(session, sprint_id)
    check_version(sprint, expected_version)
    before = _sprint_fields(sprint) | {"review_notes": sprint.review_notes}
    try:
        if (starts_on or sprint.starts_on, ends_on or sprint.ends_on) != (sprint.starts_on, sprint.ends_on):
            check_editable(sprint.state)
            check_dates(
                starts_on or sprint.starts_on, ends_on or sprint.ends_on, _others(session, sprint.squad_id, sprint.id)
            )
    except SprintRuleBroken as exc:
        raise _rule(exc) from None
    sprint.starts_on, sprint.ends_on = starts_on or sprint.starts_on, ends_on or sprint.ends_on
    if goal is not None:
        sprint.goal = clean_text(goal)
    if review_notes is not None:
        sprint.review_notes = clean_text(review_notes)
    after = _sprint_fields(sprint) | {"review_notes": sprint.review_notes}
    if after != before:
        flush(session, STALE_SPRINT)
        changed = [key for key in after if after[key] != before[key]]
        record(
            session, actor, "sprint.edit", "sprint", sprint.id,
            before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
        )  # fmt: skip
    return sprint


def start_sprint(
    session: Session,
    actor: Actor | None,
    sprint_id: int,
    *,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Sprint:
    """A planned sprint becomes the squad's active one (one at a time)."""
    sprint = get_sprint(session, sprint_id)
    check_version(sprint, expected_version)
    active = session.scalar(
        select(Sprint.number).where(Sprint.squad_id == sprint.squad_id, Sprint.state == SprintState.ACTIVE)
    )
    try:
        check_move(sprint.state, SprintState.ACTIVE, other_active=active)
    except SprintRuleBroken as exc:
        raise _rule(exc) from None
    sprint.state, sprint.started_at = SprintState.ACTIVE, now or utcnow()
    flush(session, STALE_SPRINT)
    record(session, actor, "sprint.start", "sprint", sprint.id, before={"state": "planned"}, after={"state": "active"})
    return sprint


def next_planned(session: Session, sprint: Sprint) -> Sprint | None:
    """The squad's first planned sprint after this one: where a closing sprint may send its unfinished items."""
    return session.scalar(
        select(Sprint)
        .where(
            Sprint.squad_id == sprint.squad_id, Sprint.state == SprintState.PLANNED, Sprint.starts_on > sprint.ends_on
        )
        .order_by(Sprint.starts_on)
        .limit(1)
    )


def close_sprint(
    session: Session,
    actor: Actor | None,
    sprint_id: int,
    *,
    unfinished: Unfinished,
    expected_version: int | None = None,
    review_notes: str | None = None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Close an active sprint; its unfinished items go to the squad's next planned sprint or back to the product
    backlog, as asked, and the choice is recorded. Returns the ids of the items moved."""
    sprint = get_sprint(session, sprint_id)
    check_version(sprint, expected_version)
    try:
        check_move(sprint.state, SprintState.CLOSED)
    except SprintRuleBroken as exc:
        raise _rule(exc) from None
    unfinished = Unfinished(unfinished)
    target = None
    if unfinished == Unfinished.NEXT_SPRINT:
        target = next_planned(session, sprint)
        if target is None:
            raise invalid(
                "unfinished",
                "Aucun sprint suivant n'est prévu pour cette start-up d'État : créez-le d'abord, ou renvoyez les "
                "éléments non terminés dans le backlog produit.",
            )
    now = now or utcnow()
    items = session.scalars(
        select(BacklogItem)
        .where(BacklogItem.sprint_id == sprint.id, BacklogItem.state != ItemState.DONE)
        .order_by(BacklogItem.rank)
    ).all()
    for item in items:
        set_field(session, actor, item, ItemField.SPRINT, "sprint_id", target.id if target else None, now)
    sprint.state, sprint.closed_at, sprint.unfinished_to = SprintState.CLOSED, now, unfinished
    if review_notes is not None:
        sprint.review_notes = clean_text(review_notes)
    flush(session, STALE_SPRINT)
    record(
        session, actor, "sprint.close", "sprint", sprint.id, before={"state": "active"},
        after={"state": "closed", "unfinished_to": unfinished, "next_sprint_id": target.id if target else None,
               "moved_items": [item.id for item in items]},
    )  # fmt: skip
    return [item.id for item in items]


def sprint_by_number(session: Session, squad_id: int, number: int) -> Sprint:
    """The squad's sprint with this number (as its pages name it), or a 404."""
    sprint = None
    if 0 < number < 2**31:  # a larger number is no sprint's (and PostgreSQL would refuse to compare it)
        sprint = session.scalar(select(Sprint).where(Sprint.squad_id == squad_id, Sprint.number == number))
    if sprint is None:
        raise NotFoundError("Ce sprint n'existe pas.")
    return sprint


def current_sprint(session: Session, squad_id: int) -> Sprint | None:
    """The squad's active sprint, if one is running (at most one is: ``start_sprint`` sees to it)."""
    stmt = select(Sprint).where(Sprint.squad_id == squad_id, Sprint.state == SprintState.ACTIVE)
    return session.scalars(stmt.order_by(Sprint.number.desc()).limit(1)).first()
