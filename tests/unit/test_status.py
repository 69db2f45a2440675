"""The status vocabulary (irritants/status.py): the workflow table's shape, the sets built on it, and the words."""

from __future__ import annotations

import ast
import re
from collections import deque
from pathlib import Path

import pytest

from irritants import status
from irritants.status import (
    CITIZEN_STATUS_LABELS,
    CLOSED_STATUSES,
    RESHAPING_STATUSES,
    SQUAD_REQUIRED,
    SQUAD_STATUSES,
    STATUS_BADGES,
    STATUS_LABELS_AGENT,
    TRANSITIONS,
    StatusKind,
    allowed_transitions,
)
from tests.python_source import parse

S = StatusKind
BEFORE_THE_FIX = (S.NEW, S.TRIAGED, S.PLANNED, S.IN_PROGRESS)


def reachable_from(start: StatusKind) -> set[StatusKind]:
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in TRANSITIONS[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def test_status_module_is_pure_standard_library():
    tree = parse(Path(status.__file__))
    imported = {alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "enum"}


def test_kinds_are_strings_so_stored_columns_and_json_keep_their_values():
    assert [str(kind) for kind in StatusKind] == [
        "new", "triaged", "planned", "in_progress", "fixed", "regressed",
        "closed_not_fixed", "not_our_scope", "duplicate", "spam",
    ]  # fmt: skip
    assert StatusKind("in_progress") is S.IN_PROGRESS and S.FIXED == "fixed"


def test_allowed_transitions_follow_the_design_workflow():
    assert allowed_transitions(S.NEW) == [S.TRIAGED, S.NOT_OUR_SCOPE, S.DUPLICATE, S.SPAM]
    # A product owner may decide not to pursue an irritant once it is qualified, with a reason.
    assert S.CLOSED_NOT_FIXED in allowed_transitions(S.TRIAGED)
    assert S.CLOSED_NOT_FIXED in allowed_transitions(S.PLANNED)
    assert S.FIXED not in allowed_transitions(S.TRIAGED)
    assert allowed_transitions(S.IN_PROGRESS) == [
        S.FIXED,
        S.CLOSED_NOT_FIXED,
        S.NOT_OUR_SCOPE,
        S.DUPLICATE,
        S.SPAM,
    ]
    assert allowed_transitions(S.FIXED) == [S.TRIAGED, S.REGRESSED]
    assert allowed_transitions(S.REGRESSED) == [S.IN_PROGRESS]
    for closed in (S.CLOSED_NOT_FIXED, S.NOT_OUR_SCOPE, S.DUPLICATE, S.SPAM):
        assert allowed_transitions(closed) == [S.TRIAGED]
    assert set(STATUS_LABELS_AGENT) == set(StatusKind)


def test_allowed_transitions_take_stored_strings_and_keep_workflow_order():
    assert allowed_transitions("new") == allowed_transitions(S.NEW)
    for kind in StatusKind:
        steps = allowed_transitions(kind)
        assert steps == sorted(steps, key=list(StatusKind).index)
    with pytest.raises(ValueError):
        allowed_transitions("unknown")


def test_every_status_has_a_row_and_no_step_stays_in_place():
    assert set(TRANSITIONS) == set(StatusKind)
    for kind, targets in TRANSITIONS.items():
        assert targets <= set(StatusKind)
        assert kind not in targets


def test_every_status_but_new_is_reachable_from_new_and_nothing_leads_back_to_new():
    assert reachable_from(S.NEW) == set(StatusKind)
    assert all(S.NEW not in targets for targets in TRANSITIONS.values())


def test_no_status_is_a_dead_end_every_one_leads_back_to_triage():
    for kind in StatusKind:
        assert TRANSITIONS[kind], kind
        assert S.TRIAGED in reachable_from(kind), kind


def test_closed_statuses_only_reopen_or_for_a_fix_regress():
    assert {S.FIXED, S.CLOSED_NOT_FIXED, S.NOT_OUR_SCOPE, S.DUPLICATE, S.SPAM} == CLOSED_STATUSES
    for kind in CLOSED_STATUSES:
        expected = {S.TRIAGED, S.REGRESSED} if kind == S.FIXED else {S.TRIAGED}
        assert TRANSITIONS[kind] == expected, kind


def test_open_statuses_before_the_fix_may_always_be_routed_marked_duplicate_or_spam():
    assert set(StatusKind) - CLOSED_STATUSES == {*BEFORE_THE_FIX, S.REGRESSED}
    for kind in BEFORE_THE_FIX:
        assert TRANSITIONS[kind] >= RESHAPING_STATUSES, kind
    # A regression goes straight back to the work: the squad is already on it.
    assert TRANSITIONS[S.REGRESSED] == {S.IN_PROGRESS}


def test_reshaping_statuses_are_the_closing_side_exits():
    assert {S.NOT_OUR_SCOPE, S.DUPLICATE, S.SPAM} == RESHAPING_STATUSES
    assert RESHAPING_STATUSES <= CLOSED_STATUSES
    assert not RESHAPING_STATUSES & SQUAD_STATUSES


def test_squad_statuses_are_the_progress_of_the_work_and_chain_along_the_workflow():
    assert {S.PLANNED, S.IN_PROGRESS} == SQUAD_REQUIRED
    assert {S.PLANNED, S.IN_PROGRESS, S.FIXED, S.REGRESSED} == SQUAD_STATUSES
    assert SQUAD_REQUIRED <= SQUAD_STATUSES
    # A squad member can carry their irritant from planned to fixed, and through a regression, on their own.
    for current, to in [(S.PLANNED, S.IN_PROGRESS), (S.IN_PROGRESS, S.FIXED), (S.FIXED, S.REGRESSED)]:
        assert to in TRANSITIONS[current]
    assert S.IN_PROGRESS in TRANSITIONS[S.REGRESSED]
    # Work only starts once someone qualified the irritant.
    assert {k for k, targets in TRANSITIONS.items() if S.PLANNED in targets} == {S.TRIAGED}


# --- wording ----------------------------------------------------------------------------------------------------

FRENCH_WORDS = re.compile(r"^[A-ZÀÂÉÈÊÇ][a-zàâäçéèêëîïôöùûüÿœæ' ]+$")


@pytest.mark.parametrize(
    "labels", [CITIZEN_STATUS_LABELS, STATUS_LABELS_AGENT], ids=["citizens", "agents"]
)  # fmt: skip
def test_every_status_has_its_own_french_words_for_each_audience(labels):
    assert set(labels) == set(StatusKind)
    assert len(set(labels.values())) == len(labels)  # no two statuses read the same
    for kind, label in labels.items():
        assert FRENCH_WORDS.match(label), label
        assert label.lower() != kind.replace("_", " ")  # not the code's English


def test_citizens_and_agents_read_the_words_the_design_gives():
    assert CITIZEN_STATUS_LABELS[S.NEW] == "Reçu" and STATUS_LABELS_AGENT[S.NEW] == "Nouveau"
    assert CITIZEN_STATUS_LABELS[S.SPAM] == "Non retenu" and STATUS_LABELS_AGENT[S.SPAM] == "Indésirable"
    assert CITIZEN_STATUS_LABELS[S.NOT_OUR_SCOPE] == "Transmis à un autre service"
    assert STATUS_LABELS_AGENT[S.NOT_OUR_SCOPE] == "Hors périmètre"


def test_every_status_has_a_dsfr_badge():
    assert set(STATUS_BADGES) == set(StatusKind)
    assert set(STATUS_BADGES.values()) <= {"new", "info", "success", "warning", "error"}
    assert STATUS_BADGES[S.FIXED] == "success" and STATUS_BADGES[S.SPAM] == "error"


def test_template_helpers_fall_back_for_a_report_in_no_irritant_or_an_unknown_value():
    assert status.citizen_label(S.IN_PROGRESS) == "Correction en cours"
    assert status.citizen_label("fixed") == "Corrigé"
    assert status.citizen_label(None) == "Reçu"
    assert status.badge("fixed") == "success"
    assert status.badge(None) == status.badge("unknown") == "info"
