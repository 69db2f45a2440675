"""``/api/v1/squads/<slug>/sprints``, ``/api/v1/sprints``, ``/api/v1/squads/<slug>/items``, ``/api/v1/items``: a
squad's sprints, backlog items and burndown. Every agent with a role reads them (managers follow every squad); the
squad's members move its items along; its product owners also plan sprints and link items to irritants; admins do
everything. The squads services ask no policy: each door here asks it first, on the squad, sprint or item."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import select

from irritants.api.listing import paged
from irritants.api.spec import BEARER_AUTH, ETAG, LOCATION, Blueprint
from irritants.api.sprints_schemas import (
    LEGACY_ITEM_FILTERS,
    BurndownSchema,
    ItemOutSchema,
    ItemPageSchema,
    ItemQuerySchema,
    SprintOutSchema,
    SprintPageSchema,
    SprintQuerySchema,
    VelocitySchema,
)
from irritants.auth.access import bearer_token, current_agent, protect_api_write, require
from irritants.auth.exceptions import Unauthenticated
from irritants.auth.policy import Action, Agent
from irritants.clusters.models import Cluster
from irritants.clusters.stats import people_since
from irritants.db import get_session
from irritants.paging import Page
from irritants.squads import backlog, sprint_services
from irritants.squads import services as squads
from irritants.squads.item_schemas import ItemCreateSchema, ItemPatchSchema
from irritants.squads.sprint_progress import sprint_burndown, squad_velocity
from irritants.squads.sprint_schemas import SprintCreateSchema, SprintPatchSchema
from irritants.squads.sprints import (
    ITEM_STATE_LABELS,
    SPRINT_STATE_LABELS,
    BacklogItem,
    Sprint,
    SprintState,
)

bp = Blueprint(
    "api_sprints",
    __name__,
    url_prefix="/api/v1",
    description="Sprints et éléments de backlog des start-ups d'État ; burndown en points et en personnes",
)
SECURITY = [{BEARER_AUTH: []}]
NO_STORE = {"Cache-Control": "no-store"}


@bp.before_request
def _callers() -> None:
    """A wrong token is refused; every call needs an agent with a role; writes need one who works in some squad,
    before any body is read, and a browser session proves it is this site (CSRF)."""
    if bearer_token() is not None and current_agent() is None:
        raise Unauthenticated("Jeton d'API invalide, expiré ou révoqué.")
    if request.method in ("GET", "HEAD", "OPTIONS"):
        require(Action.VIEW_BACKLOG)
        return
    require(Action.WORK_ITEMS)
    protect_api_write()


def _sprint_body(sprint: Sprint, slug: str) -> dict[str, Any]:
    return {
        "id": sprint.id,
        "squad": slug,
        "number": sprint.number,
        "starts_on": sprint.starts_on,
        "ends_on": sprint.ends_on,
        "goal": sprint.goal,
        "review_notes": sprint.review_notes,
        "state": sprint.state,
        "state_label": SPRINT_STATE_LABELS[sprint.state],
        "started_at": sprint.started_at,
        "closed_at": sprint.closed_at,
        "unfinished_to": sprint.unfinished_to,
        "version": sprint.version,
    }


def _item_body(item: BacklogItem, slug: str, cluster_ids: list[int]) -> dict[str, Any]:
    return {
        "id": item.id,
        "squad": slug,
        "title": item.title,
        "description": item.description,
        "points": item.points,
        "state": item.state,
        "state_label": ITEM_STATE_LABELS[item.state],
        "rank": item.rank,
        "sprint_id": item.sprint_id,
        "cluster_ids": cluster_ids,
        "updated_at": item.updated_at,
        "version": item.version,
    }


def _slug(squad_id: int) -> str:
    return backlog.get_squad(get_session(), squad_id).slug


def _sprint_answer(sprint: Sprint, status: int = 200) -> Any:
    return _sprint_body(sprint, _slug(sprint.squad_id)), status, {**NO_STORE, "ETag": f'"{sprint.version}"'}


def _item_answer(item: BacklogItem, status: int = 200) -> Any:
    body = _item_body(item, _slug(item.squad_id), backlog.linked_irritants(get_session(), item.id))
    return body, status, {**NO_STORE, "ETag": f'"{item.version}"'}


def _existing_irritants(ids: list[int]) -> list[int]:
    """The ids, each an irritant that exists; else a 422 naming the field (the foreign key would be a 500)."""
    wanted = sorted(set(ids))
    found = set(get_session().scalars(select(Cluster.id).where(Cluster.id.in_(wanted)))) if wanted else set()
    missing = [i for i in wanted if i not in found]
    if missing:
        listed = ", ".join(str(i) for i in missing)
        raise backlog.invalid("cluster_ids", f"Irritant introuvable : {listed}.")
    return wanted


def _writing(who: str) -> Any:
    def decorate(func: Any) -> Any:
        for decorator in (
            bp.problem(400, "Jeton CSRF manquant (appel avec une session de navigateur)"),
            bp.problem(401, "Jeton ou session d'agent requis"),
            bp.problem(403, who),
            bp.problem(404, "Start-up d'État, sprint ou élément inconnu"),
            bp.problem(422, "Champs invalides (le champ en cause est nommé), règle de sprint ou irritant inconnu"),
            bp.doc(security=SECURITY),
        ):
            func = decorator(func)
        return func

    return decorate


def _reading(func: Any) -> Any:
    for decorator in (
        bp.problem(401, "Jeton ou session d'agent requis"),
        bp.problem(403, "Réservé aux agents qui ont un rôle"),
        bp.problem(404, "Start-up d'État, sprint ou élément inconnu"),
        bp.doc(security=SECURITY),
    ):
        func = decorator(func)
    return func


SPRINT_MANAGERS = "Réservé aux responsables produit de la start-up d'État et aux administrateurs"
ITEM_WORKERS = "Réservé aux membres de la start-up d'État (liens aux irritants : ses responsables produit)"


# --- sprints ----------------------------------------------------------------------------------------------------


@bp.route("/squads/<slug>/sprints", methods=["GET"])
@bp.arguments(SprintQuerySchema, location="query")
@paged(bp, SprintPageSchema)
@bp.problem(422, "Tri ou pagination invalide")
@_reading
def list_sprints(args: dict[str, Any], slug: str) -> Any:
    """Les sprints d'une start-up d'État, le plus récent d'abord par défaut."""
    db = get_session()
    squad = squads.squad_by_slug(db, slug)
    page = backlog.list_sprints(db, squad.id, page=args["page"], page_size=args["page_size"], sort=args["sort"])
    return page.map(lambda sprint: _sprint_body(sprint, squad.slug))


