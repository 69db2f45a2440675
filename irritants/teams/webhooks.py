"""A squad's webhooks in the back-office (`/agents/equipes/<slug>/webhooks`): its endpoints, the form that adds one
(its secret shown on that answer only), and per endpoint its delivery log with the buttons that rotate the secret,
suspend or resume the deliveries, and delete it. Same rules, schemas and services as the API
(``api/webhooks.py``): its product owners and the administrators (``Action.MANAGE_WEBHOOKS``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from irritants.auth.access import require
from irritants.auth.policy import Action
from irritants.db import get_session
from irritants.errors import ValidationFailed
from irritants.settings import settings_of
from irritants.squads import services as squads
from irritants.squads.models import Squad
from irritants.teams.admin_forms import load, refused
from irritants.webhooks import deliveries, services
from irritants.webhooks.models import EVENT_LABELS, WebhookEndpoint
from irritants.webhooks.schemas import WebhookCreateSchema

bp = Blueprint("team_webhooks", __name__, url_prefix="/agents/equipes")

LABELS = {"url": "Adresse de réception", "events": "Événements envoyés"}
STATE_LABELS = {
    "pending": ("En attente", "info"),
    "sending": ("En cours d’envoi", "info"),
    "sent": ("Reçu", "success"),
    "dead": ("Abandonné", "error"),
}


def _squad(slug: str) -> tuple[Any, Squad]:
    require(Action.MANAGE_WEBHOOKS)  # who manages no squad's webhooks is refused before the slug is looked up
    squad = squads.squad_by_slug(get_session(), slug)
    return require(Action.MANAGE_WEBHOOKS, squad), squad


def _endpoint(slug: str, endpoint_id: int) -> tuple[Any, Squad, WebhookEndpoint]:
    agent, squad = _squad(slug)
    return agent, squad, services.endpoint(get_session(), squad.id, endpoint_id)


def _render_list(squad: Squad, form: Any = None, errors: Any = None, created: Any = None, status: int = 200) -> Any:
    html = render_template(
        "teams/webhooks.html",
        squad=squad,
        endpoints=services.endpoints(get_session(), squad.id),
        event_options=[(event.value, label) for event, label in EVENT_LABELS.items()],
        form=form or {},
        ticked=form.getlist("events") if form is not None else [],
        errors=errors or {},
        labels=LABELS,
        created=created,
        allow_http=settings_of(current_app).webhooks.allow_private,
    )
    return html, status


def _render_endpoint(squad: Squad, endpoint: WebhookEndpoint, secret: str | None = None) -> Any:
    return render_template(
        "teams/webhook.html",
        squad=squad,
        endpoint=endpoint,
        event_labels=EVENT_LABELS,
        log=deliveries.log(get_session(), endpoint.id),
        state_labels=STATE_LABELS,
        secret=secret,
    )


@bp.get("/<slug>/webhooks")
def webhooks_page(slug: str) -> Any:
    """The squad's endpoints and the form that adds one."""
    _agent, squad = _squad(slug)
    return _render_list(squad)


@bp.post("/<slug>/webhooks")
def create_webhook(slug: str) -> Any:
    """Register an endpoint; its secret is on this answer only (201)."""
    agent, squad = _squad(slug)
    db = get_session()
    try:
        made = services.register(
            db, settings_of(current_app).webhooks, agent, squad.id, load(WebhookCreateSchema(), request.form)
        )
        db.commit()
    except ValidationFailed as err:
        db.rollback()
        return _render_list(squad, request.form, refused(err), status=422)
    return _render_list(squad, created=made, status=201)


@bp.get("/<slug>/webhooks/<int:endpoint_id>")
def webhook_page(slug: str, endpoint_id: int) -> Any:
    """One endpoint: what it receives, its state, its delivery log."""
    _agent, squad, endpoint = _endpoint(slug, endpoint_id)
    return _render_endpoint(squad, endpoint)


@bp.post("/<slug>/webhooks/<int:endpoint_id>/secret")
def rotate_secret(slug: str, endpoint_id: int) -> Any:
    """A new secret, shown on this answer only; the old one signs nothing more."""
    agent, squad, endpoint = _endpoint(slug, endpoint_id)
    db = get_session()
    made = services.rotate_secret(db, settings_of(current_app).webhooks, agent, endpoint)
    db.commit()
    return _render_endpoint(squad, endpoint, secret=made.secret)


@bp.post("/<slug>/webhooks/<int:endpoint_id>/activation")
def set_active(slug: str, endpoint_id: int) -> Any:
    """Suspend (``active=0``) or resume (``active=1``) the deliveries."""
    agent, squad, endpoint = _endpoint(slug, endpoint_id)
    active = request.form.get("active") == "1"
    db = get_session()
    services.change(db, settings_of(current_app).webhooks, agent, endpoint, {"active": active})
    db.commit()
    flash("Envois repris." if active else "Envois suspendus : rien ne sera envoyé tant qu’ils le restent.", "success")
    return redirect(url_for("team_webhooks.webhook_page", slug=squad.slug, endpoint_id=endpoint.id), 303)


@bp.post("/<slug>/webhooks/<int:endpoint_id>/suppression")
def delete_webhook(slug: str, endpoint_id: int) -> Any:
    """Delete an endpoint (its pending deliveries give up)."""
    agent, squad, endpoint = _endpoint(slug, endpoint_id)
    db = get_session()
    url = endpoint.url
    services.delete(db, agent, endpoint)
    db.commit()
    flash(f"Webhook {url} supprimé.", "success")
    return redirect(url_for("team_webhooks.webhooks_page", slug=squad.slug), 303)
