"""An endpoint's delivery log: its outbox messages (ref ``webhook:<id>``), newest first, each with its tries."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.outbox import services as outbox
from irritants.outbox.models import OutboxAttempt
from irritants.webhooks.services import ref

LOG_SIZE = 50


@dataclass(frozen=True)
class Attempt:
    at: dt.datetime
    ok: bool
    status_code: int | None
    duration_ms: int | None
    error: str | None


@dataclass(frozen=True)
class Delivery:
    """One delivery as the log shows it; ``status_code``, ``duration_ms`` are its last try's."""

    id: str
    event: str
    state: str
    created_at: dt.datetime
    attempts: int
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    status_code: int | None
    duration_ms: int | None
    last_error: str | None
    tries: list[Attempt]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def log(session: Session, endpoint_id: int, *, limit: int = LOG_SIZE) -> list[Delivery]:
    """The endpoint's last ``limit`` deliveries, newest first."""
    messages = outbox.messages_for(session, ref(endpoint_id), limit=limit)
    tries: dict[int, list[Attempt]] = {m.id: [] for m in messages}
    if messages:
        query = select(OutboxAttempt).where(OutboxAttempt.message_id.in_(tries)).order_by(OutboxAttempt.id.desc())
        for row in session.scalars(query):
            tries[row.message_id].append(Attempt(row.at, row.ok, row.status_code, row.duration_ms, row.error))
    out = []
    for message in messages:
        last = tries[message.id][0] if tries[message.id] else None
        out.append(
            Delivery(
                id=str(message.payload.get("delivery_id", message.message_id)),
                event=str(message.payload.get("event", "")),
                state=str(message.status),
                created_at=message.created_at,
                attempts=message.attempts,
                next_attempt_at=message.next_attempt_at,
                sent_at=message.sent_at,
                status_code=last.status_code if last else None,
                duration_ms=last.duration_ms if last else None,
                last_error=message.last_error,
                tries=tries[message.id],
            )
        )
    return out
