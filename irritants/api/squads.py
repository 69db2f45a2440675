"""``/api/v1/squads``: start-ups d'État, their public profile and dated phases; admins create them, admins and the
squad's product owners edit them and move them along their life-cycle. Anyone reads the public fields; a signed-in
agent also reads the version to send back and the members."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from sqlalchemy.orm.exc import StaleDataError

from irritants.api.listing import paged
from irritants.api.spec import BEARER_AUTH, ETAG, LOCATION, Blueprint
from irritants.auth import accounts
from irritants.auth.access import bearer_token, current_agent, protect_api_write, require
from irritants.auth.exceptions import Unauthenticated
from irritants.auth.policy import Action, Agent
from irritants.db import get_session
from irritants.errors import StaleObject, ValidationFailed
from irritants.intake.redaction import has_personal_data
from irritants.paging import Page, PageQuerySchema, page_schema, sort_field
from irritants.squads import services as squads
from irritants.squads.phases import PHASE_LABELS, SquadPhase, allowed_moves
from irritants.squads.schemas import SquadCreateSchema, SquadPatchSchema, SquadPhaseSchema, personal_data_errors

bp = Blueprint(
    "api_squads",
    __name__,
    url_prefix="/api/v1/squads",
    description="Start-ups d'État : fiche publique, phases datées ; création et modification par les agents",
)
SECURITY = [{BEARER_AUTH: []}]
NO_STORE = {"Cache-Control": "no-store"}


@bp.before_request
def _callers() -> None:
    """A token that is wrong is refused even on public reads (the caller meant to act as someone); writes need an
    agent who may edit some squad, before any body is read, and a browser session proves it is this site (CSRF)."""
    if bearer_token() is not None and current_agent() is None:
        raise Unauthenticated("Jeton d'API invalide, expiré ou révoqué.")
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    require(Action.EDIT_SQUAD)
    protect_api_write()


# --- answers ----------------------------------------------------------------------------------------------


class AdministrationRefSchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()


class PhaseEntrySchema(ma.Schema):
    phase = ma.fields.Enum(SquadPhase, by_value=True)
    label = ma.fields.String()
    started_on = ma.fields.Date()
    note = ma.fields.String(allow_none=True, metadata={"description": "Note publique ; bilan pour un abandon"})
    recorded_by = ma.fields.String(metadata={"description": "Agents seulement : qui l'a enregistrée"})


class LinksSchema(ma.Schema):
    product = ma.fields.String(allow_none=True, metadata={"description": "Site du produit"})
    repository = ma.fields.String(allow_none=True, metadata={"description": "Dépôt de code"})
    stats = ma.fields.String(allow_none=True, metadata={"description": "Page de statistiques publique"})


class MemberSchema(ma.Schema):
    name = ma.fields.String()
    email = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())
    role_labels = ma.fields.List(ma.fields.String())


class PhaseChoiceSchema(ma.Schema):
    phase = ma.fields.Enum(SquadPhase, by_value=True)
    label = ma.fields.String()


class SquadOutSchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()
    mission = ma.fields.String(allow_none=True)
    phase = ma.fields.Enum(SquadPhase, by_value=True)
    phase_label = ma.fields.String()
    phase_since = ma.fields.Date(allow_none=True, metadata={"description": "Début de la phase actuelle"})
    administration = ma.fields.Nested(AdministrationRefSchema, allow_none=True)
    incubator = ma.fields.String(allow_none=True)
    links = ma.fields.Nested(LinksSchema)
    public_url = ma.fields.String(metadata={"description": "Page publique /startups/<slug>"})
    version = ma.fields.Integer(metadata={"description": "Agents seulement : à renvoyer en expected_version"})


class SquadDetailSchema(SquadOutSchema):
    phases = ma.fields.List(
        ma.fields.Nested(PhaseEntrySchema), metadata={"description": "Phases datées, la plus ancienne d'abord"}
    )
    allowed_phases = ma.fields.List(
        ma.fields.Nested(PhaseChoiceSchema), metadata={"description": "Phases possibles ensuite"}
    )
    members = ma.fields.List(ma.fields.Nested(MemberSchema), metadata={"description": "Agents seulement"})


SquadPageSchema = page_schema(SquadOutSchema, "SquadPage", "Start-ups d'État, dans l'ordre demandé")


def _summary(profile: squads.SquadProfile, agent: Agent | None) -> dict[str, Any]:
    squad, admin = profile.squad, profile.administration
    body: dict[str, Any] = {
        "slug": squad.slug,
        "name": squad.name,
        "mission": squad.mission,
        "phase": squad.phase,
        "phase_label": PHASE_LABELS[squad.phase],
        "phase_since": profile.phases[-1].started_on if profile.phases else None,
        "administration": {"slug": admin.slug, "name": admin.name} if admin else None,
        "incubator": squad.incubator,
        "links": {"product": squad.product_url, "repository": squad.repository_url, "stats": squad.stats_url},
        "public_url": f"/startups/{squad.slug}",
    }
    if agent is not None:
        body["version"] = squad.version
    return body


def _detail(profile: squads.SquadProfile, agent: Agent | None, *, status: int = 200) -> Any:
    body = _summary(profile, agent)
    body["phases"] = [
        {"phase": p.phase, "label": PHASE_LABELS[p.phase], "started_on": p.started_on, "note": p.note}
        | ({"recorded_by": p.recorded_by} if agent is not None else {})
        for p in profile.phases
    ]
    body["allowed_phases"] = [{"phase": p, "label": PHASE_LABELS[p]} for p in allowed_moves(profile.squad.phase)]
    if agent is not None:
        body["members"] = [
            {"name": u.name, "email": u.email, "roles": list(u.roles), "role_labels": accounts.role_labels(u.roles)}
            for u in accounts.squad_members(get_session(), profile.squad.id)
        ]
        return body, status, {**NO_STORE, "ETag": f'"{profile.squad.version}"'}
    return body, status


def _commit(change: Any, *args: Any) -> Any:
    """``change(*args)`` and the request's commit; a concurrent edit of the same squad (its version moved between
    our read and our write) becomes a 409, with nothing written."""
    try:
        done = change(*args)
        get_session().commit()
    except StaleDataError as exc:
        get_session().rollback()
        raise StaleObject(squads.STALE_MESSAGE) from exc
    return done


def _no_personal_data(data: dict[str, Any]) -> None:
    errors = personal_data_errors(data, has_personal_data)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)


def _edit(slug: str, change: Any, data: dict[str, Any]) -> Any:
    """One squad's edit or move by an agent allowed to edit it: the service's ``change``, committed, the new detail."""
    _no_personal_data(data)
    db = get_session()
    squad = squads.squad_by_slug(db, slug)
    agent = require(Action.EDIT_SQUAD, squad)
    _commit(change, db, agent, squad, data)
    return _detail(squads.profile(db, squad), agent)


def _writing(func: Any) -> Any:
    for decorator in (
        bp.problem(400, "Jeton CSRF manquant (appel avec une session de navigateur)"),
        bp.problem(401, "Jeton ou session d'agent requis"),
        bp.problem(403, "Réservé aux administrateurs et aux responsables produit de cette start-up d'État"),
        bp.problem(422, "Champs invalides, administration inconnue ou passage de phase impossible"),
        bp.doc(security=SECURITY),
    ):
        func = decorator(func)
    return func


# --- reading ----------------------------------------------------------------------------------------------


class SquadQuerySchema(PageQuerySchema):
    sort = sort_field(squads.SQUAD_SORTS, "name")


@bp.route("", methods=["GET"])
@bp.arguments(SquadQuerySchema, location="query")
@paged(bp, SquadPageSchema)
@bp.problem(401, "Jeton d'API invalide, expiré ou révoqué (sans jeton : lecture publique)")
@bp.problem(422, "Tri ou pagination invalide")
def list_squads(args: dict[str, Any]) -> Any:
    """Les start-ups d'État, par nom par défaut : champs publics (et version pour les agents)."""
    db, agent = get_session(), current_agent()
    page = squads.list_squads(db, page=args["page"], page_size=args["page_size"], sort=args["sort"])
    items = [_summary(profile, agent) for profile in squads.profiles(db, page.items)]
    return Page(items, page.total, page.page, page.page_size)


