"""The pages of a squad's sprints: the list (``/agents/equipes/<slug>/sprints``), one sprint with its items and
progress charts (``…/sprints/<number>``), and the forms of its product owners and admins (create, edit, start,
close). Every agent with a role reads them.

Views are short, as in the triage back-office: ask the policy, read the form with the input's one schema (shared with
the API), call ``squads.sprint_services``, commit, redirect with a notice; a refused form shows its page again with
the messages next to their fields and what was typed (422, or 409 when the sprint changed meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from irritants.auth.access import require
from irritants.auth.policy import Action, Agent
from irritants.db import get_session
from irritants.errors import NotFoundError, StaleObject, ValidationFailed
from irritants.squads import backlog, sprint_services
from irritants.squads import services as squads
from irritants.squads.models import Squad
from irritants.squads.sprint_schemas import SprintCreateSchema, SprintPatchSchema
from irritants.squads.sprints import Sprint, Unfinished
from irritants.teams import sprint_page
from irritants.teams.sprint_page import day_fr
from irritants.triage import backoffice_forms as forms

bp = Blueprint("team_sprints", __name__, url_prefix="/agents/equipes")

SHOWN_ON_PAGE = (ValidationFailed, StaleObject, NotFoundError)


def _page_number() -> int:
    value = request.args.get("page", "")
    return min(int(value), 100_000) if value.isdecimal() and int(value) > 0 else 1


# --- pages --------------------------------------------------------------------------------------------------------


@bp.get("/<slug>/sprints")
def sprint_list(slug: str) -> Any:
    """A squad's sprints: number, dates, state, goal, points done; and the form that plans the next one."""
    agent = require(Action.VIEW_BACKLOG)
    return _list_response(agent, squads.squad_by_slug(get_session(), slug))


def _list_response(agent: Agent, squad: Squad, failure: forms.Failure | None = None, status: int = 200) -> Any:
    context = sprint_page.list_context(get_session(), agent, squad, _page_number())
    return render_template("teams/sprints.html", **context, failure=failure), status


@bp.get("/<slug>/sprints/<int:number>")
def sprint_view(slug: str, number: int) -> Any:
    """One sprint: goal, dates, state, review notes, its items by state, burndown in points and in people, and the
    squad's velocity, each chart with its table."""
    agent = require(Action.VIEW_BACKLOG)
    return _sprint_response(agent, squads.squad_by_slug(get_session(), slug), number)


def _sprint_response(
    agent: Agent, squad: Squad, number: int, failure: forms.Failure | None = None, status: int = 200
) -> Any:
    context = sprint_page.sprint_context(get_session(), agent, squad, number)
    reload_url = url_for("team_sprints.sprint_view", slug=squad.slug, number=number)
    if failure is not None:
        failure = forms.Failure(failure.form, failure.message, failure.errors, failure.values, reload_url)
    return render_template("teams/sprint.html", **context, failure=failure), status


# --- forms --------------------------------------------------------------------------------------------------------


def _manager(slug: str) -> tuple[Agent, Squad]:
    require(Action.VIEW_BACKLOG)  # anonymous: to the sign-in page before anything else
    squad = squads.squad_by_slug(get_session(), slug)
    return require(Action.MANAGE_SPRINTS, squad), squad


def _refused(err: Exception, form: str, schema: type[SprintPatchSchema | SprintCreateSchema]) -> tuple[Any, int]:
    if isinstance(err, StaleDataError):
        err = StaleObject(backlog.STALE_SPRINT)
    return forms.failure(form, err, request.form, schema)


@bp.post("/<slug>/sprints")
def create_sprint(slug: str) -> Any:
    """Plan a sprint: first and last day (no day shared with another sprint of the squad), goal."""
    agent, squad = _manager(slug)
    db = get_session()
    try:
        data = forms.load(SprintCreateSchema, request.form)
        sprint = sprint_services.create_sprint(
            db, agent, squad.id, starts_on=data["starts_on"], ends_on=data["ends_on"], goal=data.get("goal") or ""
        )
        db.commit()
    except (*SHOWN_ON_PAGE, StaleDataError) as err:
        db.rollback()
        return _list_response(agent, squad, *_refused(err, "nouveau", SprintCreateSchema))
    flash(f"Sprint {sprint.number} prévu du {day_fr(sprint.starts_on)} au {day_fr(sprint.ends_on)}.", "success")
    return redirect(url_for("team_sprints.sprint_view", slug=squad.slug, number=sprint.number), 303)


Perform = Callable[[Session, Agent, Sprint, dict[str, Any]], str]


def _change(slug: str, number: int, form: str, perform: Perform, **fixed: str) -> Any:
    """Read the form with the sprint's one schema, perform, commit, and back to the sprint's page with a notice;
    or its page again with the error and the input."""
    agent, squad = _manager(slug)
    db = get_session()
    try:
        sprint = sprint_services.sprint_by_number(db, squad.id, number)
        data = forms.load(SprintPatchSchema, request.form, **fixed)
        message = perform(db, agent, sprint, data)
        db.commit()
    except (*SHOWN_ON_PAGE, StaleDataError) as err:
        db.rollback()
        return _sprint_response(agent, squad, number, *_refused(err, form, SprintPatchSchema))
    flash(message, "success")
    return redirect(url_for("team_sprints.sprint_view", slug=squad.slug, number=number), 303)


@bp.post("/<slug>/sprints/<int:number>/modification")
def edit_sprint(slug: str, number: int) -> Any:
    """Change the goal, the review notes, and the dates while the sprint is not closed."""

    def perform(db: Session, agent: Agent, sprint: Sprint, data: dict[str, Any]) -> str:
        # The form always sends both texts: one left blank is emptied (the schema reads a blank field as absent).
        sprint_services.edit_sprint(
            db,
            agent,
            sprint.id,
            expected_version=data.get("expected_version"),
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            goal=data.get("goal") or "",
            review_notes=data.get("review_notes") or "",
        )
        return f"Sprint {sprint.number} enregistré."

    return _change(slug, number, "modifier", perform)


@bp.post("/<slug>/sprints/<int:number>/demarrage")
def start_sprint(slug: str, number: int) -> Any:
    """A planned sprint becomes the squad's active one."""

    def perform(db: Session, agent: Agent, sprint: Sprint, data: dict[str, Any]) -> str:
        sprint_services.start_sprint(db, agent, sprint.id, expected_version=data.get("expected_version"))
        return f"Sprint {sprint.number} commencé."

    return _change(slug, number, "commencer", perform, state="active")


@bp.post("/<slug>/sprints/<int:number>/cloture")
def close_sprint(slug: str, number: int) -> Any:
    """Close the active sprint; its unfinished items go where the product owner said, and the notice says so."""

    def perform(db: Session, agent: Agent, sprint: Sprint, data: dict[str, Any]) -> str:
        target = sprint_services.next_planned(db, sprint)
        moved = sprint_services.close_sprint(
            db, agent, sprint.id, unfinished=data["unfinished"], expected_version=data.get("expected_version")
        )
        if not moved:
            return f"Sprint {sprint.number} terminé : tous ses éléments étaient faits."
        several = len(moved) > 1
        count = f"{len(moved)} élément{'s' if several else ''} non terminé{'s' if several else ''}"
        if data["unfinished"] == Unfinished.NEXT_SPRINT and target is not None:
            return f"Sprint {sprint.number} terminé : {count} passe{'nt' if several else ''} au sprint {target.number}."
        return f"Sprint {sprint.number} terminé : {count} retourne{'nt' if several else ''} dans le backlog produit."

    return _change(slug, number, "terminer", perform, state="closed")
