"""In-process copy of the référentiel for the submission hot path (it changes only on load-reference)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

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


def invalidate() -> None:
    """Forget cached référentiels (after load-reference in this process)."""
    with _lock:
        _cache.clear()
