"""Burndown in points and in people, and velocity, replayed from a constructed log (answers computed by hand)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from irritants.squads.burndown import (
    BurndownDay,
    Change,
    Person,
    SprintResult,
    SprintSpan,
    StatusStep,
    burndown,
    sprint_results,
)


def at(day: int, hour: int = 12, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


def created(item: int, when: dt.datetime, points: int | None, sprint: int | None, *clusters: int) -> list[Change]:
    rows = [Change(item, when, "created", None, f"item {item}"), Change(item, when, "state", None, "todo")]
    if points is not None:
        rows.append(Change(item, when, "points", None, str(points)))
    if sprint is not None:
        rows.append(Change(item, when, "sprint", None, str(sprint)))
    rows += [Change(item, when, "link", None, str(c)) for c in clusters]
    return rows


def state(item: int, when: dt.datetime, old: str, new: str) -> Change:
    return Change(item, when, "state", old, new)


# Sprint 7 (id 1) runs Monday 7 to Friday 11 December: four steps from its first day to its last.
SPRINT = SprintSpan(1, 7, dt.date(2026, 12, 7), dt.date(2026, 12, 11))
EARLIER = SprintSpan(2, 6, dt.date(2026, 11, 23), dt.date(2026, 12, 4), closed_at=at(4, 18))
CHANGES = [
    *created(1, at(4), 5, 1, 100),  # A: 5 points, irritant 100
    *created(2, at(4), 3, 1, 101),  # B: 3 points, irritant 101
    *created(4, at(4), 8, None),  # D: product backlog, never in the sprint
    *created(5, at(23, month=11), 1, 2),  # E: the earlier sprint's
    state(5, at(30, month=11), "todo", "done"),
    state(1, at(7, 10), "todo", "in_progress"),
    state(1, at(8, 15), "in_progress", "done"),
    *created(3, at(9, 9), 2, 1, 100, 102),  # C: added mid-sprint, 2 points, irritants 100 and 102
    state(2, at(9, 16), "todo", "done"),
    state(2, at(10, 11), "done", "todo"),  # B re-opened
    state(3, at(10, 17), "todo", "done"),
]
STEPS = [
    StatusStep(101, at(9, 18), "fixed"),
    StatusStep(100, at(3), "planned"),
    StatusStep(100, at(10, 12), "fixed"),
    StatusStep(103, at(8), "fixed"),
]
PEOPLE = [
    Person(100, "p1", at(1)),
    Person(100, "p2", at(1)),
    Person(101, "p2", at(1)),  # the same person in two irritants counts once
    Person(101, "p3", at(8, 12)),  # came forward on the second day
    Person(102, "p4", at(1)),
    Person(103, "p5", at(1)),  # an irritant the sprint does not work on
]


def test_points_remaining_follow_done_reopened_and_added_items_and_the_ideal_line_rises_with_the_scope():
    days = burndown(SPRINT, CHANGES, STEPS, PEOPLE, today=dt.date(2026, 12, 10))

    assert days == [
        # 7th: A and B, 8 points, nothing done yet; people of 100 and 101: p1, p2 (p3 not yet).
        BurndownDay(dt.date(2026, 12, 7), 8, 8, 8.0, 2),
        # 8th: A done (3 left); the ideal burns 8 over four steps; p3 came forward.
        BurndownDay(dt.date(2026, 12, 8), 3, 8, 6.0, 3),
        # 9th: C added (scope 10: the ideal line rises to 10 × 2/4), B done (2 left: C's);
        # 101 fixed that evening: p1, p2 (100) and p4 (102).
        BurndownDay(dt.date(2026, 12, 9), 2, 10, 5.0, 3),
        # 10th: B re-opened (counts again), C done: 3 left; 100 fixed too: only p4 (102) still blocked.
        BurndownDay(dt.date(2026, 12, 10), 3, 10, 2.5, 1),
        # 11th: still to come.
        BurndownDay(dt.date(2026, 12, 11), None, 10, 0.0, None),
    ]


def test_a_day_replayed_later_gives_the_same_answer_as_on_the_day():
    # Changes logged after a day do not alter what that day shows.
    on_the_day = burndown(SPRINT, CHANGES[:-2], STEPS, PEOPLE, today=dt.date(2026, 12, 9))
    later = burndown(SPRINT, CHANGES, STEPS, PEOPLE, today=dt.date(2026, 12, 11))
    assert on_the_day[:3] == later[:3]
    assert later[-1].points_remaining == 3


def test_velocity_counts_points_done_and_irritants_fixed_per_sprint():
    closed = SprintSpan(1, 7, SPRINT.starts_on, SPRINT.ends_on, closed_at=at(11, 18))
    assert sprint_results([closed, EARLIER], CHANGES, STEPS) == [
        SprintResult(2, 6, 1, 0),  # E done; no irritant
        SprintResult(1, 7, 7, 2),  # A and C done (B re-opened); 100 and 101 fixed while it ran (103 is not linked)
    ]


def test_an_item_unlinked_from_an_irritant_stops_counting_its_people():
    changes = [*created(1, at(4), 5, 1, 100), Change(1, at(7, 14), "unlink", "100", None)]
    days = burndown(SPRINT, changes, people=PEOPLE, today=dt.date(2026, 12, 7))
    assert days[0].people_affected == 0
    assert days[0].points_remaining == 5


PARIS = ZoneInfo("Europe/Paris")


def test_a_day_ends_at_midnight_in_paris_on_both_sides_of_the_clock_changes():
    # Summer time starts on Sunday 29 March 2026 and ends on Sunday 25 October 2026.
    for first, last, moments in (
        (dt.date(2026, 3, 27), dt.date(2026, 3, 31), [(28, 0), (29, 0), (30, 0)]),
        (dt.date(2026, 10, 23), dt.date(2026, 10, 27), [(24, 0), (25, 0), (26, 0)]),
    ):
        sprint = SprintSpan(1, 1, first, last)
        changes = created(1, dt.datetime.combine(first, dt.time(9), tzinfo=PARIS), 3, 1)
        changes += created(2, dt.datetime.combine(first, dt.time(9), tzinfo=PARIS), 5, 1)
        changes += created(3, dt.datetime.combine(first, dt.time(9), tzinfo=PARIS), 8, 1)
        # Each item done at 00:30 in Paris (the evening before in UTC): it counts for that Paris day.
        for item, (day, _) in enumerate(moments, start=1):
            half_past = dt.datetime(first.year, first.month, day, 0, 30, tzinfo=PARIS)
            assert half_past.astimezone(dt.UTC).day == day - 1
            changes.append(state(item, half_past, "todo", "done"))
        days = burndown(sprint, changes)
        assert [(d.date.day, d.points_remaining) for d in days] == [
            (first.day, 16), (first.day + 1, 13), (first.day + 2, 8), (first.day + 3, 0), (first.day + 4, 0)
        ]  # fmt: skip


def test_a_closed_sprints_velocity_counts_a_fix_made_just_after_midnight_in_paris_on_its_first_day():
    sprint = SprintSpan(1, 1, dt.date(2026, 3, 30), dt.date(2026, 4, 3), closed_at=at(3, 16, month=4))
    changes = created(1, dt.datetime(2026, 3, 27, 10, tzinfo=PARIS), 2, 1, 40)
    changes.append(state(1, dt.datetime(2026, 4, 1, 10, tzinfo=PARIS), "todo", "done"))
    early = dt.datetime(2026, 3, 30, 0, 15, tzinfo=PARIS)  # 29 March, 22:15 UTC
    assert sprint_results([sprint], changes, [StatusStep(40, early, "fixed")]) == [SprintResult(1, 1, 2, 1)]
