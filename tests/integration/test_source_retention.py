"""The network hashes of « moi aussi » and abuse flags are erased by `irritants purge-personal-data` after
SOURCE_RETENTION_DAYS, on a frozen clock; whether each one counted stays, so the counts do not move."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from irritants.clusters import stats
from irritants.clusters.models import Cluster, Support
from irritants.db import get_db
from irritants.intake.models import AbuseFlag
from irritants.people import source_key
from tests.conftest import RANKING, TEST_SECRET, make_cluster, make_report

NOW = dt.datetime(2027, 1, 15, 12, 0, tzinfo=dt.UTC)
SOURCE = source_key(TEST_SECRET, "203.0.113.7")


def seed(app) -> int:
    """Supports and flags 31 days old (past the 30-day retention) and 29 days old (within it)."""
    with get_db(app).session_scope() as s:
        cluster = make_cluster(s, reports=0)
        report = make_report(s, cluster=cluster)
        for n, (days, counted) in enumerate([(31, True), (31, False), (29, True)]):
            at = NOW - dt.timedelta(days=days)
            s.add(
                Support(cluster_id=cluster.id, person_key=f"p{n}", source_hash=SOURCE, counted=counted, created_at=at)
            )
            s.add(
                AbuseFlag(report_id=report.id, person_key=f"p{n}", source_hash=SOURCE, counted=counted, created_at=at)
            )
        s.flush()
        stats.refresh(s, RANKING.weights, [cluster.id])
        s.commit()
        return cluster.id


def sources(app, model) -> list[tuple[str | None, bool]]:
    with get_db(app).session_scope() as s:
        return [tuple(row) for row in s.execute(select(model.source_hash, model.counted).order_by(model.id))]


def test_network_hashes_are_erased_after_the_retention_and_counts_stay(app, runner):
    cluster_id = seed(app)
    with get_db(app).session_scope() as s:
        people = s.get(Cluster, cluster_id).people
    with time_machine.travel(NOW, tick=False):
        dry = runner.invoke(args=["purge-personal-data", "--dry-run"])
        assert "Simulation : 4 empreintes de réseau de plus de 30 jours" in dry.output
        assert sources(app, Support)[0] == (SOURCE, True)
        result = runner.invoke(args=["purge-personal-data"])
        again = runner.invoke(args=["purge-personal-data"])
    assert result.exit_code == 0, result.output
    assert "4 empreintes de réseau de plus de 30 jours" in result.output
    assert "0 empreinte de réseau" in again.output
    expected = [(None, True), (None, False), (SOURCE, True)]
    assert sources(app, Support) == expected
    assert sources(app, AbuseFlag) == expected
    with get_db(app).session_scope() as s:
        stats.refresh(s, RANKING.weights, [cluster_id])
        assert s.get(Cluster, cluster_id).people == people == 3  # the reporter and two counted supports


def test_the_retention_is_a_setting(make_app):
    app = make_app(SOURCE_RETENTION_DAYS=7)
    seed(app)
    with time_machine.travel(NOW, tick=False):
        result = app.test_cli_runner().invoke(args=["purge-personal-data"])
    assert "6 empreintes de réseau de plus de 7 jours" in result.output
    assert {hash_ for hash_, _ in sources(app, Support)} == {None}