@bp.route("/squads/<slug>/sprints", methods=["POST"])
@bp.arguments(
    SprintCreateSchema, example={"starts_on": "2026-12-07", "ends_on": "2026-12-18", "goal": "RDV en 2 clics"}
)
@bp.response(201, SprintOutSchema, headers={**LOCATION, **ETAG})
@_writing(SPRINT_MANAGERS)
def create_sprint(data: dict[str, Any], slug: str) -> Any:
    """Prévoir un sprint (numéroté après le dernier) ; ses dates ne chevauchent aucun autre sprint de l'équipe."""
    db = get_session()
    squad = squads.squad_by_slug(db, slug)
    agent = require(Action.MANAGE_SPRINTS, squad)
    sprint = sprint_services.create_sprint(
        db, agent, squad.id, starts_on=data["starts_on"], ends_on=data["ends_on"], goal=data.get("goal") or ""
    )
    db.commit()
    body, _, headers = _sprint_answer(sprint)
    return body, 201, {**headers, "Location": f"/api/v1/sprints/{sprint.id}"}


@bp.route("/sprints/<int:sprint_id>", methods=["GET"])
@bp.response(200, SprintOutSchema, headers=ETAG)
@_reading
def get_sprint(sprint_id: int) -> Any:
    """Un sprint : dates, objectif, notes de revue, état, version."""
    return _sprint_answer(backlog.get_sprint(get_session(), sprint_id))


