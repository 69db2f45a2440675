"""The bodies of deliveries, built in the transaction of the change they tell (docs/webhooks.md).

No personal data: ids, statuses, public titles and notes, the squad's own item titles; never a report's text, a
contact or an agent's name. A body is serialised once, when it is queued: every try of a delivery sends the same
bytes, and the receiver can tell a retry by its ``id``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.clusters.models import Cluster
from irritants.intake.models import Report
from irritants.squads.models import Squad
from irritants.squads.sprints import BacklogItem, BacklogItemCluster, Sprint
from irritants.status import citizen_label
from irritants.webhooks.models import WebhookEvent


def envelope(event: WebhookEvent, data: dict[str, Any], *, now: dt.datetime) -> tuple[str, str]:
    """A delivery's id and its body: ``{"id", "event", "created_at", "data"}`` as compact UTF-8 JSON text."""
    delivery_id = str(uuid.uuid4())
    body = {"id": delivery_id, "event": event.value, "created_at": now.isoformat(), "data": data}
    return delivery_id, json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def squad(session: Session, squad_id: int) -> dict[str, Any]:
    found = session.get(Squad, squad_id)
    return {"id": squad_id, "slug": found.slug if found else None}


def irritant(cluster: Cluster, public_url: str) -> dict[str, Any]:
    """An irritant as its public page shows it."""
    return {
        "id": cluster.id,
        "title": cluster.label,
        "status": str(cluster.status),
        "status_label": citizen_label(cluster.status),
        "reports": cluster.size,
        "people": cluster.people,
        "fixed_on": cluster.fixed_on.isoformat() if cluster.fixed_on else None,
        "url": public_url,
    }


def status_changed(
    session: Session, cluster: Cluster, before: Any, after: Any, public_note: str | None, public_url: str
) -> dict[str, Any]:
    return {
        "irritant": irritant(cluster, public_url),
        "before": str(before) if before is not None else None,
        "after": str(after),
        "public_note": public_note,
        "squad": squad(session, cluster.squad_id) if cluster.squad_id else None,
    }


def report_added(session: Session, cluster: Cluster, report: Report, how: str, public_url: str) -> dict[str, Any]:
    return {
        "irritant": irritant(cluster, public_url),
        "report": {
            "id": report.id,
            "created_at": report.created_at.isoformat() if report.created_at else None,
            "administration": report.administration.slug if report.administration else None,
            "procedure": report.procedure.slug if report.procedure else None,
            "territory": report.territory_code,
            "channel": report.channel_code,
            "severity": str(report.severity),
        },
        "how": how,
        "squad": squad(session, cluster.squad_id) if cluster.squad_id else None,
    }


def item_state_changed(session: Session, item: BacklogItem, before: str | None, after: str | None) -> dict[str, Any]:
    sprint = session.get(Sprint, item.sprint_id) if item.sprint_id else None
    links = select(BacklogItemCluster.cluster_id).where(BacklogItemCluster.item_id == item.id)
    return {
        "item": {
            "id": item.id,
            "title": item.title,
            "state": str(item.state),
            "points": item.points,
            "sprint": sprint.number if sprint else None,
            "irritant_ids": sorted(session.scalars(links)),
        },
        "before": before,
        "after": after,
        "squad": squad(session, item.squad_id),
    }
