"""``/api/v1/squads/<slug>/webhooks``: a squad's webhook endpoints (docs/webhooks.md). Its product owners and the
administrators register, read, change, rotate and delete them; nobody else reads them, not even the squad's members
(a receiver's URL is often a secret of its own). The secret is in the answer that made it only."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, request

from irritants.api.listing import whole
from irritants.api.spec import BEARER_AUTH, LOCATION, Blueprint
from irritants.auth.access import bearer_token, current_agent, protect_api_write, require
from irritants.auth.exceptions import Unauthenticated
from irritants.auth.policy import Action
from irritants.db import get_session
from irritants.settings import settings_of
from irritants.squads import services as squads
from irritants.webhooks import deliveries, services
from irritants.webhooks.models import WebhookEndpoint, WebhookEvent
from irritants.webhooks.schemas import WebhookCreateSchema, WebhookPatchSchema

bp = Blueprint(
    "api_webhooks",
    __name__,
    url_prefix="/api/v1/squads",
    description="Webhooks des start-ups d'État : leurs outils reçoivent les changements de leurs irritants et de leur "
    "backlog, signés (docs/webhooks.md)",
)
SECURITY = [{BEARER_AUTH: []}]
NO_STORE = {"Cache-Control": "no-store"}


@bp.before_request
def _callers() -> None:
    """A wrong token is refused; every call needs an agent who manages this squad's webhooks, asked before any body
    is read (a refused caller learns nothing from a validation error); writes by a browser session prove it is this
    site (CSRF)."""
    if bearer_token() is not None and current_agent() is None:
        raise Unauthenticated("Jeton d'API invalide, expiré ou révoqué.")
    require(Action.MANAGE_WEBHOOKS)
    slug = (request.view_args or {}).get("slug")
    if slug is not None:
        require(Action.MANAGE_WEBHOOKS, squads.squad_by_slug(get_session(), slug))
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        protect_api_write()


def _event_field(**metadata: Any) -> ma.fields.String:
    return ma.fields.String(metadata={"enum": [e.value for e in WebhookEvent], **metadata})


class WebhookOutSchema(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    events = ma.fields.List(_event_field())
    active = ma.fields.Boolean()
    disabled_reason = ma.fields.String(allow_none=True, metadata={"description": "Pourquoi il ne reçoit plus rien"})
    secret_prefix = ma.fields.String(metadata={"description": "Début du secret, pour le reconnaître"})
    secret_rotated_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    created_by = ma.fields.String()


class WebhookSecretSchema(WebhookOutSchema):
    secret = ma.fields.String(
        metadata={"description": "Secret de signature, dans cette réponse seulement : conservez-le dans l'outil"}
    )


class AttemptSchema(ma.Schema):
    at = ma.fields.DateTime()
    ok = ma.fields.Boolean()
    status_code = ma.fields.Integer(allow_none=True)
    duration_ms = ma.fields.Integer(allow_none=True)
    error = ma.fields.String(allow_none=True)


class DeliverySchema(ma.Schema):
    id = ma.fields.String(metadata={"description": "X-Irritants-Delivery, et l'id du corps envoyé"})
    event = _event_field()
    state = ma.fields.String(metadata={"description": "pending, sending, sent ou dead"})
    created_at = ma.fields.DateTime()
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.DateTime(allow_none=True, metadata={"description": "Prochain essai (en attente)"})
    sent_at = ma.fields.DateTime(allow_none=True)
    status_code = ma.fields.Integer(allow_none=True, metadata={"description": "Code HTTP du dernier essai"})
    duration_ms = ma.fields.Integer(allow_none=True, metadata={"description": "Durée du dernier essai"})
    last_error = ma.fields.String(allow_none=True)
    tries = ma.fields.List(
        ma.fields.Nested(AttemptSchema), metadata={"description": "Chaque essai, le plus récent d'abord"}
    )


def _body(endpoint: WebhookEndpoint, secret: str | None = None) -> dict[str, Any]:
    body = {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "active": endpoint.active,
        "disabled_reason": endpoint.disabled_reason,
        "secret_prefix": endpoint.secret_prefix,
        "secret_rotated_at": endpoint.secret_rotated_at,
        "created_at": endpoint.created_at,
        "created_by": endpoint.created_by,
    }
    return body | ({"secret": secret} if secret is not None else {})


def _squad(slug: str) -> tuple[Any, Any]:
    squad = squads.squad_by_slug(get_session(), slug)
    return require(Action.MANAGE_WEBHOOKS, squad), squad


def _endpoint(slug: str, endpoint_id: int) -> tuple[Any, WebhookEndpoint]:
    agent, squad = _squad(slug)
    return agent, services.endpoint(get_session(), squad.id, endpoint_id)


def _documented(func: Any) -> Any:
    for decorator in (
        bp.problem(400, "Jeton CSRF manquant (appel avec une session de navigateur)"),
        bp.problem(401, "Jeton ou session d'agent requis"),
        bp.problem(403, "Réservé aux administrateurs et aux responsables produit de cette start-up d'État"),
        bp.problem(404, "Start-up d'État ou webhook inconnus"),
        bp.doc(security=SECURITY),
    ):
        func = decorator(func)
    return func


@bp.route("/<slug>/webhooks", methods=["GET"])
@whole(bp, WebhookOutSchema(many=True), "Liste courte par nature : dix webhooks au plus par start-up d'État")
@_documented
def list_webhooks(slug: str) -> Any:
    """Les webhooks de la start-up d'État, sans leur secret (les événements possibles : l'énumération de `events`)."""
    _agent, squad = _squad(slug)
    return [_body(e) for e in services.endpoints(get_session(), squad.id)], 200, NO_STORE


@bp.route("/<slug>/webhooks", methods=["POST"])
@bp.arguments(
    WebhookCreateSchema,
    example={"url": "https://outil.exemple.fr/irritants", "events": ["irritant.status_changed", "item.state_changed"]},
)
@bp.response(201, WebhookSecretSchema, headers=LOCATION)
@bp.problem(422, "Adresse refusée (https, serveur public), événement inconnu, adresse déjà enregistrée")
@_documented
def create_webhook(data: dict[str, Any], slug: str) -> Any:
    """Enregistrer une adresse pour des événements ; le secret de signature n'est donné que dans cette réponse."""
    agent, squad = _squad(slug)
    db = get_session()
    made = services.register(db, settings_of(current_app).webhooks, agent, squad.id, data)
    db.commit()
    location = f"/api/v1/squads/{slug}/webhooks/{made.endpoint.id}"
    return _body(made.endpoint, made.secret), 201, {**NO_STORE, "Location": location}