@bp.route("/sprints/<int:sprint_id>", methods=["PATCH"])
@bp.arguments(SprintPatchSchema, example={"state": "closed", "unfinished": "next_sprint", "expected_version": 2})
@bp.response(200, SprintOutSchema, headers=ETAG)
@bp.problem(409, "Modifié entre-temps par quelqu'un d'autre (version) : rien n'a été changé")
@_writing(SPRINT_MANAGERS)
def edit_sprint(data: dict[str, Any], sprint_id: int) -> Any:
    """Modifier objectif, notes de revue, dates ; commencer (state: active) ou terminer (state: closed, avec
    unfinished : next_sprint ou backlog pour les éléments non terminés), avec expected_version. Tout ou rien."""
    db = get_session()
    sprint = backlog.get_sprint(db, sprint_id)
    agent = require(Action.MANAGE_SPRINTS, sprint)
    backlog.check_version(sprint, data.get("expected_version"))
    edits = {key: data[key] for key in ("starts_on", "ends_on", "goal", "review_notes") if data.get(key) is not None}
    if edits:
        sprint_services.edit_sprint(db, agent, sprint.id, **edits)
    if data.get("state") == SprintState.ACTIVE:
        sprint_services.start_sprint(db, agent, sprint.id)
    elif data.get("state") == SprintState.CLOSED:
        sprint_services.close_sprint(db, agent, sprint.id, unfinished=data["unfinished"])
    elif data.get("state") == SprintState.PLANNED and sprint.state != SprintState.PLANNED:
        raise backlog.invalid("state", "Un sprint commencé ne redevient pas « prévu ».")
    db.commit()
    return _sprint_answer(sprint)


@bp.route("/sprints/<int:sprint_id>/burndown", methods=["GET"])
@bp.response(200, BurndownSchema)
@_reading
def burndown(sprint_id: int) -> Any:
    """Burndown du sprint, jour par jour : points restants, périmètre, ligne idéale et personnes touchées par ses
    irritants non corrigés (rejoué depuis le journal des changements)."""
    db = get_session()
    sprint = backlog.get_sprint(db, sprint_id)
    days = sprint_burndown(db, sprint.id, people=people_since)
    body = {
        "sprint": _sprint_body(sprint, _slug(sprint.squad_id)),
        "days": [
            {
                "date": d.date,
                "points_remaining": d.points_remaining,
                "scope": d.scope,
                "ideal": d.ideal,
                "people_affected": d.people_affected,
            }
            for d in days
        ],
    }
    return body, 200, NO_STORE


@bp.route("/squads/<slug>/velocity", methods=["GET"])
@bp.response(200, VelocitySchema)
@_reading
def velocity(slug: str) -> Any:
    """Vélocité : pour chacun des derniers sprints terminés, ses dates, les points faits et les irritants corrigés
    (une équipe se juge aussi aux irritants qu'elle retire)."""
    db = get_session()
    squad = squads.squad_by_slug(db, slug)
    sprints = []
    for result in squad_velocity(db, squad.id):
        sprint = backlog.get_sprint(db, result.sprint_id)
        sprints.append(
            {
                "id": sprint.id, "number": sprint.number, "starts_on": sprint.starts_on, "ends_on": sprint.ends_on,
                "closed_at": sprint.closed_at, "points_done": result.points_done,
                "irritants_fixed": result.irritants_fixed,
            }
        )  # fmt: skip
    return {"squad": squad.slug, "sprints": sprints}, 200, NO_STORE


# --- items ------------------------------------------------------------------------------------------------------


@bp.route("/squads/<slug>/items", methods=["GET"])
@bp.arguments(ItemQuerySchema, location="query")
@paged(bp, ItemPageSchema, deprecated=LEGACY_ITEM_FILTERS)
@bp.problem(422, "Filtre, tri ou pagination invalide")
@_reading
def list_items(args: dict[str, Any], slug: str) -> Any:
    """Les éléments de backlog d'une start-up d'État, par rang par défaut : tous, ceux d'un sprint, ou le backlog
    produit (sprint=none)."""
    db = get_session()
    squad = squads.squad_by_slug(db, slug)
    page = backlog.list_items(
        db, squad.id, page=args["page"], page_size=args["page_size"], sprint_id=args.get("sprint_id"),
        backlog_only=args["backlog"], state=args.get("state"), sort=args["sort"],
    )  # fmt: skip
    links = backlog.links_of(db, [item.id for item in page.items])
    return Page([_item_body(i, squad.slug, links[i.id]) for i in page.items], page.total, page.page, page.page_size)


