"""A living example of squads at work for a newcomer's local service: for each demo start-up d'État, a closed sprint
and an active one, items linked to demo irritants (which the links take to « planned », then « in progress »), two
weeks of recorded changes so the burndowns have a history, and one irritant declared fixed.

Only ``irritants setup`` in development calls this, once the demo irritants and agents exist, and only for a squad
that has no sprint yet. Changes are dated in the past (the services take ``now``) so that the charts show days;
the audit events of the irritants' statuses are dated when setup runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.auth import accounts, services
from irritants.auth.models import User
from irritants.auth.policy import Agent
from irritants.clusters.models import Cluster
from irritants.errors import ValidationFailed
from irritants.french import PARIS, today
from irritants.squads import backlog, sprint_services
from irritants.squads.models import Squad
from irritants.squads.sprints import ItemState, Sprint, Unfinished
from irritants.status import StatusKind
from irritants.triage import services as triage

TODO, DOING, DONE = ItemState.TODO, ItemState.IN_PROGRESS, ItemState.DONE


@dataclass(frozen=True)
class DemoItem:
    title: str
    points: int | None
    irritant: int | None  # index into the squad's demo irritants (0, 1, 2), or None
    sprint: int | None  # 1 (closed), 2 (active) or None (product backlog)
    created: int  # day, relative to today
    steps: tuple[tuple[int, ItemState], ...] = ()  # (day, state), in order


PREFECTURE_ITEMS = (
    DemoItem("Reproduire le blocage avec trois usagers qui l'ont signalé", 3, 0, 1, -19, ((-17, DOING), (-14, DONE))),
    DemoItem("Interroger cinq usagers restés sans créneau", 2, 1, 1, -19, ((-16, DOING), (-12, DONE))),
    DemoItem("Corriger la cause du blocage et la vérifier en préproduction", 5, 0, 1, -19, ((-13, DOING), (-8, DONE))),
    DemoItem("Ouvrir les créneaux à heure fixe dans le département pilote", 8, 1, 1, -19, ((-10, DOING),)),
    DemoItem("Prévenir les agents d'accueil de la correction", 2, 0, 1, -11, ((-9, DOING), (-7, DONE))),
    DemoItem("Publier l'heure d'ouverture des créneaux", 3, 1, 2, -6, ((-2, DOING),)),
    DemoItem("Message clair quand aucun créneau n'est libre", 2, 2, 2, -6, ((-3, DOING), (-1, DONE))),
    DemoItem("Tableau de suivi des créneaux ouverts", 5, None, 2, -6),
)
LOGEMENT_ITEMS = (
    DemoItem("Demander chaque justificatif une seule fois", 5, 0, 1, -19, ((-15, DOING), (-9, DONE))),
    DemoItem("Expliquer la suspension dans le courrier", 3, 1, 1, -19, ((-12, DOING),)),
    DemoItem("Recours en ligne : premier formulaire", 8, 1, 2, -6, ((-3, DOING),)),
    DemoItem("Lire les pièces jointes au format HEIC", 2, 0, 2, -6, ((-2, DOING), (-1, DONE))),
)
SPRINTS = (  # (number, first day, last day, goal), days relative to today
    (1, -18, -5, "Comprendre et lever les blocages les plus cités par les usagers"),
    (2, -4, 9, "Livrer au département pilote ce qui débloque le plus de personnes"),
)
FIXED_BY = "rendez-vous-prefecture"  # the squad whose first irritant the demo shows fixed
PLANS = {"rendez-vous-prefecture": PREFECTURE_ITEMS, "aides-logement": LOGEMENT_ITEMS}
REVIEW = "Les blocages les plus cités sont compris ; ce qui n'est pas fini continue au sprint suivant."
FIX_NOTE = "La cause du blocage est corrigée. S'il vous arrive encore, dites-le depuis votre page de suivi."


def _at(day: int, hour: int = 10) -> dt.datetime:
    """That day (relative to today, in France) at that hour, as a UTC datetime."""
    local = dt.datetime.combine(today() + dt.timedelta(days=day), dt.time(hour), tzinfo=PARIS)
    return local.astimezone(dt.UTC)


def _irritants(session: Session, squad: Squad) -> list[Cluster]:
    """Three open irritants for the squad: of its administration first, then the best ranked no squad has."""
    open_ = (StatusKind.NEW, StatusKind.TRIAGED)
    base = select(Cluster).where(Cluster.status.in_(open_), Cluster.squad_id.is_(None), Cluster.size > 0)
    own = list(
        session.scalars(
            base.where(Cluster.main_administration_id == squad.administration_id)
            .order_by(Cluster.score.desc(), Cluster.id)
            .limit(3)
        )
    )
    if len(own) < 3:
        taken = [c.id for c in own]
        own += list(
            session.scalars(base.where(Cluster.id.not_in(taken)).order_by(Cluster.score.desc()).limit(3 - len(own)))
        )
    return own


def squad_agent(session: Session, squad: Squad) -> Agent | None:
    """The squad's demo product owner (the actor of its changes), else a demo admin, else None (the system)."""
    for user in accounts.squad_members(session, squad.id):
        if "product_owner" in (user.roles or []) and user.active:
            return services.agent_for(session, user)
    admin = session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)).all()
    for user in admin:
        if "admin" in (user.roles or []):
            return services.agent_for(session, user)
    return None


