"""A squad's webhook endpoints: register one (its secret returned once), list, change, rotate the secret, delete;
and which endpoints an event goes to. The doors ask the policy (``Action.MANAGE_WEBHOOKS``); each change is one
audit event (``webhook.*``, never the secret)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.audit.services import Actor, record
from irritants.db import utcnow
from irritants.errors import NotFoundError, ValidationFailed
from irritants.outbox.models import OutboxMessage
from irritants.settings import WebhookSettings
from irritants.webhooks import addresses, sealing, signing
from irritants.webhooks.models import WebhookEndpoint, WebhookEvent

MAX_ENDPOINTS = 10  # per squad: each event is one delivery per endpoint
NOT_FOUND = "Webhook introuvable pour cette start-up d'État."
SUBJECT = "webhook"
KIND = "webhook"  # the outbox transport (transport.py)


def ref(endpoint_id: int) -> str:
    """The outbox ``ref`` of an endpoint's deliveries (its delivery log)."""
    return f"webhook:{endpoint_id}"


@dataclass(frozen=True)
class Registered:
    """A new endpoint, or one whose secret was just rotated, with the secret in clear: shown on this answer only."""

    endpoint: WebhookEndpoint
    secret: str


def endpoints(session: Session, squad_id: int) -> list[WebhookEndpoint]:
    """A squad's endpoints, oldest first."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.squad_id == squad_id).order_by(WebhookEndpoint.id)
    return list(session.scalars(query))


def endpoint(session: Session, squad_id: int, endpoint_id: int) -> WebhookEndpoint:
    """One of a squad's endpoints (NotFoundError for another squad's: its id says nothing)."""
    found = session.get(WebhookEndpoint, endpoint_id) if 0 < endpoint_id < 2**31 else None
    if found is None or found.squad_id != squad_id:
        raise NotFoundError(NOT_FOUND)
    return found


def subscribed(session: Session, squad_id: int, event: WebhookEvent) -> list[WebhookEndpoint]:
    """The active endpoints of a squad that receive ``event``."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.squad_id == squad_id, WebhookEndpoint.active.is_(True))
    return [e for e in session.scalars(query.order_by(WebhookEndpoint.id)) if event.value in e.events]


def checked_url(url: str, webhooks: WebhookSettings) -> str:
    """``url`` if deliveries may use it (https, a public host), else ValidationFailed on ``url``."""
    try:
        addresses.parse(url, allow_private=webhooks.allow_private)
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors={"url": [str(exc)]}) from None
    return url


def _same_url(session: Session, squad_id: int, url: str, but: int | None = None) -> None:
    for other in endpoints(session, squad_id):
        if other.url == url and other.id != but:
            message = "Cette adresse reçoit déjà des événements de l'équipe : modifiez plutôt ses événements."
            raise ValidationFailed(message, errors={"url": [message]})


def _seal(webhooks: WebhookSettings, endpoint: WebhookEndpoint, secret: str) -> None:
    endpoint.sealed_secret = sealing.seal(webhooks.sealing_key, secret, endpoint_id=endpoint.id)
    endpoint.secret_prefix = secret[: signing.PREFIX_SHOWN]


def _shown(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"url": endpoint.url, "events": list(endpoint.events), "active": endpoint.active}


def register(
    session: Session, webhooks: WebhookSettings, agent: Actor | None, squad_id: int, data: dict[str, Any]
) -> Registered:
    """A new endpoint for ``squad_id`` (``url``, ``events``), active, with a fresh secret."""
    url = checked_url(data["url"], webhooks)
    if len(endpoints(session, squad_id)) >= MAX_ENDPOINTS:
        message = f"Une start-up d'État a au plus {MAX_ENDPOINTS} webhooks : supprimez-en un d'abord."
        raise ValidationFailed(message, errors={"url": [message]})
    _same_url(session, squad_id, url)
    found = WebhookEndpoint(
        squad_id=squad_id,
        url=url,
        events=[WebhookEvent(e).value for e in data["events"]],
        active=True,
        sealed_secret=b"",
        secret_prefix="",
        created_by_id=agent.user_id if agent else None,
        created_by=agent.label if agent else "système",
    )
    session.add(found)
    session.flush()  # the id is sealed with the secret
    secret = signing.new_secret()
    _seal(webhooks, found, secret)
    session.flush()
    record(session, agent, "webhook.create", SUBJECT, found.id, after=_shown(found) | {"squad_id": squad_id})
    return Registered(found, secret)


def change(
    session: Session, webhooks: WebhookSettings, agent: Actor | None, endpoint: WebhookEndpoint, data: dict[str, Any]
) -> WebhookEndpoint:
    """Change an endpoint's ``url``, ``events`` or ``active`` (those given); re-enabling clears why it stopped."""
    before = _shown(endpoint)
    if "url" in data and data["url"] != endpoint.url:
        _same_url(session, endpoint.squad_id, checked_url(data["url"], webhooks), but=endpoint.id)
        endpoint.url = data["url"]
    if "events" in data:
        endpoint.events = [WebhookEvent(e).value for e in data["events"]]
    if "active" in data and data["active"] != endpoint.active:
        endpoint.active = data["active"]
        label = agent.label if agent else "système"
        endpoint.disabled_reason = None if endpoint.active else f"Désactivé par {label}."
    after = _shown(endpoint)
    if after != before:
        session.flush()
        record(session, agent, "webhook.edit", SUBJECT, endpoint.id, before=before, after=after)
    return endpoint


def rotate_secret(
    session: Session, webhooks: WebhookSettings, agent: Actor | None, endpoint: WebhookEndpoint
) -> Registered:
    """A new secret for ``endpoint``: every delivery from now on (retries of older ones too) is signed with it."""
    secret = signing.new_secret()
    _seal(webhooks, endpoint, secret)
    endpoint.secret_rotated_at = utcnow()
    session.flush()
    record(session, agent, "webhook.rotate", SUBJECT, endpoint.id, after={"secret_prefix": endpoint.secret_prefix})
    return Registered(endpoint, secret)


def secret_of(webhooks: WebhookSettings, endpoint: WebhookEndpoint) -> str:
    """The endpoint's secret in clear, to sign a delivery (``sealing.SecretUnreadable`` if SECRET_KEY changed)."""
    return sealing.unseal(webhooks.sealing_key, endpoint.sealed_secret, endpoint_id=endpoint.id)


def stop(session: Session, endpoint_id: int, reason: str) -> None:
    """Deactivate an endpoint for ``reason`` (its receiver answered 410 Gone): nothing more is sent to it."""
    found = session.get(WebhookEndpoint, endpoint_id)
    if found is not None and found.active:
        found.active = False
        found.disabled_reason = reason
        session.flush()
        record(
            session,
            None,
            "webhook.edit",
            SUBJECT,
            found.id,
            before={"active": True},
            after={"active": False},
            reason=reason,
        )


def delete(session: Session, agent: Actor | None, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its deliveries (the log, and those not sent yet; one being sent right now finds no
    endpoint and gives up)."""
    record(session, agent, "webhook.delete", SUBJECT, endpoint.id, before=_shown(endpoint))
    session.execute(
        sa_delete(OutboxMessage)
        .where(OutboxMessage.ref == ref(endpoint.id))
        .execution_options(synchronize_session=False)
    )
    session.delete(endpoint)
    session.flush()
