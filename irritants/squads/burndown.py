"""Progress of sprints, replayed from the log of item changes (pure: plain inputs, no Flask, no database).

Every day of a sprint is read at its end, the midnight after it in metropolitan France (a change at 00:30 in
Paris belongs to that day, whatever UTC says, summer time or not): which items were in the sprint, in which state,
with how many points, linked to which irritants. Nothing is kept about the past but the log, so any past day can
be recomputed, and a re-opened item counts again and an item added mid-sprint raises the line by construction.

- **Points**: points remaining (items of the sprint not done), the scope (points of every item of the sprint)
  and the ideal line, which burns each day's scope evenly down to zero on the last day: an item added on
  day *i* of *n* raises the ideal by its points × (n − i) / n from that day on, so a change of scope shows.
- **People**: the people affected by the irritants linked to the sprint's items that are not fixed at the end of
  the day: reporters and counted supporters, each person once however many irritants they are in (the people
  an irritant's ranking counts, as of that day).
- **Velocity**: per sprint, the points done and the irritants fixed while it ran.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from irritants.french import PARIS

DONE = "done"
FIXED = "fixed"


@dataclass(frozen=True)
class Change:
    """One row of the item change log (``field``: created, state, sprint, points, link, unlink…)."""

    item_id: int
    at: dt.datetime
    field: str
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True)
class StatusStep:
    """An irritant reached ``status`` at ``at`` (from the audit log of decisions)."""

    cluster_id: int
    at: dt.datetime
    status: str


@dataclass(frozen=True)
class Person:
    """Someone affected by an irritant since ``since`` (a reporter or a counted supporter; ``who``: their key)."""

    cluster_id: int
    who: str
    since: dt.datetime


@dataclass(frozen=True)
class SprintSpan:
    id: int
    number: int
    starts_on: dt.date
    ends_on: dt.date
    closed_at: dt.datetime | None = None


@dataclass
class ItemView:
    """An item as the log says it was at some moment."""

    state: str = "todo"
    sprint_id: int | None = None
    points: int | None = None
    clusters: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class BurndownDay:
    date: dt.date
    points_remaining: int | None  # None: a day still to come
    scope: int
    ideal: float
    people_affected: int | None


@dataclass(frozen=True)
class SprintResult:
    sprint_id: int
    number: int
    points_done: int
    irritants_fixed: int


def end_of(day: dt.date) -> dt.datetime:
    """The moment a day is read at: the midnight that ends it in Paris (23 or 25 hours after the last on the days the
    clocks change)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=PARIS)


def _int(value: str | None) -> int | None:
    return None if value in (None, "") else int(value)


def items_at(changes: Iterable[Change], moment: dt.datetime) -> dict[int, ItemView]:
    """Every item that existed before ``moment``, as the changes logged before it left it."""
    items: dict[int, ItemView] = {}
    for change in sorted((c for c in changes if c.at < moment), key=lambda c: c.at):
        item = items.setdefault(change.item_id, ItemView())
        if change.field == "state":
            item.state = change.new or "todo"
        elif change.field == "sprint":
            item.sprint_id = _int(change.new)
        elif change.field == "points":
            item.points = _int(change.new)
        elif change.field == "link" and change.new is not None:
            item.clusters.add(int(change.new))
        elif change.field == "unlink" and change.old is not None:
            item.clusters.discard(int(change.old))
    return items


def _in_sprint(items: dict[int, ItemView], sprint_id: int) -> list[ItemView]:
    return [item for item in items.values() if item.sprint_id == sprint_id]


def fixed_at(steps: Iterable[StatusStep], moment: dt.datetime) -> set[int]:
    """The irritants whose last status before ``moment`` is fixed."""
    last: dict[int, tuple[dt.datetime, str]] = {}
    for step in steps:
        if step.at < moment and (step.cluster_id not in last or last[step.cluster_id][0] <= step.at):
            last[step.cluster_id] = (step.at, step.status)
    return {cluster_id for cluster_id, (_, status) in last.items() if status == FIXED}


def people_affected(people: Iterable[Person], clusters: set[int], moment: dt.datetime) -> int:
    """Distinct people of these irritants who had come forward before ``moment``."""
    return len({p.who for p in people if p.cluster_id in clusters and p.since < moment})


def burndown(
    sprint: SprintSpan,
    changes: Sequence[Change],
    steps: Sequence[StatusStep] = (),
    people: Sequence[Person] = (),
    *,
    today: dt.date | None = None,
) -> list[BurndownDay]:
    """One row per day of the sprint: points remaining, scope, ideal line and people affected (None after today)."""
    length = (sprint.ends_on - sprint.starts_on).days
    days: list[BurndownDay] = []
    scope = 0
    for index in range(length + 1):
        day = sprint.starts_on + dt.timedelta(days=index)
        future = today is not None and day > today
        remaining = affected = None
        if not future:
            moment = end_of(day)
            items = _in_sprint(items_at(changes, moment), sprint.id)
            scope = sum(item.points or 0 for item in items)
            remaining = sum(item.points or 0 for item in items if item.state != DONE)
            linked = set().union(*(item.clusters for item in items)) - fixed_at(steps, moment)
            affected = people_affected(people, linked, moment)
        ideal = round(scope * (length - index) / length, 2) if length else 0.0
        days.append(BurndownDay(day, remaining, scope, ideal, affected))
    return days


def sprint_results(
    sprints: Iterable[SprintSpan], changes: Sequence[Change], steps: Sequence[StatusStep] = ()
) -> list[SprintResult]:
    """Velocity: per sprint, the points of its items done when it closed (or at the end of its last day) and the
    irritants linked to them that became fixed while it ran."""
    results = []
    for sprint in sorted(sprints, key=lambda s: s.number):
        moment = sprint.closed_at or end_of(sprint.ends_on)
        start = dt.datetime.combine(sprint.starts_on, dt.time(), tzinfo=PARIS)
        items = _in_sprint(items_at(changes, moment), sprint.id)
        linked = set().union(*(item.clusters for item in items))
        fixed = {s.cluster_id for s in steps if s.status == FIXED and start <= s.at < moment and s.cluster_id in linked}
        done = sum(item.points or 0 for item in items if item.state == DONE)
        results.append(SprintResult(sprint.id, sprint.number, done, len(fixed)))
    return results
