"""Correspondants of an administration in the policy: narrowed reads, public answers, no decision."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from irritants.answers.services import of_administration
from irritants.auth.policy import NARROWED_READS, Action, Agent, Unattached, decide, forced_administration

IRRITANT = SimpleNamespace(squad_id=None)
DECISIONS = [action for action in Action if action not in NARROWED_READS | {Action.ANSWER_PUBLICLY}]


def test_what_a_correspondant_reads_is_the_backlog_the_dashboard_and_the_exports():
    # Each narrowed by its door to the agent's administration (forced_administration).
    assert {Action.VIEW_BACKLOG, Action.VIEW_INSIGHTS, Action.EXPORT} == NARROWED_READS


def correspondant(administration: str | None = "caf", *more_roles: str) -> Agent:
    return Agent(
        user_id=7,
        label="correspondant@caf.fr",
        roles=frozenset({"correspondant", *more_roles}),
        administration=administration,
    )


def test_the_forced_administration_is_the_correspondants_own_and_nobody_elses():
    assert forced_administration(correspondant("caf")) == "caf"
    assert forced_administration(Agent(1, "pilotage", frozenset({"manager"}), administration="caf")) is None
    assert forced_administration(Agent(1, "admin", frozenset({"admin", "correspondant"}), administration="caf")) is None
    assert forced_administration(None) is None


def test_a_correspondant_without_administration_is_never_left_unfiltered():
    with pytest.raises(Unattached):
        forced_administration(correspondant(None))
    assert decide(correspondant(None), Action.VIEW_BACKLOG).status == 403


def test_a_correspondant_sees_and_answers_only_irritants_of_their_administration():
    agent = correspondant("caf")
    assert decide(agent, Action.VIEW_BACKLOG)
    assert decide(agent, Action.ANSWER_PUBLICLY)  # "may answer at all"
    assert decide(agent, Action.VIEW_BACKLOG, IRRITANT, administrations=frozenset({"caf", "dgfip"}))
    assert decide(agent, Action.ANSWER_PUBLICLY, IRRITANT, administrations=frozenset({"caf"}))
    assert decide(agent, Action.VIEW_BACKLOG, IRRITANT, administrations=frozenset({"dgfip"})).status == 404
    assert decide(agent, Action.ANSWER_PUBLICLY, IRRITANT, administrations=frozenset({"dgfip"})).status == 404
    assert decide(agent, Action.VIEW_BACKLOG, IRRITANT).status == 404  # no administrations given: fail closed


@pytest.mark.parametrize("action", DECISIONS)
def test_a_correspondant_takes_no_decision(action):
    concerned = {"administrations": frozenset({"caf"})}
    assert decide(correspondant("caf"), action, IRRITANT, **concerned).status == 403
    assert decide(correspondant("caf"), action).status == 403


@pytest.mark.parametrize("roles", [{"product_owner"}, {"squad_member"}, {"manager"}])
def test_only_correspondants_and_admins_answer_publicly(roles):
    other = Agent(1, "agent", frozenset(roles), squads=frozenset({1}))
    assert decide(other, Action.ANSWER_PUBLICLY, IRRITANT, administrations=frozenset({"caf"})).status == 403
    assert decide(Agent(1, "admin", frozenset({"admin"})), Action.ANSWER_PUBLICLY, IRRITANT)


@pytest.mark.parametrize(
    ("name", "acronym", "expected"),
    [
        ("Caisse d'allocations familiales", "CAF", "de la CAF"),
        ("Urssaf", "Urssaf", "de l'Urssaf"),
        ("Centre régional des œuvres universitaires et scolaires", "Crous", "du Crous"),
        ("France Travail", None, "de France Travail"),
        ("Préfecture", None, "de la Préfecture"),
        ("Direction générale des Finances publiques (impots.gouv.fr)", "DGFiP", "de la DGFiP"),
    ],
)
def test_an_answer_names_its_administration_with_the_right_article(name, acronym, expected):
    assert of_administration(name, acronym) == expected
