"""A short cache of the dashboard's figures per filter set (``DASHBOARD_CACHE_SECONDS``, 0: none).

A manager's page and their colleagues' shared links ask the same figures many times a minute; they are computed
once per filter set and period and kept ``cache_seconds`` seconds — in Redis when ``REDIS_URL`` is set (every
worker shares them), else in this process. The page shows ``computed_at``: how old the figures it shows are. A
Redis outage only means the figures are computed again.

What is cached holds no personal data (counts, irritants' public labels and scores): ``DashboardData`` pickled,
written and read only by this application under its own key prefix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import pickle
import threading
import time
from typing import Any

from sqlalchemy.orm import Session

from irritants.config import REDIS_TIMEOUTS
from irritants.insights.dashboard import dashboard_data
from irritants.insights.figures import DashboardData
from irritants.insights.filters import InsightFilters
from irritants.outages import Outage
from irritants.settings import Settings

log = logging.getLogger(__name__)

KEY_PREFIX = "irritants:dashboard:v1:"
MAX_ENTRIES = 256  # per process: the least recently stored go first

_local: dict[str, tuple[float, DashboardData]] = {}
_lock = threading.Lock()
_clients: dict[str, Any] = {}
_outage = Outage(log, "Redis (dashboard cache)")


def cache_key(filters: InsightFilters) -> str:
    """One key per filter set and period (``from``/``to`` are always in the query)."""
    query = json.dumps(filters.as_query(), sort_keys=True)
    return KEY_PREFIX + hashlib.sha256(query.encode("utf-8")).hexdigest()[:32]


def cached_dashboard_data(
    session: Session, filters: InsightFilters, *, settings: Settings, now: dt.datetime | None = None
) -> DashboardData:
    """``dashboard_data`` for these filters, from the cache when computed less than ``cache_seconds`` ago."""
    seconds = settings.dashboard.cache_seconds

    def compute() -> DashboardData:
        return dashboard_data(
            session, filters, feedback_settings=settings.feedback, fix_effect_settings=settings.fix_effect, now=now
        )

    if seconds <= 0:
        return compute()
    key = cache_key(filters)
    if settings.dashboard.redis_url:
        return _through_redis(settings.dashboard.redis_url, key, seconds, compute)
    with _lock:
        found = _local.get(key)
        if found is not None and found[0] > time.monotonic():
            return found[1]
    data = compute()
    with _lock:
        _local[key] = (time.monotonic() + seconds, data)
        if len(_local) > MAX_ENTRIES:
            for old in sorted(_local, key=lambda k: _local[k][0])[: len(_local) - MAX_ENTRIES]:
                del _local[old]
    return data


def _client(url: str) -> Any:
    client = _clients.get(url)
    if client is None:
        from redis import Redis

        client = _clients[url] = Redis.from_url(url, **REDIS_TIMEOUTS)
    return client


def _through_redis(url: str, key: str, seconds: int, compute: Any) -> DashboardData:
    client = _client(url)
    try:
        blob = client.get(key)
    except Exception:
        # One wait for Redis per view, not two: the figures are computed and not stored.
        _outage.failed("dashboard figures computed on every view, without the cache")
        return compute()
    _outage.answered()
    if blob is not None:
        return pickle.loads(blob)  # noqa: S301 - written by this application only, under its own prefix
    data = compute()
    try:
        client.setex(key, seconds, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        _outage.failed("dashboard figures computed on every view, without the cache")
    return data


def clear() -> None:
    """Forget this process's cached figures (tests; Redis entries expire on their own)."""
    with _lock:
        _local.clear()
