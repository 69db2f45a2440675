"""« Mon équipe » and a squad's page for agents: the current sprint's board (« À faire », « En cours », « Fait »)
and the product backlog, with small forms that move an item along, in or out of a sprint, up or down the backlog.

Every agent with a role reads them (managers follow every squad); the squad's members and product owners move its
items (``Action.WORK_ITEMS``), admins too. Each button is a form (no JavaScript needed): after it, the page again at
the moved card (``#element-<id>``) with a notice; a stale version says the item changed meanwhile (409).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from irritants.auth.access import require
from irritants.auth.policy import Action
from irritants.db import get_session
from irritants.errors import NotFoundError
from irritants.squads import backlog
from irritants.squads.item_schemas import ItemMoveSchema, ItemPatchSchema
from irritants.squads.sprints import ITEM_STATE_LABELS
from irritants.teams import acting, my_team
from irritants.triage import services as triage
from irritants.triage.schemas import TriageFixBodySchema

bp = Blueprint("board", __name__, url_prefix="/agents")

MOVED = {"up": "monté d'un cran", "down": "descendu d'un cran", "top": "placé en haut du backlog"}


@bp.get("/mon-equipe")
def my_team_page() -> Any:
    """« Mon équipe »: one squad → its page; several → a choice; none → where to go instead."""
    agent = require(Action.VIEW_BACKLOG)
    db = get_session()
    teams = my_team.squads_of(db, agent)
    if len(teams) == 1:
        return redirect(url_for("board.squad_page", slug=teams[0].squad.slug), 303)
    return render_template("teams/my_team.html", teams=teams)


@bp.get("/equipes/<slug>")
def squad_page(slug: str) -> Any:
    """A squad's board (its current sprint), its product backlog, the form to add an item and its irritants."""
    agent, squad = acting.squad_for(slug)
    return acting.render_squad(agent, squad)


def _key(item_id: int) -> str:
    return f"element-{item_id}"


@bp.post("/equipes/<slug>/elements/<int:item_id>/etat")
def change_state(slug: str, item_id: int) -> Any:
    """« Passer à En cours », « Marquer fait », « Remettre à faire »."""
    agent, squad, item = acting.item_for(slug, item_id, Action.WORK_ITEMS)

    def perform(db: Any, data: dict[str, Any]) -> str:
        if "state" not in data:
            raise backlog.invalid("state", "Choisissez le nouvel état de l'élément.")
        backlog.change_state(db, agent, item.id, data["state"], expected_version=data.get("expected_version"))
        return f"« {item.title} » : {ITEM_STATE_LABELS[item.state]}."

    return acting.act(agent, squad, _key(item.id), ItemPatchSchema, perform, done=acting.squad_url(squad, item.id))


@bp.post("/equipes/<slug>/elements/<int:item_id>/sprint")
def set_sprint(slug: str, item_id: int) -> Any:
    """« Mettre dans le sprint n » (an open sprint of the squad) or « Sortir du sprint » (the product backlog)."""
    agent, squad, item = acting.item_for(slug, item_id, Action.WORK_ITEMS)

    def perform(db: Any, data: dict[str, Any]) -> str:
        if "sprint_id" not in data:
            raise backlog.invalid("sprint_id", "Choisissez un sprint, ou le backlog produit.")
        backlog.set_sprint(db, agent, item.id, data["sprint_id"], expected_version=data.get("expected_version"))
        if item.sprint_id is None:
            return f"« {item.title} » est sorti du sprint : il est dans le backlog produit."
        return f"« {item.title} » est dans le sprint {backlog.get_sprint(db, item.sprint_id).number}."

    return acting.act(agent, squad, _key(item.id), ItemPatchSchema, perform, done=acting.squad_url(squad, item.id))


@bp.post("/equipes/<slug>/elements/<int:item_id>/rang")
def move(slug: str, item_id: int) -> Any:
    """« Monter », « Descendre », « En haut »: within its list (the sprint's, or the product backlog)."""
    agent, squad, item = acting.item_for(slug, item_id, Action.WORK_ITEMS)

    def perform(db: Any, data: dict[str, Any]) -> str:
        backlog.move_item(db, agent, item.id, data["move"], expected_version=data.get("expected_version"))
        return f"« {item.title} » {MOVED[data['move']]}."

    return acting.act(agent, squad, _key(item.id), ItemMoveSchema, perform, done=acting.squad_url(squad, item.id))


@bp.post("/equipes/<slug>/irritants/<int:cluster_id>/correctif")
def declare_fix(slug: str, cluster_id: int) -> Any:
    """« Correctif livré » from the board, where its invitation is: the same schema and service as the irritant's page
    and the API; back to the board with the notice, or the board again with the form's errors."""
    agent, squad = acting.squad_for(slug)
    cluster = triage.clusters_by_ids(get_session(), [cluster_id]).get(cluster_id)
    if cluster is None or cluster.squad_id != squad.id:
        raise NotFoundError("Cet irritant n'est pas confié à cette start-up d'État.")
    require(Action.DECLARE_FIX, cluster)

    def perform(db: Any, data: dict[str, Any]) -> str:
        triage.declare_fix(
            db, agent, cluster.id, fixed_on=data["fixed_on"], public_note=data["public_note"],
            expected_version=data.get("expected_version"),
        )  # fmt: skip
        return f"Correctif livré le {data['fixed_on']:%d/%m/%Y} : l'irritant n° {cluster.id} est « Corrigé »."

    key = f"correctif-{cluster.id}"
    return acting.act(agent, squad, key, TriageFixBodySchema, perform, done=acting.squad_url(squad))