@bp.route("/squads/<slug>/items", methods=["POST"])
@bp.arguments(
    ItemCreateSchema, example={"title": "Créneaux du samedi", "points": 3, "sprint_id": 4, "cluster_ids": [12]}
)
@bp.response(201, ItemOutSchema, headers={**LOCATION, **ETAG})
@_writing(ITEM_WORKERS)
def create_item(data: dict[str, Any], slug: str) -> Any:
    """Ajouter un élément en bas du backlog (dans un sprint ouvert si sprint_id), lié aux irritants cluster_ids."""
    db = get_session()
    squad = squads.squad_by_slug(db, slug)
    agent = require(Action.MANAGE_SPRINTS if data.get("cluster_ids") else Action.WORK_ITEMS, squad)
    item = backlog.create_item(
        db, agent, squad.id, title=data["title"], description=data.get("description") or "",
        points=data.get("points"), sprint_id=data.get("sprint_id"),
        cluster_ids=_existing_irritants(data.get("cluster_ids") or []),
    )  # fmt: skip
    db.commit()
    body, _, headers = _item_answer(item)
    return body, 201, {**headers, "Location": f"/api/v1/items/{item.id}"}


@bp.route("/items/<int:item_id>", methods=["GET"])
@bp.response(200, ItemOutSchema, headers=ETAG)
@_reading
def get_item(item_id: int) -> Any:
    """Un élément de backlog : état, points, rang, sprint, irritants liés, version."""
    return _item_answer(backlog.get_item(get_session(), item_id))


def _relink(agent: Agent, item: BacklogItem, wanted: list[int]) -> None:
    db = get_session()
    current = set(backlog.linked_irritants(db, item.id))
    for cluster_id in sorted(current - set(wanted)):
        backlog.unlink_irritant(db, agent, item.id, cluster_id)
    for cluster_id in sorted(set(wanted) - current):
        backlog.link_irritant(db, agent, item.id, cluster_id)


@bp.route("/items/<int:item_id>", methods=["PATCH"])
@bp.arguments(ItemPatchSchema, example={"state": "in_progress", "points": 5, "expected_version": 3})
@bp.response(200, ItemOutSchema, headers=ETAG)
@bp.problem(409, "Modifié entre-temps par quelqu'un d'autre (version) : rien n'a été changé")
@_writing(ITEM_WORKERS)
def edit_item(data: dict[str, Any], item_id: int) -> Any:
    """Changer titre, description, état, points (null : sans estimation), sprint (null : backlog produit), rang ou
    irritants liés (responsables produit), avec expected_version. Tout ou rien."""
    db = get_session()
    item = backlog.get_item(db, item_id)
    agent = require(Action.MANAGE_SPRINTS if "cluster_ids" in data else Action.WORK_ITEMS, item)
    backlog.check_version(item, data.get("expected_version"))
    wanted = _existing_irritants(data["cluster_ids"]) if "cluster_ids" in data else None
    if "title" in data or "description" in data or "points" in data:
        backlog.edit_item(
            db, agent, item.id, title=data.get("title"), description=data.get("description"),
            points=data.get("points"), clear_points="points" in data and data["points"] is None,
        )  # fmt: skip
    if "state" in data:
        backlog.change_state(db, agent, item.id, data["state"])
    if "sprint_id" in data:
        backlog.set_sprint(db, agent, item.id, data["sprint_id"])
    if "rank" in data:
        backlog.set_rank(db, agent, item.id, data["rank"])
    if wanted is not None:
        _relink(agent, item, wanted)
    db.commit()
    return _item_answer(item)
