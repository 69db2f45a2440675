"""Settings checked at boot: a bad variable stops the start (app, command line)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from irritants import create_app
from irritants.config import ConfigurationError
from irritants.db import get_db
from irritants.triage.models import Cluster

# Far from the defaults, and time-independent (no recency term), so that scores can be compared exactly.
CUSTOM_WEIGHTS = '{"people": 40, "severity": 1, "recency": 0, "breadth": 9}'


def scores(app) -> dict[int, float]:
    with get_db(app).session_scope() as s:
        return {c.id: c.score for c in s.scalars(select(Cluster).order_by(Cluster.id))}


def rerank(app) -> dict[int, float]:
    """What ``irritants rerank`` computes with the configured weights."""
    result = app.test_cli_runner().invoke(args=["rerank"])
    assert result.exit_code == 0, result.output
    return scores(app)


def test_create_app_refuses_a_bad_variable_and_names_it(monkeypatch, database_url):
    monkeypatch.setenv("IRRITANTS_RANKING_WEIGHTS", '{"people": -1}')
    with pytest.raises(ConfigurationError, match=r"^IRRITANTS_RANKING_WEIGHTS invalide") as caught:
        create_app({"ENV": "testing", "DATABASE_URL": database_url})
    assert "people" in str(caught.value)
    monkeypatch.setenv("IRRITANTS_RANKING_WEIGHTS", "{}")
    monkeypatch.setenv("IRRITANTS_JOBS_MODE", "sometimes")
    with pytest.raises(ConfigurationError, match=r"^IRRITANTS_JOBS_MODE invalide"):
        create_app({"ENV": "testing", "DATABASE_URL": database_url})


def test_the_command_line_stops_with_the_variable_named(monkeypatch, database_url):
    from irritants.cli import main

    monkeypatch.setenv("IRRITANTS_ENV", "testing")
    monkeypatch.setenv("IRRITANTS_DATABASE_URL", database_url)
    monkeypatch.setenv("IRRITANTS_RANKING_WEIGHTS", '{"people": 12')
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)  # FlaskGroup sets it: restored after the test
    result = CliRunner().invoke(main, ["rerank"])
    assert result.exit_code == 1
    assert "Error: IRRITANTS_RANKING_WEIGHTS invalide : JSON illisible" in result.output
    assert "Traceback" not in result.output
