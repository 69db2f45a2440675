"""The life-cycle of a start-up d'État (irritants/squads/phases.py): the table's shape, its ends, what moves need."""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

import pytest

from irritants.squads import phases
from irritants.squads.phases import (
    ENDS,
    MOVES,
    NOTE_REQUIRED,
    PHASE_BADGES,
    PHASE_LABELS,
    STARTS,
    SquadPhase,
    allowed_moves,
    refusal,
)
from tests.python_source import parse

P = SquadPhase


def reachable_from(start: SquadPhase) -> set[SquadPhase]:
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in MOVES[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def test_phases_module_is_pure_standard_library():
    tree = parse(Path(phases.__file__))
    imported = {alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "enum", "typing"}


def test_codes_are_the_ascii_ones_the_api_promises():
    assert [str(p) for p in SquadPhase] == [
        "investigation", "construction", "acceleration", "transfert", "perennise", "abandon",
    ]  # fmt: skip
    assert PHASE_LABELS[P.ACCELERATION] == "Accélération" and PHASE_LABELS[P.PERENNISE] == "Pérennisé"


def test_every_phase_has_moves_a_label_and_a_badge():
    assert set(MOVES) == set(PHASE_LABELS) == set(PHASE_BADGES) == set(SquadPhase)
    for targets in MOVES.values():
        assert targets <= set(SquadPhase)


def test_perennise_and_abandon_are_the_only_ends_and_nothing_leaves_them():
    assert {P.PERENNISE, P.ABANDON} == ENDS
    for end in ENDS:
        assert allowed_moves(end) == []
        assert refusal(end, P.CONSTRUCTION, "note").field == "phase"
        assert "fin" in refusal(end, P.CONSTRUCTION, "note").message


def test_the_life_cycle_goes_forward_one_step_at_a_time():
    assert allowed_moves(P.INVESTIGATION) == [P.CONSTRUCTION, P.ABANDON]
    assert allowed_moves(P.CONSTRUCTION) == [P.ACCELERATION, P.ABANDON]
    assert allowed_moves(P.ACCELERATION) == [P.TRANSFERT, P.PERENNISE, P.ABANDON]
    assert allowed_moves(P.TRANSFERT) == [P.PERENNISE, P.ABANDON]
    order = list(SquadPhase)
    for phase, targets in MOVES.items():
        for target in targets - {P.ABANDON}:
            assert order.index(target) > order.index(phase), (phase, target)


@pytest.mark.parametrize("phase", sorted(set(SquadPhase) - ENDS))
def test_every_open_phase_may_be_abandoned_and_reaches_both_ends(phase):
    assert P.ABANDON in MOVES[phase]
    assert reachable_from(phase) >= ENDS


def test_a_new_squad_starts_anywhere_but_at_an_end():
    assert set(SquadPhase) - ENDS == STARTS


def test_an_abandon_needs_its_post_mortem():
    assert {P.ABANDON} == NOTE_REQUIRED
    refused = refusal(P.CONSTRUCTION, P.ABANDON, "  ")
    assert refused.field == "note" and "post-mortem" in refused.message
    assert refusal(P.CONSTRUCTION, P.ABANDON, "Le besoin était couvert par un autre service.") is None
    assert refusal(P.INVESTIGATION, P.CONSTRUCTION, None) is None  # other moves need no note


def test_refusals_name_both_phases_and_the_possible_ones():
    refused = refusal(P.INVESTIGATION, P.TRANSFERT, None)
    assert refused.field == "phase"
    assert refused.message == (
        "Passage de « Investigation » à « Transfert » impossible : les phases possibles sont : "
        "« Construction », « Abandon »."
    )
    assert "déjà" in refusal(P.CONSTRUCTION, P.CONSTRUCTION, None).message
