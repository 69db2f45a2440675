"""The agents' daily digest: the irritants created on a day in the squads and administrations an agent subscribed to
(« Mes notifications »), one mail per agent and day, queued in the outbox; none when there is nothing to tell.

Idempotent per day: each mail carries the ref ``digest:<agent>:<day>``, so a second run for the same day queues
nothing. Each mail has a signed one-click unsubscribe link (RFC 8058) that ends every subscription of the agent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from irritants.auth.accounts import user_squads
from irritants.auth.models import Role, User
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.french import midnight, today
from irritants.notify.models import DigestSubscription
from irritants.outbox.models import OutboxMessage
from irritants.outbox.rendering import absolute_url, render_mail
from irritants.outbox.services import Mail, queue_mail
from irritants.referential.models import Administration
from irritants.squads.models import Squad
from irritants.status import StatusKind, citizen_label
from irritants.tokens import email_hmac

TOPIC = "digest"
_SALT = "digest-unsubscribe"
_HIDDEN = (StatusKind.SPAM, StatusKind.DUPLICATE)


@dataclass(frozen=True)
class Choices:
    """What an agent may subscribe to (their squads, every active administration) and what they chose."""

    squads: list[Squad]
    administrations: list[Administration]
    squad_ids: set[int]
    administration_ids: set[int]


def choices(session: Session, user: User) -> Choices:
    """The agent's possible and current subscriptions."""
    rows = list(session.scalars(select(DigestSubscription).where(DigestSubscription.user_id == user.id)))
    administrations = select(Administration).where(Administration.active).order_by(Administration.name)
    if Role.CORRESPONDANT.value in (user.roles or []):  # a correspondant hears only of their own administration
        administrations = administrations.where(Administration.id == user.administration_id)
    return Choices(
        squads=user_squads(session, user.id),
        administrations=list(session.scalars(administrations)),
        squad_ids={row.squad_id for row in rows if row.squad_id is not None},
        administration_ids={row.administration_id for row in rows if row.administration_id is not None},
    )


def set_subscriptions(
    session: Session, user: User, squad_ids: Iterable[int], administration_ids: Iterable[int]
) -> Choices:
    """Subscribe the agent to exactly these squads (theirs only) and administrations (active ones); others ignored."""
    current = choices(session, user)
    squads = set(squad_ids) & {squad.id for squad in current.squads}
    administrations = set(administration_ids) & {a.id for a in current.administrations}
    session.execute(delete(DigestSubscription).where(DigestSubscription.user_id == user.id))
    session.add_all(DigestSubscription(user_id=user.id, squad_id=squad_id) for squad_id in sorted(squads))
    session.add_all(DigestSubscription(user_id=user.id, administration_id=a) for a in sorted(administrations))
    session.flush()
    return choices(session, user)


def unsubscribe_token(secret_key: str, user_id: int) -> str:
    """The signed token of an agent's one-click unsubscribe link."""
    return URLSafeSerializer(secret_key, salt=_SALT).dumps(user_id)


def unsubscribe(session: Session, secret_key: str, token: str) -> bool:
    """End every digest subscription of the agent the token was signed for; False for a bad token."""
    if len(token) > 200:
        return False
    try:
        user_id = URLSafeSerializer(secret_key, salt=_SALT).loads(token)
    except BadData:
        return False
    if not isinstance(user_id, int):
        return False
    session.execute(delete(DigestSubscription).where(DigestSubscription.user_id == user_id))
    return True


def _window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return midnight(day), midnight(day + dt.timedelta(days=1))


def new_irritants(session: Session, user_id: int, day: dt.date) -> list[Cluster]:
    """Irritants created on ``day`` (a Paris day) in the agent's subscriptions, best score first."""
    start, end = _window(day)
    rows = list(session.scalars(select(DigestSubscription).where(DigestSubscription.user_id == user_id)))
    squads = [row.squad_id for row in rows if row.squad_id is not None]
    administrations = [row.administration_id for row in rows if row.administration_id is not None]
    if not squads and not administrations:
        return []
    query = (
        select(Cluster)
        .where(
            Cluster.created_at >= start,
            Cluster.created_at < end,
            Cluster.status.not_in(_HIDDEN),
            or_(Cluster.squad_id.in_(squads), Cluster.main_administration_id.in_(administrations)),
        )
        .order_by(Cluster.score.desc(), Cluster.id)
    )
    return list(session.scalars(query))


def queue_digests(session: Session, app: Flask, day: dt.date) -> int:
    """Queue the digest of ``day`` for every active subscribed agent with something new; returns how many."""
    subscribers = select(DigestSubscription.user_id).distinct()
    users = session.scalars(select(User).where(User.id.in_(subscribers), User.active).order_by(User.id))
    queued = 0
    for user in list(users):
        ref = f"digest:{user.id}:{day.isoformat()}"
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.ref == ref)) is not None:
            continue
        clusters = new_irritants(session, user.id, day)
        if not clusters:
            continue
        _queue_one(session, app, user, clusters, day, ref)
        queued += 1
    return queued


def _queue_one(session: Session, app: Flask, user: User, clusters: list[Cluster], day: dt.date, ref: str) -> None:
    unsubscribe_url = absolute_url(
        "notifications.unsubscribe", app=app, token=unsubscribe_token(app.config["SECRET_KEY"], user.id)
    )
    items = [
        {
            "title": cluster.label or f"Irritant n° {cluster.id}",
            "status": citizen_label(cluster.status),
            "score": round(cluster.score, 1),
            "reports": cluster.size,
            "url": absolute_url("backoffice.cluster_page", app=app, cluster_id=cluster.id),
        }
        for cluster in clusters
    ]
    text, html = render_mail(
        "digest",
        app=app,
        name=user.name,
        day=day,
        items=items,
        settings_url=absolute_url("notifications.page", app=app),
        unsubscribe_url=unsubscribe_url,
    )
    count = len(items)
    subject = (
        f"{count} nouvel irritant le {day:%d/%m/%Y}" if count == 1 else f"{count} nouveaux irritants le {day:%d/%m/%Y}"
    )
    queue_mail(
        session,
        Mail(to=user.email, subject=subject, text=text, html=html, unsubscribe_url=unsubscribe_url),
        topic=TOPIC,
        ref=ref,
        recipient_key=email_hmac(app.config["SECRET_KEY"], user.email),
    )


def send_digests(app: Flask, day: dt.date | None = None) -> int:
    """The daily job: queue yesterday's digests (or ``day``'s) in one transaction; returns how many were queued."""
    day = day or (today() - dt.timedelta(days=1))
    with get_db(app).session_scope() as session:
        queued = queue_digests(session, app, day)
        session.commit()
    return queued
