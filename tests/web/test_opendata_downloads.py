"""The open dataset for download under /statistiques/donnees/: no login, the command's bytes, proper headers, a 304
for a client that has the file, a 404 for any other name, and a rate limit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from irritants.db import get_db
from irritants.french import PARIS, today
from irritants.opendata import files
from irritants.status import StatusKind
from tests.conftest import make_cluster, make_report

BASE = "/statistiques/donnees"


def _last_week_noon() -> dt.datetime:
    monday = today() - dt.timedelta(days=today().weekday() + 7)
    return dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(12), tzinfo=PARIS).astimezone(dt.UTC)


@pytest.fixture
def data(app):
    with app.app_context(), get_db(app).session_scope() as session:
        make_cluster(session, "Rendez-vous introuvables en préfecture", reports=3)
        make_cluster(session, "Aide au logement suspendue", reports=2, status=StatusKind.FIXED,
                     fixed_on=today() - dt.timedelta(days=20))  # fmt: skip
        for _ in range(12):
            make_report(session, created_at=_last_week_noon(), territory="2A", channel="guichet")
        session.commit()


def test_every_file_is_served_without_login_with_the_bytes_of_the_command(app, client, data, tmp_path: Path):
    result = app.test_cli_runner().invoke(args=["opendata", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "5 fichiers écrits" in result.output and "2 irritants" in result.output

    for name, media_type in files.FILES.items():
        response = client.get(f"{BASE}/{name}")
        assert response.status_code == 200, name
        assert response.data == (tmp_path / name).read_bytes(), name
        assert response.headers["Content-Type"] == media_type
        kind = "attachment" if name.endswith(".csv") else "inline"
        assert response.headers["Content-Disposition"] == f'{kind}; filename="{name}"'
        assert response.headers["Cache-Control"] == f"public, max-age={15 * 60}"
        assert response.headers["ETag"]
    assert b"2A,Corse-du-Sud,guichet" in (tmp_path / "signalements.csv").read_bytes()


def test_a_client_that_has_the_file_gets_a_304_and_other_names_a_404(client, data):
    first = client.get(f"{BASE}/irritants.csv")
    again = client.get(f"{BASE}/irritants.csv", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    for name in ("reports.csv", "..%2Fconfig.py", "irritants.CSV", "datapackage.json.bak"):
        assert client.get(f"{BASE}/{name}").status_code == 404, name


def test_downloads_are_rate_limited_per_network(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_READ="3 per minute")
    client = app.test_client()
    codes = [client.get(f"{BASE}/{name}").status_code for name in ("irritants.csv", "signalements.csv",
                                                                    "datapackage.json", "irritants.csv")]  # fmt: skip
    assert codes == [200, 200, 200, 429]
