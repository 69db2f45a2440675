"""What the pages of a squad's sprints show, apart from their views (``sprints.py``): the sprint, its items by
state, and its progress as charts with their tables — burndown in points, burndown in people, the squad's
velocity — read through ``squads.sprint_progress`` with the people reader of irritants (``clusters.stats``)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from irritants import charts
from irritants.auth.policy import Action, Agent, decide
from irritants.charts import Figure
from irritants.clusters.stats import people_since
from irritants.squads import backlog, sprint_progress, sprint_services
from irritants.squads.burndown import BurndownDay, SprintResult
from irritants.squads.models import Squad
from irritants.squads.sprints import ITEM_STATE_LABELS, SPRINT_STATE_LABELS, ItemState, Sprint, SprintState

# A sprint holds a few dozen items: all of them on its page.
MAX_ITEMS = 500
SPRINTS_PER_PAGE = 20
STATE_BADGES = {SprintState.PLANNED: "info", SprintState.ACTIVE: "new", SprintState.CLOSED: "success"}


def day_fr(day: dt.date) -> str:
    """A day as the pages write it: 07/12/2026."""
    return day.strftime("%d/%m/%Y")


def _points(value: float | None) -> str:
    return "à venir" if value is None else charts.number_fr(value)


def _last_known(days: list[BurndownDay]) -> BurndownDay | None:
    known = [d for d in days if d.points_remaining is not None]
    return known[-1] if known else None


def burndown_figures(sprint: Sprint, days: list[BurndownDay]) -> tuple[Figure, Figure]:
    """The burndown in points (remaining, ideal line, scope) and in people, each with its table."""
    labels = [d.date.strftime("%d/%m") for d in days]
    points = charts.line_chart(
        labels,
        [
            charts.Series("Points restants", [d.points_remaining for d in days]),
            charts.Series("Ligne idéale", [d.ideal for d in days], tone=2, dashed=True),
            charts.Series("Périmètre", [d.scope if d.points_remaining is not None else None for d in days], tone=3),
        ],
    )
    people = charts.line_chart(labels, [charts.Series("Personnes touchées", [d.people_affected for d in days])])
    span = f"du {day_fr(sprint.starts_on)} au {day_fr(sprint.ends_on)}"
    last = _last_known(days)
    if last is None:
        said_points = said_people = f"Le sprint {sprint.number} ({span}) n'a pas commencé : aucun jour à montrer."
    else:
        first = days[0]
        said_points = (
            f"Sprint {sprint.number}, {span}. Au {day_fr(last.date)}, {_points(last.points_remaining)} points restent "
            f"à faire sur un périmètre de {_points(last.scope)} ; la ligne idéale en prévoyait {_points(last.ideal)}."
        )
        said_people = (
            f"Sprint {sprint.number}, {span}. Au {day_fr(last.date)}, {_points(last.people_affected)} personnes sont "
            f"touchées par les irritants du sprint non corrigés ({_points(first.people_affected)} le premier jour)."
        )
    return (
        Figure(
            points,
            f"Burndown en points du sprint {sprint.number}",
            said_points,
            ("Jour", "Points restants", "Ligne idéale", "Périmètre"),
            [[day_fr(d.date), _points(d.points_remaining), _points(d.ideal), _points(d.scope)] for d in days],
        ),
        Figure(
            people,
            f"Burndown en personnes du sprint {sprint.number}",
            said_people,
            ("Jour", "Personnes touchées"),
            [[day_fr(d.date), _points(d.people_affected)] for d in days],
        ),
    )


def velocity_figures(results: list[SprintResult]) -> tuple[Figure, Figure]:
    """Points done and irritants fixed per closed sprint, as bars, with one table for both."""
    labels = [f"Sprint {r.number}" for r in results]
    number = charts.number_fr
    rows = [[f"Sprint {r.number}", number(r.points_done), number(r.irritants_fixed)] for r in results]
    headers = ("Sprint", "Points faits", "Irritants corrigés")
    if results:
        listed = " ; ".join(f"sprint {r.number} : {r.points_done}" for r in results)
        fixed = " ; ".join(f"sprint {r.number} : {r.irritants_fixed}" for r in results)
    else:
        listed = fixed = "aucun sprint terminé pour le moment"
    return (
        Figure(
            charts.bar_chart(labels, [charts.Series("Points faits", [r.points_done for r in results])]),
            "Vélocité : points faits par sprint terminé",
            f"Points faits par sprint terminé : {listed}.",
            headers,
            rows,
        ),
        Figure(
            charts.bar_chart(labels, [charts.Series("Irritants corrigés", [r.irritants_fixed for r in results], 4)]),
            "Irritants corrigés par sprint terminé",
            f"Irritants corrigés par sprint terminé : {fixed}.",
            headers,
            rows,
        ),
    )


def sprint_context(session: Session, agent: Agent, squad: Squad, number: int) -> dict[str, Any]:
    """Everything the page of one sprint shows (a 404 for a number the squad never had)."""
    sprint = sprint_services.sprint_by_number(session, squad.id, number)
    items = backlog.list_items(session, squad.id, page=1, page_size=MAX_ITEMS, sprint_id=sprint.id).items
    by_state = {state: [item for item in items if item.state == state] for state in ItemState}
    points, people = burndown_figures(sprint, sprint_progress.sprint_burndown(session, sprint.id, people=people_since))
    velocity, fixed = velocity_figures(sprint_progress.squad_velocity(session, squad.id))
    return {
        "squad": squad,
        "sprint": sprint,
        "by_state": by_state,
        "links": backlog.links_of(session, [item.id for item in items]),
        "unfinished": [item for item in items if item.state != ItemState.DONE],
        "next_sprint": sprint_services.next_planned(session, sprint) if sprint.state == SprintState.ACTIVE else None,
        "burndown_points": points,
        "burndown_people": people,
        "velocity": velocity,
        "fixed": fixed,
        **common(agent, squad),
    }


def list_context(session: Session, agent: Agent, squad: Squad, page: int) -> dict[str, Any]:
    """A squad's sprints, the latest first, with the points done in each (so far, for a sprint still open)."""
    sprints = backlog.list_sprints(session, squad.id, page=page, page_size=SPRINTS_PER_PAGE)
    results = {r.sprint_id: r for r in sprint_progress.sprint_results(session, sprints.items)}
    return {"squad": squad, "sprints": sprints, "results": results, **common(agent, squad)}


def common(agent: Agent, squad: Squad) -> dict[str, Any]:
    return {
        "can_manage": bool(decide(agent, Action.MANAGE_SPRINTS, squad)),
        "sprint_states": SPRINT_STATE_LABELS,
        "state_badges": STATE_BADGES,
        "item_states": ITEM_STATE_LABELS,
        "day_fr": day_fr,
        "squad_url": f"/agents/equipes/{quote(squad.slug)}",  # the squad's page (teams/board.py)
    }
