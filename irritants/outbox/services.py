"""Queueing messages in the caller's transaction, forgetting them on erasure, and reading the queue.

Every message is written in the same transaction as the decision that causes it: a rolled-back decision sends
nothing, a committed one is delivered at least once by the ``outbox`` background job (``sender.py``). Services never
commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from irritants.db import utcnow
from irritants.outbox.models import Delivery, OutboxMessage

MAIL = "mail"
UNSENT = (Delivery.PENDING, Delivery.SENDING)
DELIVERED_RETENTION = dt.timedelta(days=30)
"""Sent and given-up messages are deleted after this (``irritants purge-personal-data``)."""
_BATCH = 1000


@dataclass(frozen=True)
class Mail:
    """A mail to queue: one recipient, a subject, plain text and (optionally) HTML.

    With ``unsubscribe_url``, the mail carries ``List-Unsubscribe`` and ``List-Unsubscribe-Post:
    List-Unsubscribe=One-Click`` (RFC 8058); the URL must accept a POST without any other input.
    """

    to: str
    subject: str
    text: str
    html: str | None = None
    unsubscribe_url: str | None = None
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def queue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    topic: str,
    ref: str | None = None,
    report_id: int | None = None,
    recipient_key: str | None = None,
    send_after: dt.datetime | None = None,
) -> OutboxMessage:
    """Queue a message for the transport ``kind`` (not committed): it leaves once the transaction commits."""
    now = utcnow()
    message = OutboxMessage(
        kind=kind,
        topic=topic,
        status=Delivery.PENDING,
        payload=payload,
        message_id=uuid.uuid4().hex,
        recipient_key=recipient_key,
        report_id=report_id,
        ref=ref,
        attempts=0,
        next_attempt_at=max(send_after, now) if send_after else now,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def queue_mail(
    session: Session,
    mail: Mail,
    *,
    topic: str,
    report_id: int | None = None,
    ref: str | None = None,
    recipient_key: str | None = None,
    send_after: dt.datetime | None = None,
) -> OutboxMessage:
    """Queue a mail (not committed). ``recipient_key``: ``irritants.tokens.email_hmac`` of the address, which lets a
    feature group or find one person's messages without reading addresses."""
    headers = dict(mail.headers)
    if mail.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    payload = {
        "to": mail.to,
        "subject": mail.subject,
        "text": mail.text,
        "html": mail.html,
        "reply_to": mail.reply_to,
        "headers": headers,
    }
    return queue(
        session,
        MAIL,
        payload,
        topic=topic,
        ref=ref,
        report_id=report_id,
        recipient_key=recipient_key,
        send_after=send_after,
    )


def forget_report(session: Session, report_id: int) -> int:
    """Delete every message about a report (and their attempts), sent or not: erasure, purge; returns how many."""
    return forget_reports(session, [report_id])


def forget_reports(session: Session, report_ids: Sequence[int]) -> int:
    """``forget_report`` for many reports at once."""
    deleted = 0
    for start in range(0, len(report_ids), _BATCH):
        deleted += _delete(session, OutboxMessage.report_id.in_(report_ids[start : start + _BATCH]))
    return deleted


def forget_address(session: Session, email: str, *, recipient_key: str | None = None) -> int:
    """Delete every mail to an address (found by the address itself or its keyed hash), sent or not, with its
    attempts; returns how many. A message being sent is deleted too: its sender records nothing afterwards."""
    address = func.lower(func.trim(OutboxMessage.payload["to"].as_string()))
    matches = (OutboxMessage.kind == MAIL) & (address == email.strip().lower())
    if recipient_key:
        matches = or_(matches, OutboxMessage.recipient_key == recipient_key)
    return _delete(session, matches)


def purge_delivered(session: Session, *, before: dt.datetime) -> int:
    """Delete the messages sent or given up before ``before``: a delivery log is not a reason to keep addresses and
    texts; returns how many."""
    return _delete(
        session,
        OutboxMessage.status.in_((Delivery.SENT, Delivery.DEAD)),
        func.coalesce(OutboxMessage.sent_at, OutboxMessage.next_attempt_at) < before,
    )


def _delete(session: Session, *where: Any) -> int:
    # Attempts go with their message (ON DELETE CASCADE).
    return session.execute(delete(OutboxMessage).where(*where).execution_options(synchronize_session=False)).rowcount


def pending_count(session: Session, *, topic: str | None = None, ref: str | None = None) -> int:
    """How many messages are still to deliver (pending or being sent), of a topic or a feature's ``ref``."""
    query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(UNSENT))
    if topic is not None:
        query = query.where(OutboxMessage.topic == topic)
    if ref is not None:
        query = query.where(OutboxMessage.ref == ref)
    return session.scalar(query) or 0


def messages_for(session: Session, ref: str, *, limit: int = 50) -> list[OutboxMessage]:
    """A feature's messages (its delivery log), newest first."""
    query = select(OutboxMessage).where(OutboxMessage.ref == ref).order_by(OutboxMessage.id.desc()).limit(limit)
    return list(session.scalars(query))


@dataclass(frozen=True)
class TopicCount:
    topic: str
    status: Delivery
    count: int


def summary(session: Session) -> list[TopicCount]:
    """Messages by topic and status (for ``irritants outbox``)."""
    rows = session.execute(
        select(OutboxMessage.topic, OutboxMessage.status, func.count())
        .group_by(OutboxMessage.topic, OutboxMessage.status)
        .order_by(OutboxMessage.topic, OutboxMessage.status)
    )
    return [TopicCount(topic, status, count) for topic, status, count in rows]


def due(now: dt.datetime) -> ColumnElement[bool]:
    """Messages a sender may take at ``now``: pending and due, or claimed by a sender whose lease has ended."""
    return or_(
        and_(OutboxMessage.status == Delivery.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == Delivery.SENDING, OutboxMessage.claimed_until < now),
    )


def due_count(session: Session) -> int:
    """How many messages a sender would take now."""
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(due(utcnow()))) or 0
