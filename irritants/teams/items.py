"""A squad's backlog items for agents: adding one (from the squad page), its own page (fields, irritants, history)
and the forms that edit it and link it to irritants or unlink it.

The squad's members and product owners add and edit items (``Action.WORK_ITEMS``); linking an item to irritants is
its product owners' call (``Action.MANAGE_SPRINTS``: a member who sends irritant numbers is refused, 403), as in the
API. Every change goes through ``squads.backlog``, which logs it (who, when, old and new value).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from irritants.auth.policy import Action
from irritants.squads import backlog
from irritants.squads.item_schemas import ItemCreateSchema, ItemPatchSchema
from irritants.teams import acting

bp = Blueprint("team_items", __name__, url_prefix="/agents/equipes/<slug>/elements")


@bp.post("")
def create_item(slug: str) -> Any:
    """Add an item at the bottom of the backlog, or in an open sprint, linked to the irritants typed (PO)."""
    agent, squad = acting.squad_for(slug, Action.WORK_ITEMS)

    def perform(db: Any, data: dict[str, Any]) -> str:
        wanted = data.get("cluster_ids") or []
        acting.require_links(squad, wanted)
        item = backlog.create_item(
            db, agent, squad.id, title=data["title"], description=data.get("description") or "",
            points=data.get("points"), sprint_id=data.get("sprint_id"), cluster_ids=wanted,
        )  # fmt: skip
        created["id"] = item.id
        return f"Élément « {item.title} » ajouté."

    created: dict[str, int] = {}
    done = lambda: acting.squad_url(squad, created["id"])  # noqa: E731 - the new item's id, once it exists
    return acting.act(agent, squad, "ajout", ItemCreateSchema, perform, done=done)


@bp.get("/<int:item_id>")
def item_page(slug: str, item_id: int) -> Any:
    """An item: title, description, points, state, sprint, irritants and its change history."""
    agent, squad, item = acting.item_for(slug, item_id)
    return acting.render_item(agent, squad, item.id)


@bp.post("/<int:item_id>")
def edit_item(slug: str, item_id: int) -> Any:
    """Change the title, description or points (blank points: no estimate)."""
    agent, squad, item = acting.item_for(slug, item_id, Action.WORK_ITEMS)

    def perform(db: Any, data: dict[str, Any]) -> str:
        backlog.edit_item(
            db, agent, item.id, expected_version=data.get("expected_version"), title=data.get("title"),
            description=data.get("description"), points=data.get("points"),
            clear_points="points" in data and data["points"] is None,
        )  # fmt: skip
        return "Élément enregistré."

    done = acting.item_url(squad, item.id)
    return acting.act(agent, squad, "modification", ItemPatchSchema, perform, done=done, item_page=item.id)


@bp.post("/<int:item_id>/irritants")
def link(slug: str, item_id: int) -> Any:
    """Link the item to the irritants whose numbers are typed (product owners)."""
    agent, squad, item = acting.item_for(slug, item_id, Action.MANAGE_SPRINTS)

    def perform(db: Any, data: dict[str, Any]) -> str:
        wanted = data.get("cluster_ids") or []
        if not wanted:
            raise backlog.invalid("cluster_ids", "Indiquez le numéro d'au moins un irritant (ex. 12, 34).")
        acting.require_links(squad, wanted)
        backlog.check_version(item, data.get("expected_version"))
        for cluster_id in wanted:
            backlog.link_irritant(db, agent, item.id, cluster_id)
        numbers = ", ".join(f"n° {i}" for i in wanted)
        return f"Élément lié {'aux irritants' if len(wanted) > 1 else 'à l’irritant'} {numbers}."

    done = acting.item_url(squad, item.id, "irritants")
    return acting.act(agent, squad, "liens", ItemPatchSchema, perform, done=done, item_page=item.id)


@bp.post("/<int:item_id>/irritants/<int:cluster_id>/retrait")
def unlink(slug: str, item_id: int, cluster_id: int) -> Any:
    """The item no longer works on this irritant (product owners)."""
    agent, squad, item = acting.item_for(slug, item_id, Action.MANAGE_SPRINTS)

    def perform(db: Any, data: dict[str, Any]) -> str:
        backlog.unlink_irritant(db, agent, item.id, cluster_id, expected_version=data.get("expected_version"))
        return f"L'élément ne porte plus sur l'irritant n° {cluster_id}."

    done = acting.item_url(squad, item.id, "irritants")
    return acting.act(agent, squad, f"retrait-{cluster_id}", ItemPatchSchema, perform, done=done, item_page=item.id)
