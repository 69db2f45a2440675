"""The other users of Redis do without it: the workers' wake-up and the dashboard's cache, with one warning per
outage rather than one per call, and back to Redis when it answers. A port nobody listens on plays Redis down; the
machine's Redis (a database number of these tests' own) plays Redis back."""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Iterator

import pytest
import redis

from irritants import jobs
from irritants.insights import cache
from irritants.insights.filters import InsightFilters
from irritants.outages import Outage
from irritants.settings import DashboardSettings, settings_of
from tests.gunicorn_server import free_port
from tests.web.test_rate_limits_gunicorn import REDIS_URL, _redis_or_skip

OWN_DB = 14


@pytest.fixture
def machine_redis() -> Iterator[str]:
    _redis_or_skip()
    url = REDIS_URL.rsplit("/", 1)[0] + f"/{OWN_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def _closed() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def _lines(caplog: pytest.LogCaptureFixture, logger: str, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno == level]


def test_the_wake_up_of_workers_warns_once_while_redis_is_down_then_reaches_it(app, machine_redis, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="irritants.jobs")
    # A key of this test's own: a worker of another run on the same Redis would take the wake-up.
    monkeypatch.setattr(jobs, "WAKE_KEY", f"irritants:wake:test-{secrets.token_hex(4)}")
    waker = jobs.RedisWaker(app, _closed())
    for _ in range(3):
        waker.last = 0.0  # past the interval between two wake-ups
        waker.wake()  # refused at once: the request that woke it is not held
    assert len(_lines(caplog, "irritants.jobs", logging.WARNING)) == 1
    waker.redis = redis.Redis.from_url(machine_redis)
    waker.last = 0.0
    waker.wake()
    assert waker.redis.llen(jobs.WAKE_KEY) == 1
    assert _lines(caplog, "irritants.jobs", logging.INFO) == ["Redis answers again"]
    waker.redis.close()


def test_the_dashboard_is_computed_without_its_cache_while_redis_is_down_then_cached_again(
    app, session, machine_redis, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, logger="irritants.insights.cache")
    # The process's state of Redis as this test starts (an earlier test may have left it « down »).
    monkeypatch.setattr(cache, "_outage", Outage(cache.log, "Redis (dashboard cache)"))
    filters = InsightFilters.default()

    def settings(url: str):
        return dataclasses.replace(settings_of(app), dashboard=DashboardSettings(cache_seconds=30, redis_url=url))

    down = settings(_closed())
    for _ in range(3):
        assert cache.cached_dashboard_data(session, filters, settings=down) is not None
    warnings = _lines(caplog, "irritants.insights.cache", logging.WARNING)
    assert len(warnings) == 1 and "without the cache" in warnings[0]
    first = cache.cached_dashboard_data(session, filters, settings=settings(machine_redis))
    again = cache.cached_dashboard_data(session, filters, settings=settings(machine_redis))
    assert again.computed_at == first.computed_at  # from Redis
    assert redis.Redis.from_url(machine_redis).exists(cache.cache_key(filters))
    assert _lines(caplog, "irritants.insights.cache", logging.INFO) == ["Redis (dashboard cache) answers again"]
