"""How every form of a squad's pages goes, the triage back-office's way: ask the policy, read the form with its one
schema (shared with the API), call the squads service, commit, then redirect with a notice to the place the agent
acted on (``#element-<id>``: the keyboard lands on the moved card); or the same page again with the error (409 when
the item changed meanwhile, 422 for a field, nothing changed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from irritants.auth.access import require
from irritants.auth.exceptions import StaleObject
from irritants.auth.policy import Action, Agent
from irritants.db import get_session
from irritants.errors import NotFoundError, ValidationFailed
from irritants.forms import InputSchema
from irritants.settings import settings_of
from irritants.squads import backlog
from irritants.squads import services as squads
from irritants.squads.models import Squad
from irritants.squads.sprints import BacklogItem
from irritants.teams import board_page
from irritants.triage import backoffice_forms as forms
from irritants.triage import services as triage

# Refusals shown on the page itself, the input kept (anything else is an error page).
SHOWN_ON_PAGE = (ValidationFailed, StaleObject, NotFoundError, StaleDataError)
# A service call on the loaded form; returns the notice to show.
Perform = Callable[[Session, dict[str, Any]], str]


def squad_for(slug: str, action: Action = Action.VIEW_BACKLOG) -> tuple[Agent, Squad]:
    """The agent (anonymous: to the sign-in page first) and the squad (404), the policy asked on it."""
    agent = require(Action.VIEW_BACKLOG)
    squad = squads.squad_by_slug(get_session(), slug)
    if action != Action.VIEW_BACKLOG:
        require(action, squad)
    return agent, squad


def item_for(slug: str, item_id: int, action: Action = Action.VIEW_BACKLOG) -> tuple[Agent, Squad, BacklogItem]:
    """The agent, the squad and one of its items (404 when the item is another squad's)."""
    agent, squad = squad_for(slug, action)
    item = backlog.get_item(get_session(), item_id)
    if item.squad_id != squad.id:
        raise NotFoundError("Cet élément de backlog n'existe pas.")
    return agent, squad, item


def squad_url(squad: Squad, item_id: int | None = None) -> str:
    """The squad's page; after acting on an item, at its card (which the notice then describes)."""
    if item_id is None:
        return url_for("board.squad_page", slug=squad.slug)
    return url_for("board.squad_page", slug=squad.slug, element=item_id, _anchor=f"element-{item_id}")


def item_url(squad: Squad, item_id: int, anchor: str | None = None) -> str:
    return url_for("team_items.item_page", slug=squad.slug, item_id=item_id, _anchor=anchor)


def render_squad(agent: Agent, squad: Squad, failure: forms.Failure | None = None, status: int = 200) -> Any:
    settings = settings_of(current_app)
    context = board_page.squad_context(
        get_session(), agent, squad, feedback_settings=settings.feedback, effect_settings=settings.fix_effect
    )
    return render_template("teams/squad.html", failure=failure, **context), status


def render_item(
    agent: Agent, squad: Squad, item_id: int, failure: forms.Failure | None = None, status: int = 200
) -> Any:
    db = get_session()
    context = board_page.item_context(db, agent, squad, backlog.get_item(db, item_id))
    return render_template("teams/item.html", failure=failure, **context), status


def act(
    agent: Agent,
    squad: Squad,
    key: str,
    schema: type[InputSchema],
    perform: Perform,
    *,
    done: str | Callable[[], str],
    item_page: int | None = None,
) -> Any:
    """Read the form, perform, commit, redirect to ``done`` (or what it gives, after) with the notice; or the page
    again with the error."""
    db = get_session()
    try:
        data = forms.load(schema, request.form)
        notice = perform(db, data)
        db.commit()
    except SHOWN_ON_PAGE as err:
        db.rollback()
        failure, status = forms.failure(key, err, request.form, schema)
        reload_url = item_url(squad, item_page) if item_page else squad_url(squad)
        failure = forms.Failure(failure.form, failure.message, failure.errors, failure.values, reload_url)
        if item_page:
            return render_item(agent, squad, item_page, failure, status)
        return render_squad(agent, squad, failure, status)
    flash(notice, "success")
    return redirect(done if isinstance(done, str) else done(), 303)


def require_links(squad: Squad, wanted: list[int]) -> None:
    """Linking irritants is the product owners' call (403 for others); each one must exist (422 naming it)."""
    if not wanted:
        return
    require(Action.MANAGE_SPRINTS, squad)
    found = set(triage.clusters_by_ids(get_session(), wanted))
    missing = [i for i in sorted(set(wanted)) if i not in found]
    if missing:
        listed = ", ".join(f"n° {i}" for i in missing)
        raise backlog.invalid("cluster_ids", f"Irritant introuvable : {listed}.")