def create_demo_sprints(session: Session) -> int:
    """Sprints, items, their history and one fix for each demo squad without sprints; returns the items made."""
    made = 0
    for slug, plan in PLANS.items():
        squad = session.scalar(select(Squad).where(Squad.slug == slug))
        if squad is None or session.scalar(select(Sprint.id).where(Sprint.squad_id == squad.id).limit(1)):
            continue
        irritants = _irritants(session, squad)
        if not irritants:
            continue
        agent = squad_agent(session, squad)
        made += _play(session, squad, plan, irritants, agent)
        if slug == FIXED_BY and agent is not None:
            _declare_first_fix(session, agent, irritants[0])
    return made


def _play(
    session: Session, squad: Squad, plan: tuple[DemoItem, ...], irritants: list[Cluster], agent: Agent | None
) -> int:
    """Plan both sprints, then replay what happened day by day, in order: items created, started and finished,
    the first sprint started and closed (its unfinished item goes on), the second started."""
    sprints = [
        sprint_services.create_sprint(
            session, agent, squad.id, starts_on=today() + dt.timedelta(days=first),
            ends_on=today() + dt.timedelta(days=last), goal=goal,
        )
        for _, first, last, goal in SPRINTS
    ]  # fmt: skip
    events: list[tuple[dt.datetime, int, str, int, ItemState | None]] = []  # (when, order, what, which, state)
    for n, item in enumerate(plan):
        events.append((_at(item.created, 9), n, "create", n, None))
        events += [(_at(day, 15), n, "state", n, state) for day, state in item.steps]
    for number, (_, first, last, _) in enumerate(SPRINTS):
        events.append((_at(first, 8), -1, "start", number, None))
        if number == 0:
            events.append((_at(last, 18), -1, "close", number, None))
    ids: dict[int, int] = {}
    for when, _, what, which, state in sorted(events, key=lambda event: event[:2]):
        if what == "create":
            item = plan[which]
            link = [irritants[item.irritant].id] if item.irritant is not None and item.irritant < len(irritants) else []
            sprint_id = sprints[item.sprint - 1].id if item.sprint else None
            ids[which] = backlog.create_item(
                session, agent, squad.id, title=item.title, points=item.points, sprint_id=sprint_id,
                cluster_ids=link, now=when,
            ).id  # fmt: skip
        elif what == "state":
            backlog.change_state(session, agent, ids[which], state, now=when)
        elif what == "start":
            sprint_services.start_sprint(session, agent, sprints[which].id, now=when)
        else:
            sprint_services.close_sprint(
                session, agent, sprints[which].id, unfinished=Unfinished.NEXT_SPRINT, now=when, review_notes=REVIEW
            )
    session.flush()
    return len(plan)


def _declare_first_fix(session: Session, agent: Agent, irritant: Cluster) -> None:
    """The first irritant's items are all done: its product owner declares the fix (as the board invites to)."""
    session.refresh(irritant)
    if irritant.status != StatusKind.IN_PROGRESS:
        return
    # Shipped the day after its last item was done, unless the irritant's first report came later than that.
    for day in (today() - dt.timedelta(days=6), today()):
        try:
            with session.begin_nested():
                triage.declare_fix(
                    session, agent, irritant.id, fixed_on=day, public_note=FIX_NOTE, expected_version=irritant.version
                )
            return
        except ValidationFailed:
            session.refresh(irritant)
