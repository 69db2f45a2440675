"""« Irritant réapparu » : when a fixed irritant is marked regressed (by the daily alarm or by an agent), the people of
its squad hear it by mail, queued in the transaction of the change (their own tools hear it through webhooks)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants import events
from irritants.auth.models import User
from irritants.clusters.models import Cluster
from irritants.notify.receivers import connect_for_app
from irritants.outbox.rendering import absolute_url, render_mail
from irritants.outbox.services import Mail, queue_mail
from irritants.squads.models import Squad, SquadMember
from irritants.status import StatusKind

TOPIC = "squad_alert"
_RECEIVERS = "irritants.notify.squad_alerts"


def connect(app: Flask) -> None:
    """Tell the squad of each irritant that regresses through ``app`` (its database's sessions only)."""
    connect_for_app(app, events.status_changed, _RECEIVERS, tell)


def tell(session: Session, app: Flask, *, cluster_id: int, after: StatusKind, agent: Any = None, **_: Any) -> None:
    """Queue one mail per active member of the irritant's squad when it has just regressed."""
    if after != StatusKind.REGRESSED:
        return
    cluster = session.get(Cluster, cluster_id)
    if cluster is None or cluster.squad_id is None:
        return
    squad = session.get(Squad, cluster.squad_id)
    people = session.scalars(
        select(User.email)
        .join(SquadMember, SquadMember.user_id == User.id)
        .where(SquadMember.squad_id == cluster.squad_id, User.active.is_(True))
        .order_by(User.id)
    ).all()
    if squad is None or not people:
        return
    label = cluster.label or f"Irritant n° {cluster.id}"
    # Agents manage what they receive on their account; the link goes to the squad's page, where alerts are seen.
    squad_url = absolute_url("board.squad_page", app=app, slug=squad.slug)
    text, html = render_mail(
        "squad_regression",
        app=app,
        label=label,
        squad=squad.name,
        fixed_on=cluster.fixed_on,
        by_alarm=agent is None,
        cluster_url=absolute_url("backoffice.cluster_page", app=app, cluster_id=cluster.id),
        squad_url=squad_url,
        unsubscribe_url=None,
    )
    for email in people:
        queue_mail(
            session,
            Mail(to=email, subject=f"Irritant réapparu après correction : « {label} »", text=text, html=html),
            topic=TOPIC,
        )
