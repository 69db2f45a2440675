"""A backlog item's progress carried to its irritants (triage/propagation.py) and the « correctif livré »
declaration (triage/fixes.py), through the real services and database: the workflow's steps, each audited with the
item and the agent, the reports following, refusals that write nothing, optimistic versions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from irritants.audit.models import Event
from irritants.auth.exceptions import Forbidden, StaleObject
from irritants.auth.services import agent_for
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.errors import ValidationFailed
from irritants.intake.models import Report
from irritants.squads import backlog
from irritants.squads.sprints import BacklogItemCluster, ItemState
from irritants.status import StatusKind
from irritants.triage import fixes
from irritants.triage import services as triage
from tests.conftest import make_cluster, make_squad, make_user

S = StatusKind
TODAY = fixes.today()


def agent(session, *roles, squads=()):
    return agent_for(session, make_user(session, *roles, squads=squads))


def status_events(session, cluster_id):
    stmt = select(Event).where(Event.cluster_id == cluster_id, Event.action.in_(("cluster.status", "cluster.assign")))
    return list(session.scalars(stmt.order_by(Event.id)))


def statuses_of_reports(session, cluster_id):
    return set(session.scalars(select(Report.status).where(Report.cluster_id == cluster_id)))


@pytest.fixture
def team(session):
    squad = make_squad(session, "Rendez-vous préfecture")
    owner = agent(session, "product_owner", squads=[squad])
    member = agent(session, "squad_member", squads=[squad])
    session.commit()
    return squad, owner, member


# --- propagation ---------------------------------------------------------------------------------------------


def test_linking_a_new_irritant_assigns_the_squad_then_triages_and_plans_it_with_three_events_naming_the_item(
    session, team
):
    squad, owner, _ = team
    cluster = make_cluster(session, "Aucun créneau de rendez-vous")
    item = backlog.create_item(session, owner, squad.id, title="Créneaux du samedi")
    version = cluster.version
    backlog.link_irritant(session, owner, item.id, cluster.id)
    session.commit()

    cluster = session.get(Cluster, cluster.id)
    assert (cluster.status, cluster.squad_id) == (S.PLANNED, squad.id)
    assert cluster.version > version
    events = status_events(session, cluster.id)
    assert [e.action for e in events] == ["cluster.assign", "cluster.status", "cluster.status"]
    assert [e.after.get("status") for e in events[1:]] == ["triaged", "planned"]
    for event in events:
        assert f"Élément de backlog n° {item.id} « Créneaux du samedi »" in event.reason
        assert event.actor_id == owner.user_id
    assert "passe à « Planifié »" in events[-1].reason
    assert statuses_of_reports(session, cluster.id) == {S.PLANNED}


def test_an_irritant_created_linked_to_a_triaged_one_of_another_squad_keeps_its_squad_and_is_planned(session, team):
    squad, owner, _ = team
    other = make_squad(session, "Aides au logement")
    cluster = make_cluster(session, status=S.TRIAGED, squad_id=other.id)
    backlog.create_item(session, owner, squad.id, title="Partager le travail", cluster_ids=[cluster.id])
    session.commit()
    cluster = session.get(Cluster, cluster.id)
    assert (cluster.status, cluster.squad_id) == (S.PLANNED, other.id)
    assert [e.action for e in status_events(session, cluster.id)] == ["cluster.status"]


def test_an_item_going_in_progress_takes_its_irritants_in_progress_and_a_regressed_one_too(session, team):
    squad, owner, member = team
    planned = make_cluster(session, "Planifié", status=S.PLANNED, squad_id=squad.id)
    regressed = make_cluster(session, "Réapparu", status=S.REGRESSED, squad_id=squad.id)
    item = backlog.create_item(session, owner, squad.id, title="Rouvrir", cluster_ids=[planned.id, regressed.id])
    session.commit()
    backlog.change_state(session, member, item.id, ItemState.IN_PROGRESS)
    session.commit()
    for cluster_id in (planned.id, regressed.id):
        assert session.get(Cluster, cluster_id).status == S.IN_PROGRESS
        last = status_events(session, cluster_id)[-1]
        assert last.actor_id == member.user_id and "passé à « en cours »" in last.reason
        assert statuses_of_reports(session, cluster_id) == {S.IN_PROGRESS}


def test_linking_an_item_already_in_progress_takes_a_new_irritant_all_the_way_to_in_progress(session, team):
    squad, owner, _ = team
    cluster = make_cluster(session)
    item = backlog.create_item(session, owner, squad.id, title="Déjà commencé")
    backlog.change_state(session, owner, item.id, ItemState.IN_PROGRESS)
    backlog.link_irritant(session, owner, item.id, cluster.id)
    session.commit()
    steps = [e.after.get("status") for e in status_events(session, cluster.id) if e.action == "cluster.status"]
    assert steps == ["triaged", "planned", "in_progress"]


def test_a_reopened_item_of_a_fixed_irritant_changes_nothing_and_is_shown_to_the_product_owner(session, team):
    squad, owner, _ = team
    cluster = make_cluster(session, status=S.IN_PROGRESS, squad_id=squad.id)
    item = backlog.create_item(session, owner, squad.id, title="Fini", cluster_ids=[cluster.id])
    backlog.change_state(session, owner, item.id, ItemState.DONE)
    assert [c.id for c in fixes.awaiting_fix(session, squad_id=squad.id)] == [cluster.id]
    fixes.declare_fix(session, owner, cluster.id, fixed_on=TODAY, public_note="Les créneaux sont ouverts.")
    session.commit()
    assert fixes.awaiting_fix(session, squad_id=squad.id) == []
    assert fixes.reopened_after_fix(session, squad_id=squad.id) == []
    before = len(status_events(session, cluster.id))

    backlog.change_state(session, owner, item.id, ItemState.TODO)
    backlog.change_state(session, owner, item.id, ItemState.IN_PROGRESS)
    session.commit()
    assert session.get(Cluster, cluster.id).status == S.FIXED
    assert len(status_events(session, cluster.id)) == before
    assert [c.id for c in fixes.reopened_after_fix(session, squad_id=squad.id)] == [cluster.id]
    assert [c.id for c in fixes.reopened_after_fix(session, cluster_ids=[cluster.id])] == [cluster.id]
    assert fixes.reopened_after_fix(session, cluster_ids=[cluster.id + 1000]) == []


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (S.SPAM, "classé indésirable"),
        (S.NOT_OUR_SCOPE, "rouvrez-le d'abord"),
        (S.CLOSED_NOT_FIXED, "rouvrez-le d'abord"),
    ],
)
def test_linking_a_closed_irritant_is_refused_on_cluster_ids(session, team, status, words):
    squad, owner, _ = team
    cluster = make_cluster(session, status=status)
    item = backlog.create_item(session, owner, squad.id, title="Mauvais lien")
    with pytest.raises(ValidationFailed) as caught:
        backlog.link_irritant(session, owner, item.id, cluster.id)
    assert words in caught.value.errors["cluster_ids"][0]
    assert f"n° {cluster.id}" in caught.value.errors["cluster_ids"][0]


def test_linking_a_duplicate_names_its_root(session, team):
    squad, owner, _ = team
    root = make_cluster(session, "Original", status=S.TRIAGED)
    middle = make_cluster(session, "Doublon", status=S.DUPLICATE, duplicate_of_id=root.id)
    item = backlog.create_item(session, owner, squad.id, title="Mauvais lien")
    with pytest.raises(ValidationFailed) as caught:
        backlog.link_irritant(session, owner, item.id, middle.id)
    assert f"liez plutôt l'irritant n° {root.id}" in caught.value.errors["cluster_ids"][0]


def test_a_refused_link_rolled_back_by_its_door_leaves_nothing(session, team):
    squad, owner, _ = team
    good = make_cluster(session, "Bon")
    spam = make_cluster(session, "Indésirable", status=S.SPAM)
    session.commit()
    with pytest.raises(ValidationFailed):
        backlog.create_item(session, owner, squad.id, title="Deux liens", cluster_ids=[good.id, spam.id])
    session.rollback()
    assert session.scalars(select(BacklogItemCluster)).all() == []
    assert session.get(Cluster, good.id).status == S.NEW and session.get(Cluster, good.id).squad_id is None
    assert status_events(session, good.id) == []


def test_a_concurrent_decision_on_the_irritant_makes_the_propagation_a_409(app, session, team):
    squad, owner, _ = team
    cluster = make_cluster(session, status=S.TRIAGED, squad_id=squad.id)
    item = backlog.create_item(session, owner, squad.id, title="Concurrence")
    session.commit()
    with get_db(app).session_scope() as other:  # someone else decides meanwhile
        other.execute(update(Cluster).where(Cluster.id == cluster.id).values(version=Cluster.version + 1))
        other.commit()
    with pytest.raises(StaleObject):
        backlog.link_irritant(session, owner, item.id, cluster.id)
    session.rollback()
    assert session.get(Cluster, cluster.id).status == S.TRIAGED
    assert session.scalars(select(BacklogItemCluster)).all() == []


# --- « correctif livré » ---------------------------------------------------------------------------------------


def test_a_fix_is_declared_with_its_day_and_public_note_in_one_status_event(session, team):
    squad, owner, _ = team
    cluster = make_cluster(session, status=S.IN_PROGRESS, squad_id=squad.id)
    session.commit()
    day = TODAY
    fixes.declare_fix(
        session, owner, cluster.id, fixed_on=day, public_note="Créneaux ouverts le samedi.",
        expected_version=cluster.version,
    )  # fmt: skip
    session.commit()
    cluster = session.get(Cluster, cluster.id)
    assert (cluster.status, cluster.fixed_on) == (S.FIXED, day) and cluster.fixed_at is not None
    last = status_events(session, cluster.id)[-1]
    assert last.public_note == "Créneaux ouverts le samedi."
    assert (last.after["status"], last.after["fixed_on"]) == ("fixed", day.isoformat())
    assert statuses_of_reports(session, cluster.id) == {S.FIXED}


def test_a_fix_declared_on_a_planned_or_regressed_irritant_goes_through_in_progress(session, team):
    squad, owner, _ = team
    for status in (S.PLANNED, S.REGRESSED):
        cluster = make_cluster(session, status=status, squad_id=squad.id)
        fixes.declare_fix(session, owner, cluster.id, fixed_on=TODAY, public_note="Corrigé.")
        steps = [e.after["status"] for e in status_events(session, cluster.id)]
        assert steps == ["in_progress", "fixed"], status


def test_a_fix_is_refused_in_the_future_before_the_first_report_without_note_or_from_a_new_irritant(session, team):
    squad, owner, _ = team
    cluster = make_cluster(session, status=S.IN_PROGRESS, squad_id=squad.id)
    new = make_cluster(session, status=S.TRIAGED, squad_id=squad.id)
    tomorrow, long_ago = TODAY + dt.timedelta(days=1), TODAY - dt.timedelta(days=400)
    cases = [
        (cluster.id, tomorrow, "Corrigé.", "fixed_on", "futur"),
        (cluster.id, long_ago, "Corrigé.", "fixed_on", "premier signalement"),
        (cluster.id, None, "Corrigé.", "fixed_on", "date"),
        (cluster.id, TODAY, "  ", "public_note", "note publique"),
        (cluster.id, TODAY, "Écrivez à jean.dupont@example.org", "public_note", "données personnelles"),
        (new.id, TODAY, "Corrigé.", "to", "« Qualifié »"),
    ]
    for cluster_id, day, note, field, words in cases:
        with pytest.raises(ValidationFailed) as caught:
            fixes.declare_fix(session, owner, cluster_id, fixed_on=day, public_note=note)
        assert words in caught.value.errors[field][0], (field, words)
    assert session.get(Cluster, cluster.id).status == S.IN_PROGRESS
    assert status_events(session, cluster.id) == []


def test_only_the_squads_product_owners_and_admins_declare_a_fix_and_a_stale_version_is_a_409(session, team):
    squad, _, member = team
    other_po = agent(session, "product_owner", squads=[make_squad(session, "Autre")])
    admin = agent(session, "admin")
    cluster = make_cluster(session, status=S.IN_PROGRESS, squad_id=squad.id)
    for who in (member, other_po, agent(session, "manager")):
        with pytest.raises(Forbidden):
            fixes.declare_fix(session, who, cluster.id, fixed_on=TODAY, public_note="Corrigé.")
    with pytest.raises(StaleObject):
        fixes.declare_fix(
            session, admin, cluster.id, fixed_on=TODAY, public_note="Corrigé.", expected_version=cluster.version - 1
        )
    fixes.declare_fix(session, admin, cluster.id, fixed_on=TODAY, public_note="Corrigé.")
    assert session.get(Cluster, cluster.id).status == S.FIXED


def test_a_plain_status_change_to_fixed_is_refused_and_says_to_declare_the_fix(session, team):
    squad, owner, _ = team
    cluster = make_cluster(session, status=S.IN_PROGRESS, squad_id=squad.id)
    with pytest.raises(ValidationFailed) as caught:
        triage.change_status(session, owner, cluster.id, S.FIXED)
    message = caught.value.errors["to"][0]
    assert "correctif livré" in message and f"POST /api/v1/triage/clusters/{cluster.id}/fix" in message
    with pytest.raises(ValidationFailed) as caught:
        triage.apply_bulk(session, owner, [cluster.id], "status", to=S.FIXED)
    assert "correctif livré" in caught.value.errors["cluster_ids"]["0"][0]
    assert session.get(Cluster, cluster.id).status == S.IN_PROGRESS


def test_awaiting_fix_lists_irritants_whose_every_item_is_done(session, team):
    squad, owner, _ = team
    all_done = make_cluster(session, "Tout fait", status=S.IN_PROGRESS, squad_id=squad.id)
    half = make_cluster(session, "À moitié", status=S.IN_PROGRESS, squad_id=squad.id)
    no_item = make_cluster(session, "Sans élément", status=S.IN_PROGRESS, squad_id=squad.id)
    one = backlog.create_item(session, owner, squad.id, title="Un", cluster_ids=[all_done.id, half.id])
    two = backlog.create_item(session, owner, squad.id, title="Deux", cluster_ids=[half.id])
    backlog.change_state(session, owner, one.id, ItemState.DONE)
    assert [c.id for c in fixes.awaiting_fix(session, squad_id=squad.id)] == [all_done.id]
    assert fixes.awaiting_fix(session, cluster_ids=[half.id, no_item.id]) == []
    backlog.change_state(session, owner, two.id, ItemState.DONE)
    assert [c.id for c in fixes.awaiting_fix(session, squad_id=squad.id)] == [all_done.id, half.id]
    assert fixes.awaiting_fix(session, squad_id=squad.id + 1000) == []


def test_several_apps_carry_each_item_change_once(make_app, session, team):
    make_app(), make_app()  # each connects the receiver again
    squad, owner, _ = team
    cluster = make_cluster(session, status=S.TRIAGED, squad_id=squad.id)
    backlog.create_item(session, owner, squad.id, title="Une fois", cluster_ids=[cluster.id])
    assert [e.after["status"] for e in status_events(session, cluster.id)] == ["planned"]