@bp.route("/<slug>", methods=["GET"])
@bp.response(200, SquadDetailSchema, headers=ETAG)
@bp.problem(401, "Jeton d'API invalide, expiré ou révoqué (sans jeton : lecture publique)")
@bp.problem(404, "Start-up d'État inconnue")
def get_squad(slug: str) -> Any:
    """Une start-up d'État : mission, administration, liens, phases datées ; pour les agents, version et membres."""
    db = get_session()
    return _detail(squads.profile(db, squads.squad_by_slug(db, slug)), current_agent())


# --- writing ----------------------------------------------------------------------------------------------


@bp.route("", methods=["POST"])
@bp.arguments(
    SquadCreateSchema,
    example={
        "name": "Rendez-vous en préfecture",
        "mission": "Permettre à chacun d'obtenir un rendez-vous en préfecture sans passer la nuit devant l'écran.",
        "administration": "prefecture",
        "incubator": "Incubateur de l'Intérieur",
        "product_url": "https://rdv-prefecture.beta.gouv.fr",
        "phase": "investigation",
    },
)
@bp.response(201, SquadDetailSchema, headers={**LOCATION, **ETAG})
@_writing
def create_squad(data: dict[str, Any]) -> Any:
    """Créer une start-up d'État (administrateurs) ; sa première phase est datée du jour sauf started_on."""
    agent = require(Action.MANAGE_SQUADS)
    _no_personal_data(data)
    db = get_session()
    squad = _commit(squads.create_squad, db, agent, data)
    body, _, headers = _detail(squads.profile(db, squad), agent)
    return body, 201, {**headers, "Location": f"/api/v1/squads/{squad.slug}"}


@bp.route("/<slug>", methods=["PATCH"])
@bp.arguments(
    SquadPatchSchema,
    example={"mission": "Un paragraphe à jour.", "stats_url": "https://rdv.beta.gouv.fr/stats", "expected_version": 3},
)
@bp.response(200, SquadDetailSchema, headers=ETAG)
@bp.problem(404, "Start-up d'État inconnue")
@bp.problem(409, "Modifiée entre-temps par quelqu'un d'autre (version) : rien n'a été changé")
@_writing
def edit_squad(data: dict[str, Any], slug: str) -> Any:
    """Modifier la fiche (champs présents seulement ; null vide un champ facultatif), avec expected_version."""
    return _edit(slug, squads.edit_squad, data)


@bp.route("/<slug>/phase", methods=["POST"])
@bp.arguments(SquadPhaseSchema, example={"phase": "construction", "note": "Premiers usagers accompagnés en Gironde."})
@bp.response(200, SquadDetailSchema, headers=ETAG)
@bp.problem(404, "Start-up d'État inconnue")
@bp.problem(409, "Modifiée entre-temps par quelqu'un d'autre (version) : rien n'a été changé")
@_writing
def change_phase(data: dict[str, Any], slug: str) -> Any:
    """Passer à la phase suivante selon le cycle de vie (investigation → construction → accélération → transfert
    → pérennisé ; abandon possible à tout moment, avec un bilan) ; datée du jour sauf started_on."""
    return _edit(slug, squads.change_phase, data)
