"""The dashboard's short cache per filter set (irritants/insights/cache.py, DASHBOARD_CACHE_SECONDS)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle

import pytest

from irritants.insights import cache
from irritants.insights.filters import InsightFilters
from irritants.settings import DashboardSettings, settings_of
from tests.conftest import make_report

FILTERS = InsightFilters.default()
EARLY = dt.datetime(2026, 11, 30, 8, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _settings(app, **dashboard):
    return dataclasses.replace(settings_of(app), dashboard=DashboardSettings(**dashboard))


def test_figures_are_kept_for_a_filter_set_then_computed_again(app, session):
    settings = _settings(app, cache_seconds=60)
    first = cache.cached_dashboard_data(session, FILTERS, settings=settings, now=EARLY)
    make_report(session)
    session.commit()
    again = cache.cached_dashboard_data(session, FILTERS, settings=settings, now=LATER)
    assert again.computed_at == EARLY and again.current.new_reports == first.current.new_reports
    other = dataclasses.replace(FILTERS, channel="telephone")
    assert cache.cached_dashboard_data(session, other, settings=settings, now=LATER).computed_at == LATER
    cache.clear()
    fresh = cache.cached_dashboard_data(session, FILTERS, settings=settings, now=LATER)
    assert fresh.current.new_reports == first.current.new_reports + 1


def test_zero_seconds_computes_every_time(app, session):
    settings = _settings(app, cache_seconds=0)
    cache.cached_dashboard_data(session, FILTERS, settings=settings, now=EARLY)
    assert cache.cached_dashboard_data(session, FILTERS, settings=settings, now=LATER).computed_at == LATER


class FakeRedis:
    def __init__(self, down: bool = False) -> None:
        self.data: dict[str, bytes] = {}
        self.ttl: dict[str, int] = {}
        self.down = down

    def get(self, key):
        if self.down:
            raise ConnectionError("down")
        return self.data.get(key)

    def setex(self, key, seconds, value):
        if self.down:
            raise ConnectionError("down")
        self.data[key], self.ttl[key] = value, seconds


def test_with_redis_every_worker_shares_the_figures(app, session, monkeypatch):
    fake = FakeRedis()
    monkeypatch.setattr(cache, "_client", lambda url: fake)
    settings = _settings(app, cache_seconds=30, redis_url="redis://cache")
    cache.cached_dashboard_data(session, FILTERS, settings=settings, now=EARLY)
    key = cache.cache_key(FILTERS)
    assert fake.ttl == {key: 30}
    assert pickle.loads(fake.data[key]).computed_at == EARLY
    assert cache.cached_dashboard_data(session, FILTERS, settings=settings, now=LATER).computed_at == EARLY


def test_a_redis_outage_only_costs_the_computation(app, session, monkeypatch):
    monkeypatch.setattr(cache, "_client", lambda url: FakeRedis(down=True))
    settings = _settings(app, cache_seconds=30, redis_url="redis://cache")
    assert cache.cached_dashboard_data(session, FILTERS, settings=settings, now=LATER).computed_at == LATER


def test_the_key_names_no_filter_value():
    key = cache.cache_key(dataclasses.replace(FILTERS, administration="caf"))
    assert key.startswith("irritants:dashboard:v1:") and "caf" not in key
