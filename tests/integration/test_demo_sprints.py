"""The demo's squads at work (``irritants setup`` in development): a closed sprint and an active one per demo squad,
items linked to demo irritants, days of recorded history behind the burndowns, one irritant declared fixed, and
answers to « Est-ce résolu pour vous ? » about it."""

from __future__ import annotations

from sqlalchemy import func, select

from irritants.audit.models import Event
from irritants.auth.demo import create_demo_agents
from irritants.clusters.models import Cluster
from irritants.clusters.stats import people_since
from irritants.feedback.demo import create_demo_answers
from irritants.feedback.services import perceived_rate
from irritants.settings import FeedbackSettings
from irritants.squads.models import Squad
from irritants.squads.sprint_progress import sprint_burndown, squad_velocity
from irritants.squads.sprints import BacklogItem, Sprint, SprintState, Unfinished
from irritants.status import StatusKind
from irritants.teams.demo import create_demo_sprints
from tests.conftest import make_cluster


def _world(session):
    create_demo_agents(session)
    for n in range(8):
        make_cluster(session, f"Irritant de démonstration numéro {n}", reports=2 + n, score=float(n))
    session.flush()


def test_each_demo_squad_has_a_closed_sprint_and_an_active_one_with_history(session):
    _world(session)
    made = create_demo_sprints(session)
    assert made == 12  # 8 items for the préfecture squad, 4 for the housing one
    for slug in ("rendez-vous-prefecture", "aides-logement"):
        squad = session.scalar(select(Squad).where(Squad.slug == slug))
        sprints = session.scalars(select(Sprint).where(Sprint.squad_id == squad.id).order_by(Sprint.number)).all()
        assert [s.state for s in sprints] == [SprintState.CLOSED, SprintState.ACTIVE]
        assert sprints[0].unfinished_to == Unfinished.NEXT_SPRINT
        days = sprint_burndown(session, sprints[1].id, people=people_since)
        past = [d for d in days if d.points_remaining is not None]
        assert len(past) >= 4  # four days of the active sprint already lived, with their figures
        assert past[0].points_remaining > past[-1].points_remaining or past[-1].scope > past[0].scope


def test_the_closed_sprint_counts_its_points_done_and_the_unfinished_item_moved_on(session):
    _world(session)
    create_demo_sprints(session)
    squad = session.scalar(select(Squad).where(Squad.slug == "rendez-vous-prefecture"))
    closed = squad_velocity(session, squad.id)[0]
    assert closed.points_done == 3 + 2 + 5 + 2  # the pilot opening (8 points) was not finished
    carried = session.scalar(
        select(BacklogItem).where(BacklogItem.title == "Ouvrir les créneaux à heure fixe dans le département pilote")
    )
    active = session.scalar(select(Sprint).where(Sprint.squad_id == squad.id, Sprint.state == SprintState.ACTIVE))
    assert carried.sprint_id == active.id


def test_one_irritant_is_declared_fixed_and_the_others_are_worked_on(session):
    _world(session)
    create_demo_sprints(session)
    fixed = session.scalars(select(Cluster).where(Cluster.status == StatusKind.FIXED)).all()
    assert len(fixed) == 1 and fixed[0].fixed_on is not None
    worked = session.scalars(select(Cluster).where(Cluster.squad_id.is_not(None))).all()
    assert {c.status for c in worked} <= {StatusKind.FIXED, StatusKind.PLANNED, StatusKind.IN_PROGRESS}
    assert len(worked) == 3 + 2  # the items link three irritants of one squad, two of the other
    declared = session.scalar(
        select(func.count()).select_from(Event).where(Event.cluster_id == fixed[0].id, Event.action == "cluster.status")
    )
    assert declared >= 3  # triaged, planned, in progress, then fixed: each step audited


def test_a_second_run_adds_nothing(session):
    _world(session)
    create_demo_sprints(session)
    before = session.scalar(select(func.count()).select_from(BacklogItem))
    assert create_demo_sprints(session) == 0
    assert session.scalar(select(func.count()).select_from(BacklogItem)) == before


def test_the_fixed_demo_irritant_carries_answers_once(session):
    _world(session)
    create_demo_sprints(session)
    made = create_demo_answers(session)
    fixed = session.scalars(select(Cluster).where(Cluster.status == StatusKind.FIXED)).one()
    rate = perceived_rate(session, FeedbackSettings(unresolved_min_answers=1), fixed.id)
    assert made == rate.answers > 0 and rate.rate is not None
    assert create_demo_answers(session) == 0  # a second setup adds none
