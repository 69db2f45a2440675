"""Writing and reading the audit log (the caller commits, in the same transaction as the change itself)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Protocol

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from irritants.audit.models import Event
from irritants.paging import Page, ordered, paginate
from irritants.sanitize import clean_text

SYSTEM = "système"


def _plain(value: Any) -> Any:
    # JSON-ready: enums by value, datetimes in ISO 8601, containers recursively.
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


class Actor(Protocol):
    """Who acted, as the log records it: ``auth.policy.Agent`` is one. Audit sits below every domain (all of them
    record events), so it knows the shape of an actor, not the auth domain."""

    @property
    def user_id(self) -> int: ...

    @property
    def label(self) -> str: ...


def record(
    session: Session,
    agent: Actor | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    cluster_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    public_note: str | None = None,
) -> Event:
    """Append one event: who (an agent, or the system when None), what, on which object, before/after, why (and,
    for citizens' tracking pages, an optional ``public_note``)."""
    event = Event(
        actor_id=agent.user_id if agent else None,
        actor=agent.label if agent else SYSTEM,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        cluster_id=cluster_id,
        before=_plain(before or {}),
        after=_plain(after or {}),
        reason=clean_text(reason or "") or None,  # whoever wrote it, readers see no hidden characters
        public_note=clean_text(public_note or "") or None,
    )
    session.add(event)
    session.flush()
    return event


def _timeline(cluster_id: int) -> Select[tuple[Event]]:
    return select(Event).where(Event.cluster_id == cluster_id).order_by(Event.created_at.desc(), Event.id.desc())


def timeline(session: Session, cluster_id: int, *, limit: int = 200) -> list[Event]:
    """The events of an irritant, newest first."""
    return list(session.scalars(_timeline(cluster_id).limit(limit)))


# What an irritant's history may be sorted by (the API's ``sort``).
EVENT_SORTS = ("created_at",)


def timeline_page(
    session: Session, cluster_id: int, *, page: int, page_size: int, sort: str = "-created_at"
) -> Page[Event]:
    """One page of the events of an irritant, in the ``sort`` order (newest first by default)."""
    stmt = ordered(
        select(Event).where(Event.cluster_id == cluster_id), sort, {"created_at": Event.created_at}, tiebreak=Event.id
    )
    return paginate(session, stmt, page=page, page_size=page_size)
