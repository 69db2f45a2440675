"""Sprints and backlog items through the real services and database: dates and overlaps, the lifecycle and its
audit events, every item change logged with who and when, optimistic versions, ordering, and the burndown in points
and in people replayed from the log."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from irritants.audit.models import Event
from irritants.auth.services import agent_for
from irritants.clusters.models import Cluster, Support
from irritants.clusters.stats import people_since
from irritants.errors import StaleObject, ValidationFailed
from irritants.squads import backlog, sprint_services
from irritants.squads.burndown import BurndownDay, SprintResult
from irritants.squads.sprint_progress import sprint_burndown, squad_velocity
from irritants.squads.sprints import BacklogItem, BacklogItemChange, ItemState, Sprint, SprintState, Unfinished
from irritants.status import StatusKind
from irritants.triage import fixes
from irritants.triage import services as triage
from tests.conftest import make_cluster, make_report, make_squad, make_user

D = dt.date


def agent(session, *roles, squads=()):
    return agent_for(session, make_user(session, *roles, squads=squads))


def changes_of(session, item_id):
    stmt = select(BacklogItemChange).where(BacklogItemChange.item_id == item_id).order_by(BacklogItemChange.id)
    return [(c.field.value, c.old_value, c.new_value, c.actor) for c in session.scalars(stmt)]


def sprint_events(session, sprint_id):
    stmt = select(Event).where(Event.subject_type == "sprint", Event.subject_id == sprint_id).order_by(Event.id)
    return [(e.action, e.actor, e.before, e.after) for e in session.scalars(stmt)]


def test_sprints_are_numbered_per_squad_and_an_overlap_is_refused_in_french_with_nothing_written(session):
    squad, other = make_squad(session), make_squad(session, "Aides au logement")
    owner = agent(session, "product_owner", squads=[squad])
    first = sprint_services.create_sprint(session, owner, squad.id, starts_on=D(2026, 12, 7), ends_on=D(2026, 12, 18))
    second = sprint_services.create_sprint(session, owner, squad.id, starts_on=D(2026, 12, 21), ends_on=D(2027, 1, 1))
    elsewhere = sprint_services.create_sprint(
        session, owner, other.id, starts_on=D(2026, 12, 7), ends_on=D(2026, 12, 18)
    )
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)

    with pytest.raises(ValidationFailed) as caught:
        sprint_services.create_sprint(session, owner, squad.id, starts_on=D(2026, 12, 14), ends_on=D(2026, 12, 24))
    assert caught.value.errors == {
        "starts_on": [
            "Ces dates chevauchent le sprint 1 de l'équipe (du 07/12/2026 au 18/12/2026) : deux sprints d'une même "
            "start-up d'État ne peuvent pas se recouvrir."
        ]
    }
    with pytest.raises(ValidationFailed, match="postérieure"):
        sprint_services.edit_sprint(session, owner, second.id, ends_on=D(2026, 12, 20))
    with pytest.raises(ValidationFailed, match="chevauchent le sprint 2"):
        sprint_services.edit_sprint(session, owner, first.id, ends_on=D(2026, 12, 22))
    assert session.scalar(select(func.count(Sprint.id)).where(Sprint.squad_id == squad.id)) == 2
    assert (first.ends_on, second.ends_on) == (D(2026, 12, 18), D(2027, 1, 1))

    sprint_services.edit_sprint(session, owner, first.id, goal="Prendre rendez-vous en ligne sans erreur")
    assert sprint_events(session, first.id)[-1] == (
        "sprint.edit",
        owner.label,
        {"goal": ""},
        {"goal": "Prendre rendez-vous en ligne sans erreur"},
    )


def test_closing_a_sprint_sends_its_unfinished_items_where_asked_and_records_it(session):
    squad = make_squad(session)
    owner = agent(session, "product_owner", squads=[squad])
    one = sprint_services.create_sprint(session, owner, squad.id, starts_on=D(2026, 11, 23), ends_on=D(2026, 12, 4))
    sprint_services.start_sprint(session, owner, one.id)
    done = backlog.create_item(session, owner, squad.id, title="Formulaire", points=3, sprint_id=one.id)
    left = backlog.create_item(session, owner, squad.id, title="Relances", points=5, sprint_id=one.id)
    backlog.change_state(session, owner, done.id, "done")

    # No next sprint yet: the choice « next sprint » is refused, nothing moves.
    with pytest.raises(ValidationFailed, match="Aucun sprint suivant"):
        sprint_services.close_sprint(session, owner, one.id, unfinished=Unfinished.NEXT_SPRINT)
    assert (one.state, left.sprint_id) == (SprintState.ACTIVE, one.id)

    two = sprint_services.create_sprint(session, owner, squad.id, starts_on=D(2026, 12, 7), ends_on=D(2026, 12, 18))
    with pytest.raises(ValidationFailed, match="Le sprint 1 est déjà en cours"):
        sprint_services.start_sprint(session, owner, two.id)
    moved = sprint_services.close_sprint(session, owner, one.id, unfinished=Unfinished.NEXT_SPRINT, review_notes="Bien")
    assert moved == [left.id]
    assert (left.sprint_id, done.sprint_id) == (two.id, one.id)
    assert (one.state, one.unfinished_to, one.review_notes) == (SprintState.CLOSED, Unfinished.NEXT_SPRINT, "Bien")
    assert changes_of(session, left.id)[-1] == ("sprint", str(one.id), str(two.id), owner.label)
    assert [e[0] for e in sprint_events(session, one.id)] == ["sprint.create", "sprint.start", "sprint.close"]
    assert sprint_events(session, one.id)[-1][3] == {
        "state": "closed",
        "unfinished_to": "next_sprint",
        "next_sprint_id": two.id,
        "moved_items": [left.id],
    }
    with pytest.raises(ValidationFailed, match="terminé"):
        backlog.set_sprint(session, owner, left.id, one.id)

    sprint_services.start_sprint(session, owner, two.id)
    assert sprint_services.close_sprint(session, owner, two.id, unfinished="backlog") == [left.id]
    assert left.sprint_id is None
    assert two.unfinished_to == Unfinished.BACKLOG


def test_every_item_change_is_logged_with_who_and_when_in_the_callers_transaction(app, session):
    squad = make_squad(session)
    member = agent(session, "squad_member", squads=[squad])
    cluster, shared = make_cluster(session, reports=1), make_cluster(session, "Attestation introuvable", reports=1)
    sprint = sprint_services.create_sprint(session, member, squad.id, starts_on=D(2026, 12, 7), ends_on=D(2026, 12, 18))
    item = backlog.create_item(
        session, member, squad.id, title="  Prise de  rendez-vous ", points=3, cluster_ids=[cluster.id, shared.id]
    )
    assert (item.title, item.state, item.rank, item.sprint_id) == ("Prise de rendez-vous", ItemState.TODO, 1, None)
    # An irritant may be worked by several items, across squads.
    elsewhere = make_squad(session, "Aides au logement")
    other = backlog.create_item(session, None, elsewhere.id, title="Aide", cluster_ids=[shared.id])

    backlog.set_sprint(session, member, item.id, sprint.id)
    backlog.change_state(session, member, item.id, "in_progress")
    backlog.edit_item(session, member, item.id, points=5)
    backlog.unlink_irritant(session, member, item.id, cluster.id)
    backlog.change_state(session, member, item.id, ItemState.DONE)
    backlog.change_state(session, member, item.id, "todo")  # re-opened
    who = member.label
    assert changes_of(session, item.id) == [
        ("created", None, "Prise de rendez-vous", who),
        ("state", None, "todo", who),
        ("points", None, "3", who),
        ("link", None, str(cluster.id), who),
        ("link", None, str(shared.id), who),
        ("sprint", None, str(sprint.id), who),
        ("state", "todo", "in_progress", who),
        ("points", "3", "5", who),
        ("unlink", str(cluster.id), None, who),
        ("state", "in_progress", "done", who),
        ("state", "done", "todo", who),
    ]
    assert backlog.linked_irritants(session, item.id) == [shared.id]
    assert backlog.linked_irritants(session, other.id) == [shared.id]
    assert changes_of(session, other.id)[0][3] == "système"

    with pytest.raises(ValidationFailed, match="entier positif"):
        backlog.edit_item(session, member, item.id, points=-1)
    with pytest.raises(ValidationFailed, match="État inconnu"):
        backlog.change_state(session, member, item.id, "fini")

    # Nothing is committed by the services: the caller's rollback takes the item and its log away together.
    session.rollback()
    assert session.scalar(select(func.count(BacklogItem.id))) == 0
    assert session.scalar(select(func.count(BacklogItemChange.id))) == 0


def test_a_stale_expected_version_is_the_conflict_triage_raises_and_changes_nothing(session):
    squad = make_squad(session)
    member = agent(session, "squad_member", squads=[squad])
    item = backlog.create_item(session, member, squad.id, title="Relances", points=2)
    seen = item.version
    backlog.change_state(session, member, item.id, "in_progress", expected_version=seen)
    logged = len(changes_of(session, item.id))
    with pytest.raises(StaleObject) as caught:
        backlog.change_state(session, member, item.id, "done", expected_version=seen)
    assert caught.value.status == 409
    assert item.state == ItemState.IN_PROGRESS
    assert len(changes_of(session, item.id)) == logged
    # Linking bumps the version too: a form loaded before it is stale.
    seen = item.version
    backlog.link_irritant(session, member, item.id, make_cluster(session, reports=1).id, expected_version=seen)
    with pytest.raises(StaleObject):
        backlog.edit_item(session, member, item.id, points=8, expected_version=seen)
    sprint = sprint_services.create_sprint(session, member, squad.id, starts_on=D(2026, 12, 7), ends_on=D(2026, 12, 18))
    with pytest.raises(StaleObject, match="Ce sprint a été modifié"):
        sprint_services.start_sprint(session, member, sprint.id, expected_version=sprint.version + 1)
    assert sprint.state == SprintState.PLANNED


def test_items_move_up_down_and_to_the_top_of_their_list(session):
    squad = make_squad(session)
    owner = agent(session, "product_owner", squads=[squad])
    sprint = sprint_services.create_sprint(session, owner, squad.id, starts_on=D(2026, 12, 7), ends_on=D(2026, 12, 18))
    a, b, c, d = (backlog.create_item(session, owner, squad.id, title=t) for t in "ABCD")
    in_sprint = backlog.create_item(session, owner, squad.id, title="S", sprint_id=sprint.id)

    def order():
        items = session.scalars(
            select(BacklogItem).where(BacklogItem.sprint_id.is_(None)).order_by(BacklogItem.rank, BacklogItem.id)
        )
        return [i.title for i in items]

    backlog.move_item(session, owner, c.id, "up")
    assert order() == ["A", "C", "B", "D"]
    backlog.move_item(session, owner, a.id, "down")
    assert order() == ["C", "A", "B", "D"]
    backlog.move_item(session, owner, d.id, "top")
    assert order() == ["D", "C", "A", "B"]
    backlog.move_item(session, owner, d.id, "up")  # already first: nothing
    backlog.move_item(session, owner, in_sprint.id, "top")  # alone in its sprint: nothing
    assert order() == ["D", "C", "A", "B"]
    assert changes_of(session, a.id)[-1][0] == "rank"
    assert in_sprint.rank == 5
    with pytest.raises(ValidationFailed):
        backlog.move_item(session, owner, b.id, "sideways")


def test_burndown_in_points_and_people_is_replayed_from_the_log_and_the_decisions(session):
    # Burndown days are Paris days: run at noon so that the UTC and the Paris date agree whatever the hour of the run.
    noon = dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time(12), tzinfo=dt.UTC)
    with time_machine.travel(noon):  # the clock ticks: the sprint closes after the fix was declared
        replay_the_burndown(session, noon.date())


def replay_the_burndown(session, today):

    def day(offset, hour=9):
        return dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(hour), tzinfo=dt.UTC)

    squad = make_squad(session)
    owner = agent(session, "product_owner", squads=[squad])
    admin = agent(session, "admin")
    long_ago = day(-10)
    blocked = make_cluster(session, reports=0, squad_id=squad.id)
    for _ in range(2):
        make_report(session, cluster=blocked, created_at=long_ago)
    session.add(Support(cluster_id=blocked.id, person_key="s1", created_at=long_ago))
    fixed = make_cluster(session, "Attestation introuvable", reports=0, squad_id=squad.id)
    make_report(session, cluster=fixed, created_at=long_ago)
    session.flush()

    sprint = sprint_services.create_sprint(
        session, owner, squad.id, starts_on=today - dt.timedelta(days=3), ends_on=today + dt.timedelta(days=1)
    )
    a = backlog.create_item(
        session, owner, squad.id, title="A", points=5, sprint_id=sprint.id, cluster_ids=[blocked.id], now=day(-4)
    )
    b = backlog.create_item(
        session, owner, squad.id, title="B", points=3, sprint_id=sprint.id, cluster_ids=[fixed.id], now=day(-4)
    )
    backlog.create_item(session, owner, squad.id, title="Hors sprint", points=13, now=day(-4))
    backlog.change_state(session, owner, a.id, "done", now=day(-2))
    c = backlog.create_item(session, owner, squad.id, title="C", points=2, sprint_id=sprint.id, now=day(-1))
    backlog.change_state(session, owner, b.id, "done", now=day(-1, 15))
    backlog.change_state(session, owner, b.id, "todo", now=day(0, 0))  # re-opened
    assert session.get(Cluster, fixed.id).status == StatusKind.PLANNED  # linked to B: planned (propagation)
    triage.declare_fix(session, admin, fixed.id, fixed_on=fixes.today(), public_note="Attestation retrouvée.")

    days = sprint_burndown(session, sprint.id, people=people_since, today=today)
    assert days == [
        # 2 reporters and a supporter of one irritant, 1 reporter of the other.
        BurndownDay(today - dt.timedelta(days=3), 8, 8, 8.0, 4),
        BurndownDay(today - dt.timedelta(days=2), 3, 8, 6.0, 4),  # A done
        BurndownDay(today - dt.timedelta(days=1), 2, 10, 5.0, 4),  # C added: the line rises; B done
        BurndownDay(today, 5, 10, 2.5, 3),  # B re-opened; its irritant fixed today: its reporter no longer counts
        BurndownDay(today + dt.timedelta(days=1), None, 10, 0.0, None),
    ]
    assert c.sprint_id == sprint.id

    sprint_services.start_sprint(session, owner, sprint.id)
    assert sprint_services.close_sprint(session, owner, sprint.id, unfinished="backlog") == [b.id, c.id]
    assert squad_velocity(session, squad.id) == [SprintResult(sprint.id, 1, 5, 1)]


@pytest.mark.parametrize(
    "row",
    [
        lambda squad: BacklogItem(squad_id=squad.id, title="Négatif", points=-1, rank=1),
        lambda squad: Sprint(squad_id=squad.id, number=1, starts_on=D(2026, 12, 7), ends_on=D(2026, 12, 7)),
    ],
    ids=["negative points", "end not after start"],
)
def test_the_database_itself_refuses_negative_points_and_a_sprint_ending_before_it_starts(session, row):
    squad = make_squad(session)
    session.add(row(squad))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
