"""Sprint rules: dates, numbering, state moves."""

from __future__ import annotations

import datetime as dt

import pytest

from irritants.squads.sprint_rules import SprintDates, SprintRuleBroken, check_dates, check_move, next_number

D = dt.date
SIX = SprintDates(6, D(2026, 11, 23), D(2026, 12, 4))


def test_the_end_must_come_after_the_start():
    with pytest.raises(SprintRuleBroken) as caught:
        check_dates(D(2026, 12, 7), D(2026, 12, 7))
    assert caught.value.field == "ends_on"
    assert "postérieure" in caught.value.message
    with pytest.raises(SprintRuleBroken):
        check_dates(D(2026, 12, 7), D(2026, 12, 6))
    check_dates(D(2026, 12, 7), D(2026, 12, 8))


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        (D(2026, 12, 4), D(2026, 12, 18)),  # starts on the other's last day
        (D(2026, 11, 16), D(2026, 11, 23)),  # ends on the other's first day
        (D(2026, 11, 25), D(2026, 11, 27)),  # inside
        (D(2026, 11, 1), D(2026, 12, 31)),  # around
    ],
)
def test_two_sprints_of_a_squad_may_not_share_a_day(starts, ends):
    with pytest.raises(SprintRuleBroken) as caught:
        check_dates(starts, ends, [SIX])
    assert caught.value.message == (
        "Ces dates chevauchent le sprint 6 de l'équipe (du 23/11/2026 au 04/12/2026) : deux sprints d'une même "
        "start-up d'État ne peuvent pas se recouvrir."
    )


def test_adjacent_sprints_are_fine():
    check_dates(D(2026, 12, 5), D(2026, 12, 18), [SIX])
    check_dates(D(2026, 11, 9), D(2026, 11, 22), [SIX])


def test_sprints_are_numbered_after_the_highest_number_never_reusing_one():
    assert next_number([]) == 1
    assert next_number([1, 2, 3]) == 4
    assert next_number([1, 3]) == 4


def test_a_sprint_moves_from_planned_to_active_to_closed_only():
    check_move("planned", "active")
    check_move("active", "closed")
    for current, to in [("planned", "closed"), ("active", "planned"), ("closed", "active"), ("closed", "planned")]:
        with pytest.raises(SprintRuleBroken):
            check_move(current, to)
    with pytest.raises(SprintRuleBroken, match="déjà « en cours »"):
        check_move("active", "active")


def test_one_active_sprint_per_squad():
    with pytest.raises(SprintRuleBroken, match="Le sprint 6 est déjà en cours"):
        check_move("planned", "active", other_active=6)
