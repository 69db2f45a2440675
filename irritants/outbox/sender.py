"""Delivering due messages, at least once and never by two senders at a time.

For each due message (pending and due, or being sent by a sender whose lease has ended):
1. **claim** it with one conditional UPDATE (``… WHERE id = :id AND (pending and due, or lease ended)``), committed
   before any network call: the sender whose UPDATE changed the row owns it until ``claimed_until``;
2. **send** it through its kind's transport, outside any transaction;
3. **record** the attempt and the outcome (sent, retried later with back-off, or dead), committed.

A sender that dies between 2 and 3 leaves the message ``sending``: once its lease ends another sender sends it again
with the same Message-ID (at least once; the receiving side can tell the copies apart).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select, update

from irritants.db import Database, get_db, utcnow
from irritants.outbox.models import Delivery, OutboxAttempt, OutboxMessage
from irritants.outbox.services import due
from irritants.outbox.transports import Outcome, RetryPolicy, short_error, transports_of
from irritants.settings import settings_of

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=5)
"""How long a claim lasts: well over a transport's timeouts (20 s for SMTP); after it another sender may take it."""
BATCH = 50
UNKNOWN_KIND_RETRY = RetryPolicy()


@dataclass
class Tally:
    """What one run of ``send_due`` did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.dead

    def add(self, other: Tally) -> None:
        self.sent, self.retried, self.dead = (
            self.sent + other.sent,
            self.retried + other.retried,
            self.dead + other.dead,
        )


def default_worker_id() -> str:
    """Who claims: the machine, the process and the thread (readable in ``claimed_by``)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


def send_due(app: Flask, *, worker_id: str | None = None, limit: int = BATCH) -> Tally:
    """Claim, send and record up to ``limit`` due messages; returns how many were sent, retried later, given up."""
    database, settings = get_db(app), settings_of(app).outbox
    transports = transports_of(app)
    worker = worker_id or default_worker_id()
    tally = Tally()
    with database.read_sessions() as reader:
        ids = list(
            reader.scalars(
                select(OutboxMessage.id)
                .where(due(utcnow()))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
            )
        )
    for message_id in ids:
        message = _claim(database, message_id, worker)
        if message is None:
            continue  # another sender has it
        registered = transports.get(message.kind)
        started = time.monotonic()
        if registered is None:
            outcome = Outcome(False, None, f"aucun transport « {message.kind} » dans ce processus")
        else:
            try:
                outcome = registered.send(message, settings)
            except Exception as exc:  # a transport's bug must not stop the other messages
                log.exception("outbox transport %r failed on message %s", message.kind, message.id)
                outcome = Outcome(False, None, short_error(type(exc).__name__))
        duration_ms = round((time.monotonic() - started) * 1000)
        policy = registered.retry if registered else UNKNOWN_KIND_RETRY
        tally.add(record(database, message, outcome, worker=worker, policy=policy, duration_ms=duration_ms))
    return tally


def _claim(database: Database, message_id: int, worker: str) -> OutboxMessage | None:
    """Take the message for this sender (committed), or None if it is no longer due or someone else took it."""
    now = utcnow()
    with database.session_scope() as session:
        taken = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, due(now))
            .values(
                status=Delivery.SENDING,
                claimed_by=worker,
                claimed_until=now + LEASE,
                attempts=OutboxMessage.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            session.rollback()
            return None
        message = session.get(OutboxMessage, message_id)
        session.commit()
    return message


def record(
    database: Database,
    message: OutboxMessage,
    outcome: Outcome,
    *,
    worker: str,
    policy: RetryPolicy,
    duration_ms: int,
) -> Tally:
    """Store the attempt, and the message's next state: sent, pending again after the back-off, or dead."""
    now = utcnow()
    attempts = message.attempts
    if outcome.ok:
        values: dict[str, object] = {"status": Delivery.SENT, "sent_at": now, "last_error": None}
        tally = Tally(sent=1)
    elif outcome.permanent or attempts >= policy.max_attempts or now - message.created_at >= policy.give_up_after:
        values = {"status": Delivery.DEAD, "last_error": outcome.error}
        tally = Tally(dead=1)
    else:
        values = {
            "status": Delivery.PENDING,
            "next_attempt_at": now + policy.delay(attempts),
            "last_error": outcome.error,
        }
        tally = Tally(retried=1)
    values.update(claimed_by=None, claimed_until=None)
    with database.session_scope() as session:
        # Only while the claim is still this sender's: after a lease ended, the sender that took over decides.
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.status == Delivery.SENDING,
                OutboxMessage.claimed_by == worker,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        # Unless the message was erased meanwhile (erasure deletes it, its attempts with it).
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.id == message.id)) is not None:
            session.add(
                OutboxAttempt(
                    message_id=message.id,
                    at=now,
                    ok=outcome.ok,
                    status_code=outcome.status_code,
                    duration_ms=duration_ms,
                    error=outcome.error,
                )
            )
        session.commit()
    if not outcome.ok:
        log.warning(
            "outbox message %s (%s, %s): attempt %d failed: %s",
            message.id,
            message.kind,
            message.topic,
            attempts,
            outcome.error,
        )
    return tally
