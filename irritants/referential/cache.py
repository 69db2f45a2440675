"""In-process copy of the référentiel for the hot paths (it changes only on load-reference): the codes the submission
checks, and the lists the pages show in their selects (the form, the public list, the backlog, the dashboard)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.referential.models import Administration, Channel, Procedure, Territory

TTL_SECONDS = 300.0


@dataclass
class Referential:
    """Slugs and codes to ids and names."""

    administrations: dict[str, tuple[int, str]] = field(default_factory=dict)
    procedures: dict[tuple[int, str], int] = field(default_factory=dict)
    territories: set[str] = field(default_factory=set)
    channels: set[str] = field(default_factory=set)
    loaded_at: float = 0.0


_lock = threading.Lock()
_cache: dict[object, Referential] = {}
_lists: dict[tuple[object, str], tuple[float, list[Any]]] = {}
Row = TypeVar("Row")


def referential(session: Session) -> Referential:
    """The cached référentiel of this database, re-read after TTL_SECONDS or an invalidation."""
    key = session.get_bind().url  # an immutable, hashable URL: no rendering on the hot path
    cached = _cache.get(key)
    if cached is not None and time.monotonic() - cached.loaded_at < TTL_SECONDS:
        return cached
    fresh = Referential(loaded_at=time.monotonic())
    for admin_id, slug, name in session.execute(
        select(Administration.id, Administration.slug, Administration.name).where(Administration.active)
    ):
        fresh.administrations[slug] = (admin_id, name)
    for proc_id, admin_id, slug in session.execute(
        select(Procedure.id, Procedure.administration_id, Procedure.slug).where(Procedure.active)
    ):
        fresh.procedures[(admin_id, slug)] = proc_id
    fresh.territories = set(session.scalars(select(Territory.code)))
    fresh.channels = set(session.scalars(select(Channel.code)))
    with _lock:
        _cache[key] = fresh
    return fresh


def kept_list(session: Session, name: str, load: Callable[[Session], list[Row]]) -> list[Row]:
    """The rows ``load`` reads, read once per TTL_SECONDS per database and process in a session of their own, then
    kept detached: read-only objects whose loaded attributes (and eagerly loaded relationships) every request may
    read, never attach nor change. Reading 26 administrations with their 132 démarches cost 7 ms of CPU per page."""
    key = (session.get_bind().url, name)
    kept = _lists.get(key)
    if kept is not None and time.monotonic() - kept[0] < TTL_SECONDS:
        return list(kept[1])
    # A read of its own, never a writer: on SQLite a plain session begins IMMEDIATE and would wait for the write turn
    # that the calling request (a POST) may already hold on its own connection, in this very thread.
    reader = session.get_bind().execution_options(sqlite_begin="DEFERRED")
    with Session(bind=reader, expire_on_commit=False) as own:  # closing it leaves the rows loaded
        rows = load(own)
    with _lock:
        _lists[key] = (time.monotonic(), rows)
    return list(rows)


def invalidate() -> None:
    """Forget cached référentiels (after load-reference in this process)."""
    with _lock:
        _cache.clear()
        _lists.clear()
