"""Domain events → deliveries: each receiver queues one outbox message per subscribed endpoint, in the session of
the change (committed with it, or rolled back with it: a decision that did not happen is never told).

- ``events.status_changed`` → ``irritant.status_changed``, to the endpoints of the irritant's squad;
- ``events.backlog_item_changed`` (its ``state`` only) → ``item.state_changed``, to the item's squad;
- ``events.report_placed`` (clustering) and ``events.report_moved`` (by hand) → ``irritant.report_added``, to the
  squad of the irritant the report joined.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from irritants import events
from irritants.clusters.models import Cluster
from irritants.db import get_db, utcnow
from irritants.intake.models import Report
from irritants.outbox import services as outbox
from irritants.outbox.rendering import absolute_url
from irritants.squads.sprints import BacklogItem, ItemField
from irritants.webhooks import payloads, services
from irritants.webhooks.models import WebhookEvent

TOPIC = "webhook"
_RECEIVERS = "irritants.webhooks.receivers"


def connect(app: Flask) -> None:
    """Listen, for ``app``, to the events webhooks tell: only its own database's sessions (several apps may live in
    one process, each with its own settings)."""
    engine = get_db(app).engine
    listeners = {
        events.status_changed: on_status_changed,
        events.backlog_item_changed: on_item_changed,
        events.report_placed: on_report_placed,
        events.report_moved: on_report_moved,
    }
    kept = []
    for signal, receiver in listeners.items():

        def listener(session: Session, _receiver: Any = receiver, **kwargs: Any) -> None:
            if session.get_bind().pool is engine.pool:  # read sessions' bind is the engine with other options
                _receiver(session, app, **kwargs)

        signal.connect(listener)
        kept.append(listener)
    app.extensions[_RECEIVERS] = kept  # signals hold receivers weakly: the app keeps its own alive


def queue(session: Session, squad_id: int, event: WebhookEvent, data: Callable[[], dict[str, Any]]) -> int:
    """One delivery of ``event`` to each endpoint of ``squad_id`` that receives it (the data built only if one
    does); how many were queued."""
    targets = services.subscribed(session, squad_id, event)
    if not targets:
        return 0
    body_data, now = data(), utcnow()
    for endpoint in targets:
        delivery_id, body = payloads.envelope(event, body_data, now=now)
        payload = {"endpoint_id": endpoint.id, "event": event.value, "delivery_id": delivery_id, "body": body}
        outbox.queue(session, services.KIND, payload, topic=TOPIC, ref=services.ref(endpoint.id))
    return len(targets)


def _public_url(app: Flask, cluster_id: int) -> str:
    return absolute_url("irritants.cluster_page", app=app, cluster_id=cluster_id)


def on_status_changed(
    session: Session, app: Flask, *, cluster_id: int, before: Any, after: Any, public_note: str | None = None, **_: Any
) -> None:
    cluster = session.get(Cluster, cluster_id)
    if cluster is None or cluster.squad_id is None:
        return
    queue(
        session,
        cluster.squad_id,
        WebhookEvent.STATUS_CHANGED,
        lambda: payloads.status_changed(session, cluster, before, after, public_note, _public_url(app, cluster.id)),
    )


def on_item_changed(
    session: Session,
    _app: Flask,
    *,
    item_id: int,
    squad_id: int,
    field: str,
    before: str | None,
    after: str | None,
    **_: Any,
) -> None:
    if field != ItemField.STATE:
        return
    item = session.get(BacklogItem, item_id)
    if item is None:
        return
    queue(
        session,
        squad_id,
        WebhookEvent.ITEM_STATE_CHANGED,
        lambda: payloads.item_state_changed(session, item, before, after),
    )


def _report_added(session: Session, app: Flask, report_id: int, cluster_id: int | None, how: str) -> None:
    cluster = session.get(Cluster, cluster_id) if cluster_id is not None else None
    report = session.get(Report, report_id)
    if cluster is None or cluster.squad_id is None or report is None:
        return
    queue(
        session,
        cluster.squad_id,
        WebhookEvent.REPORT_ADDED,
        lambda: payloads.report_added(session, cluster, report, how, _public_url(app, cluster.id)),
    )


def on_report_placed(session: Session, app: Flask, *, report_id: int, cluster_id: int, **_: Any) -> None:
    _report_added(session, app, report_id, cluster_id, "placed")


def on_report_moved(session: Session, app: Flask, *, report_id: int, to_cluster_id: int | None, **_: Any) -> None:
    _report_added(session, app, report_id, to_cluster_id, "moved")
