"""Deactivated agents' personal data: deleted ``DEACTIVATED_AGENT_RETENTION_DAYS`` after the deactivation.

The account row goes (its API tokens, reset links, squad memberships, digest subscriptions and exports with it, by
their foreign keys); what the agent did stays, signed « agent n° N (compte supprimé) » instead of their address:
the audit trail keeps who did what without keeping who they were. Runs daily (``periodic``) and as
``irritants users purge-deactivated``.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask
from sqlalchemy import column, delete, select, table, update
from sqlalchemy.orm import Session

from irritants.auth.models import User
from irritants.db import get_db, utcnow

log = logging.getLogger(__name__)

DAILY_JOB = "agents-purge"
AT_HOUR = 3
# Texts that name an agent by its label (its address) next to a link to the account (the link is emptied by the
# database when the account goes; the label is rewritten here first).
AGENT_LABELS = (
    ("events", "actor_id", "actor"),
    ("backlog_item_changes", "actor_id", "actor"),
    ("squad_phase_changes", "recorded_by_id", "recorded_by"),
    ("webhook_endpoints", "created_by_id", "created_by"),
)


def erased_label(user_id: int) -> str:
    """What the history shows for an agent whose account was deleted."""
    return f"agent n° {user_id} (compte supprimé)"


def due_accounts(session: Session, *, now: dt.datetime, retention_days: int) -> list[int]:
    """Ids of the accounts deactivated more than ``retention_days`` ago (still deactivated)."""
    cutoff = now - dt.timedelta(days=retention_days)
    return list(
        session.scalars(
            select(User.id)
            .where(User.active.is_(False), User.deactivated_at.is_not(None), User.deactivated_at <= cutoff)
            .order_by(User.id)
        )
    )


def purge_deactivated(session: Session, *, now: dt.datetime, retention_days: int) -> int:
    """Delete the accounts deactivated past the retention, their labels in the history rewritten first."""
    ids = due_accounts(session, now=now, retention_days=retention_days)
    for user_id in ids:
        for name, id_column, label_column in AGENT_LABELS:
            labelled = table(name, column(id_column), column(label_column))
            session.execute(
                update(labelled).where(labelled.c[id_column] == user_id).values({label_column: erased_label(user_id)})
            )
    if ids:
        session.execute(delete(User).where(User.id.in_(ids)).execution_options(synchronize_session=False))
        session.expire_all()
    return len(ids)


def purge_job(app: Flask) -> int:
    """The daily run (``periodic``): one transaction, the number of accounts deleted."""
    with app.app_context(), get_db(app).session_scope() as session:
        purged = purge_deactivated(session, now=utcnow(), retention_days=app.config["DEACTIVATED_AGENT_RETENTION_DAYS"])
        session.commit()
    if purged:
        log.info("%s deactivated account(s) deleted past their retention", purged)
    return purged
