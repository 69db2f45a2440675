"""The outbox transport ``webhook``: one try of one delivery (the outbox claims the message, records the attempt,
and retries with back-off for a day).

At each try the endpoint is read again: a deleted or suspended endpoint gives up (``permanent``), a rotated secret
signs the retries of older deliveries too, and the URL is the endpoint's current one. The body is the one built
when the delivery was queued; the signature's time is the try's. An answer decides:

- 2xx: delivered;
- 410 Gone: the receiver says the URL is no more — the endpoint is suspended (with that reason, shown in the
  back-office) and the delivery gives up;
- anything else (3xx, never followed; 4xx; 5xx; no answer, a timeout, a refused address): tried again later, so a
  receiver that is down or misconfigured for a while (a 401 after a secret was changed on one side only) loses
  nothing once fixed within the day.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask

from irritants.db import get_db
from irritants.outbox.models import OutboxMessage
from irritants.outbox.transports import Outcome, RetryPolicy, register_transport
from irritants.settings import WebhookSettings, settings_of
from irritants.webhooks import client, services, signing
from irritants.webhooks.models import WebhookEndpoint
from irritants.webhooks.sealing import SecretUnreadable

#: Waits of 45 s, 1 min 30, 3 min … doubling: 12 tries, the last about 25 hours after the first, then dead.
RETRY = RetryPolicy(
    first_delay=dt.timedelta(seconds=45), factor=2.0, max_attempts=12, give_up_after=dt.timedelta(days=1)
)
USER_AGENT = "irritants-webhooks/1"
GONE = 410


def register(app: Flask) -> None:
    """Make ``app``'s outbox deliver ``webhook`` messages."""
    register_transport(app, services.KIND, sender(app), retry=RETRY)


def sender(app: Flask):
    """The transport of ``app``: its database, its webhook settings."""
    db, webhooks = get_db(app), settings_of(app).webhooks

    def send(message: OutboxMessage, _settings: object) -> Outcome:
        return deliver(db, webhooks, message.payload)

    return send


def deliver(db, webhooks: WebhookSettings, payload: dict) -> Outcome:
    """One try of the delivery ``payload`` (as ``receivers.queue`` wrote it)."""
    endpoint_id = int(payload["endpoint_id"])
    with db.read_sessions() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            return Outcome(ok=False, status_code=None, error="webhook supprimé", permanent=True)
        if not endpoint.active:
            return Outcome(ok=False, status_code=None, error="webhook suspendu", permanent=True)
        url = endpoint.url
        try:
            secret = services.secret_of(webhooks, endpoint)
        except SecretUnreadable as exc:
            return Outcome(ok=False, status_code=None, error=str(exc))
    body = payload["body"].encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        signing.EVENT_HEADER: payload["event"],
        signing.DELIVERY_HEADER: payload["delivery_id"],
        signing.SIGNATURE_HEADER: signing.sign(secret, body),
    }
    answer = client.post(url, body, headers, timeout=webhooks.timeout, allow_private=webhooks.allow_private)
    if answer.status == GONE:
        reason = "Le serveur a répondu 410 (Gone) : envois suspendus."
        with db.session_scope() as session:
            services.stop(session, endpoint_id, reason)
            session.commit()
        return Outcome(ok=False, status_code=GONE, error="HTTP 410 : webhook suspendu", permanent=True)
    return Outcome(ok=answer.ok, status_code=answer.status, error=answer.error)