@bp.route("/<slug>/webhooks/<int:endpoint_id>", methods=["GET"])
@bp.response(200, WebhookOutSchema)
@_documented
def get_webhook(slug: str, endpoint_id: int) -> Any:
    """Un webhook (sans son secret)."""
    _agent, endpoint = _endpoint(slug, endpoint_id)
    return _body(endpoint), 200, NO_STORE


@bp.route("/<slug>/webhooks/<int:endpoint_id>", methods=["PATCH"])
@bp.arguments(WebhookPatchSchema, example={"active": False})
@bp.response(200, WebhookOutSchema)
@bp.problem(422, "Adresse refusée, événement inconnu, rien à modifier")
@_documented
def edit_webhook(data: dict[str, Any], slug: str, endpoint_id: int) -> Any:
    """Changer l'adresse, les événements, ou suspendre (active: false) et reprendre (active: true) les envois."""
    agent, endpoint = _endpoint(slug, endpoint_id)
    db = get_session()
    services.change(db, settings_of(current_app).webhooks, agent, endpoint, data)
    db.commit()
    return _body(endpoint), 200, NO_STORE


@bp.route("/<slug>/webhooks/<int:endpoint_id>", methods=["DELETE"])
@bp.response(204)
@_documented
def delete_webhook(slug: str, endpoint_id: int) -> Any:
    """Supprimer un webhook : les envois en attente sont abandonnés."""
    agent, endpoint = _endpoint(slug, endpoint_id)
    db = get_session()
    services.delete(db, agent, endpoint)
    db.commit()
    return "", 204


@bp.route("/<slug>/webhooks/<int:endpoint_id>/secret", methods=["POST"])
@bp.response(200, WebhookSecretSchema)
@_documented
def rotate_secret(slug: str, endpoint_id: int) -> Any:
    """Renouveler le secret : tout envoi à partir de maintenant (nouvel essai compris) est signé avec le nouveau,
    donné dans cette réponse seulement."""
    agent, endpoint = _endpoint(slug, endpoint_id)
    db = get_session()
    made = services.rotate_secret(db, settings_of(current_app).webhooks, agent, endpoint)
    db.commit()
    return _body(made.endpoint, made.secret), 200, NO_STORE


@bp.route("/<slug>/webhooks/<int:endpoint_id>/deliveries", methods=["GET"])
@whole(bp, DeliverySchema(many=True), "Les envois les plus récents seulement (le journal est borné)")
@_documented
def list_deliveries(slug: str, endpoint_id: int) -> Any:
    """Le journal des envois du webhook, les plus récents d'abord : état, code HTTP, durée, essais, prochain essai."""
    _agent, endpoint = _endpoint(slug, endpoint_id)
    return [d.as_dict() for d in deliveries.log(get_session(), endpoint.id)], 200, NO_STORE
