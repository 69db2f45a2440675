"""The rules of a squad's sprints, as plain functions (no Flask, no database): dates, numbers, state moves.

Each refusal is a ``SprintRuleBroken`` carrying the field it is about and the French sentence agents read; the
services turn it into the domain's 422.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

PLANNED, ACTIVE, CLOSED = "planned", "active", "closed"

# Which state may follow which: a sprint is planned, then active, then closed, and never goes back.
SPRINT_MOVES: dict[str, frozenset[str]] = {
    PLANNED: frozenset({ACTIVE}),
    ACTIVE: frozenset({CLOSED}),
    CLOSED: frozenset(),
}
_LABELS = {PLANNED: "prévu", ACTIVE: "en cours", CLOSED: "terminé"}


class SprintRuleBroken(ValueError):
    """A sprint rule refused a change: ``field`` names the input, ``message`` says why in French."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class SprintDates:
    """Another sprint of the same squad, as far as dates go."""

    number: int
    starts_on: dt.date
    ends_on: dt.date


def _fr(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def check_dates(starts_on: dt.date, ends_on: dt.date, others: Iterable[SprintDates] = ()) -> None:
    """End after start, and no day shared with another sprint of the squad (both ends are days of the sprint)."""
    if ends_on <= starts_on:
        raise SprintRuleBroken("ends_on", "La date de fin du sprint doit être postérieure à sa date de début.")
    for other in sorted(others, key=lambda o: o.starts_on):
        if starts_on <= other.ends_on and other.starts_on <= ends_on:
            raise SprintRuleBroken(
                "starts_on",
                f"Ces dates chevauchent le sprint {other.number} de l'équipe (du {_fr(other.starts_on)} au "
                f"{_fr(other.ends_on)}) : deux sprints d'une même start-up d'État ne peuvent pas se recouvrir.",
            )


def next_number(numbers: Iterable[int]) -> int:
    """A squad's sprints are numbered 1, 2, 3… in order of creation; a number is never reused."""
    return max(numbers, default=0) + 1


def check_move(current: str, to: str, *, other_active: int | None = None) -> None:
    """Planned → active → closed only; one active sprint per squad at a time (``other_active``: its number)."""
    if to not in SPRINT_MOVES[current]:
        if current == to:
            raise SprintRuleBroken("state", f"Le sprint est déjà « {_LABELS[to]} » : rien n'a changé.")
        raise SprintRuleBroken("state", f"Un sprint « {_LABELS[current]} » ne peut pas passer à « {_LABELS[to]} ».")
    if to == ACTIVE and other_active is not None:
        raise SprintRuleBroken(
            "state", f"Le sprint {other_active} est déjà en cours : terminez-le avant d'en commencer un autre."
        )


def check_editable(state: str) -> None:
    """A closed sprint keeps its dates (its burndown and the velocity read them); its review notes stay editable."""
    if state == CLOSED:
        raise SprintRuleBroken("starts_on", "Un sprint terminé garde ses dates.")
