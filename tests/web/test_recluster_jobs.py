"""Re-clustering from the back-office and ``/api/v1/triage/recluster``: administrators only, one job at a time
across machines, run by the background runners, and a run killed midway (an exception, or SIGKILL of its process)
leaves the previous clustering intact until the job is taken again and succeeds."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from irritants import jobs
from irritants.auth.api_tokens import create_token
from irritants.background import queue
from irritants.background.models import BackgroundJob, JobState
from irritants.clusters import recluster
from irritants.clusters.models import Cluster
from irritants.clusters.recluster_job import RECLUSTER
from irritants.db import get_db, utcnow
from irritants.intake.models import Report
from irritants.settings import JobsMode
from tests.conftest import TEST_SECRET, clean_database, make_report, make_user, module_app, sign_in

ROOT = Path(__file__).resolve().parents[2]
URL = "/api/v1/triage/recluster"
THEMES = (
    "Impossible d'obtenir un rendez-vous en préfecture pour mon titre de séjour, semaine {n}.",
    "Mon dossier de RSA à la CAF est bloqué depuis {n} mois, aucune réponse au téléphone.",
    "Le formulaire en ligne refuse mon IBAN pourtant valide, erreur {n} à chaque validation.",
)


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    # Worker mode without Redis: a request only queues, and each test runs the queue itself (as a worker would).
    yield from module_app(database_url, tmp_path_factory, JOBS_MODE=JobsMode.WORKER)


@pytest.fixture(autouse=True)
def _clean(app: Flask) -> Iterator[None]:
    yield
    clean_database(app)


def bearer(app: Flask, *roles: str) -> dict[str, str]:
    with get_db(app).session_scope() as s:
        user = make_user(s, *roles)
        _, raw = create_token(s, user, "tests")
        s.commit()
    return {"Authorization": f"Bearer {raw}"}


def signed_in(app: Flask, client: FlaskClient, *roles: str) -> None:
    with get_db(app).session_scope() as s:
        user = make_user(s, *roles)
        s.commit()
    sign_in(client, user)


def one_lump(app: Flask, per_theme: int = 6) -> None:
    """Reports of three different irritants all in one cluster, as no re-clustering would leave them."""
    with get_db(app).session_scope() as s:
        lump = Cluster(label="Tout en un", keywords=[])
        s.add(lump)
        s.flush()
        for i in range(per_theme * len(THEMES)):
            make_report(s, cluster=lump, description=THEMES[i % len(THEMES)].format(n=i + 2))
        lump.size = per_theme * len(THEMES)
        s.commit()


def clustering(app: Flask) -> tuple[dict[int, int | None], dict[int, str]]:
    """Which irritant each report is in, and each irritant's label."""
    with get_db(app).read_sessions() as s:
        placed = dict(s.execute(select(Report.id, Report.cluster_id)).all())
        labels = dict(s.execute(select(Cluster.id, Cluster.label)).all())
    return placed, labels


def job_of(app: Flask, job_id: int) -> BackgroundJob:
    with get_db(app).read_sessions() as s:
        job = s.get(BackgroundJob, job_id)
        assert job is not None
        return job


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


# --- API -----------------------------------------------------------------------------------------------------


def test_an_admin_starts_a_recluster_gets_202_and_follows_the_job_to_its_result(app: Flask) -> None:
    one_lump(app)
    client, admin = app.test_client(), bearer(app, "admin")
    started = client.post(URL, headers=admin)
    assert started.status_code == 202, started.get_data(as_text=True)
    body = started.get_json()
    assert started.headers["Location"] == f"{URL}/{body['id']}"
    assert (body["state"], body["attempts"], body["result"]) == ("pending", 0, None)
    assert client.get(started.headers["Location"], headers=admin).get_json()["state"] == "pending"

    assert jobs.drain(app) >= 1  # what a worker does on its wake-up
    done = client.get(started.headers["Location"], headers=admin)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    followed = done.get_json()
    assert (followed["state"], followed["state_label"], followed["attempts"]) == ("done", "Terminé", 1)
    assert followed["result"]["reports"] == 18 and followed["result"]["clusters"] >= 3
    assert followed["progress"]["stage"] == "saving" and followed["finished_at"]
    placed, _ = clustering(app)
    assert all(placed.values()) and len(set(placed.values())) >= 3, "the lump is split into its irritants"


def test_a_second_request_while_one_waits_or_runs_gets_the_same_job(app: Flask) -> None:
    client, admin = app.test_client(), bearer(app, "admin")
    first = client.post(URL, headers=admin).get_json()
    again = client.post(URL, headers=bearer(app, "admin"))
    assert again.status_code == 202 and again.get_json()["id"] == first["id"]
    # Running: still the same one.
    with get_db(app).session_scope() as s:
        s.get(BackgroundJob, first["id"]).state = JobState.RUNNING
        s.get(BackgroundJob, first["id"]).locked_until = utcnow() + dt.timedelta(minutes=5)
        s.commit()
    assert client.post(URL, headers=admin).get_json()["id"] == first["id"]
    with get_db(app).read_sessions() as s:
        assert len(list(s.scalars(select(BackgroundJob.id)))) == 1


@pytest.mark.parametrize("role", ["product_owner", "squad_member", "manager", "correspondant"])
def test_only_admins_start_or_read_a_recluster(app: Flask, role: str) -> None:
    client = app.test_client()
    job_id = client.post(URL, headers=bearer(app, "admin")).get_json()["id"]
    other = bearer(app, role)
    problem(client.post(URL, headers=other), 403)
    problem(client.get(f"{URL}/{job_id}", headers=other), 403)
    with get_db(app).read_sessions() as s:
        assert len(list(s.scalars(select(BackgroundJob.id)))) == 1


def test_anonymous_callers_get_401_and_unknown_jobs_404(app: Flask) -> None:
    client = app.test_client()
    problem(client.post(URL), 401)
    problem(client.get(f"{URL}/1"), 401)
    admin = bearer(app, "admin")
    problem(client.get(f"{URL}/999999", headers=admin), 404)
    with get_db(app).session_scope() as s:  # a job of another kind is not a re-clustering
        other = BackgroundJob(kind="export", state=JobState.PENDING, payload={}, attempts=0, max_attempts=3)
        s.add(other)
        s.commit()
        other_id = other.id
    problem(client.get(f"{URL}/{other_id}", headers=admin), 404)


def test_a_browser_session_must_send_its_csrf_token(app: Flask) -> None:
    client = app.test_client()
    signed_in(app, client, "admin")
    problem(client.post(URL), 400)


def test_the_recluster_routes_are_in_the_openapi_document(app: Flask) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    post = spec["paths"][URL]["post"]
    assert "202" in post["responses"] and "403" in post["responses"]
    assert "Location" in post["responses"]["202"]["headers"]
    get = spec["paths"][URL + "/{job_id}"]["get"]
    assert {"200", "403", "404"} <= set(get["responses"])


# --- back-office page ------------------------------------------------------------------------------------------


def csrf(client: FlaskClient, page: str = "/agents/irritants") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).get_data(as_text=True))
    assert found
    return found.group(1)


def test_admins_see_the_button_on_the_backlog_and_it_queues_one_job(app: Flask) -> None:
    one_lump(app)
    client = app.test_client()
    signed_in(app, client, "admin")
    page = client.get("/agents/irritants").get_data(as_text=True)
    assert "Regrouper à nouveau les signalements" in page and 'action="/agents/regroupements"' in page
    answer = client.post("/agents/regroupements", data={"csrf_token": csrf(client)})
    assert answer.status_code == 303
    assert re.fullmatch(r".*/agents/regroupements/\d+", answer.headers["Location"])
    followed = client.get(answer.headers["Location"])
    html = followed.get_data(as_text=True)
    assert followed.status_code == 200 and "En attente" in html and "Regroupement demandé" in html
    again = client.post("/agents/regroupements", data={"csrf_token": csrf(client)}, follow_redirects=True)
    assert "Un regroupement est déjà en attente" in again.get_data(as_text=True)
    jobs.drain(app)
    done = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Regroupement terminé" in done and "18 signalements regroupés" in done
    assert "Dernier regroupement" in client.get("/agents/irritants").get_data(as_text=True)


@pytest.mark.parametrize("role", ["product_owner", "manager"])
def test_other_agents_neither_see_the_button_nor_may_post_it(app: Flask, role: str) -> None:
    client = app.test_client()
    signed_in(app, client, role)
    assert "Regrouper à nouveau" not in client.get("/agents/irritants").get_data(as_text=True)
    assert client.post("/agents/regroupements", data={"csrf_token": csrf(client)}).status_code == 403
    with get_db(app).read_sessions() as s:
        assert not list(s.scalars(select(BackgroundJob.id)))


def test_the_button_is_refused_without_its_csrf_token(app: Flask) -> None:
    client = app.test_client()
    signed_in(app, client, "admin")
    assert client.post("/agents/regroupements", data={}).status_code == 400
    with get_db(app).read_sessions() as s:
        assert not list(s.scalars(select(BackgroundJob.id)))


# --- a run killed midway -----------------------------------------------------------------------------------------


def test_a_recluster_that_fails_midway_leaves_the_clustering_intact_then_is_retried(app: Flask, monkeypatch) -> None:
    one_lump(app)
    before = clustering(app)
    client, admin = app.test_client(), bearer(app, "admin")
    job_id = client.post(URL, headers=admin).get_json()["id"]

    def broken(session: Any) -> None:
        session.flush()  # every report's new irritant written in the transaction, then the run dies
        raise RuntimeError("disque plein")

    monkeypatch.setattr(recluster, "sync_report_statuses", broken)
    assert queue.run_next(app) == 1
    failed = client.get(f"{URL}/{job_id}", headers=admin).get_json()
    assert (failed["state"], failed["attempts"]) == ("failed", 1)
    assert failed["error"].startswith("RuntimeError at irritants/") and "disque" not in failed["error"]
    assert clustering(app) == before, "the previous clustering is untouched"

    monkeypatch.undo()
    assert queue.run_next(app) == 0, "not before its back-off"
    assert queue.run_next(app, now=utcnow() + RECLUSTER.backoff + dt.timedelta(seconds=1)) == 1
    assert client.get(f"{URL}/{job_id}", headers=admin).get_json()["state"] == "done"
    placed, _ = clustering(app)
    assert len(set(placed.values())) >= 3


KILLED_RUNNER = """
import pathlib, sys, time
from irritants import create_app
from irritants.background import queue
from irritants.clusters import recluster

url, marker, secret = sys.argv[1:4]
app = create_app({"ENV": "testing", "DATABASE_URL": url, "SECRET_KEY": secret, "JOBS_MODE": "worker"})
real = recluster.sync_report_statuses

def stuck(session):
    real(session)
    session.flush()  # the new clustering written, not committed
    pathlib.Path(marker).write_text("swapping")
    time.sleep(120)

recluster.sync_report_statuses = stuck
queue.run_next(app)
"""


def test_a_recluster_whose_worker_is_sigkilled_midway_changes_nothing_and_is_taken_again(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    one_lump(app)
    before = clustering(app)
    job_id = app.test_client().post(URL, headers=bearer(app, "admin")).get_json()["id"]
    marker = tmp_path / "swapping"
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUNNER, database_url, str(marker), TEST_SECRET],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            assert worker.poll() is None, "the worker ended before the swap"
            assert time.monotonic() < deadline, "the worker never reached the swap"
            time.sleep(0.1)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(30)
    killed = job_of(app, job_id)
    assert (killed.state, killed.attempts) == (JobState.RUNNING, 1)
    assert killed.claimed_by.endswith(f":{worker.pid}")
    assert clustering(app) == before, "the killed run's writes never committed"

    assert queue.run_next(app) == 0, "its lease still holds"
    later = utcnow() + RECLUSTER.lease + dt.timedelta(minutes=1)
    for _ in range(50):  # PostgreSQL ends the killed session (and its lock) as soon as it sees the socket closed
        queue.run_next(app, now=later)
        if job_of(app, job_id).state == JobState.DONE:
            break
        later += dt.timedelta(minutes=2)
        time.sleep(0.1)
    retried = job_of(app, job_id)
    assert (retried.state, retried.attempts, retried.last_error) == (JobState.DONE, 2, queue.RUNNER_LOST)
    placed, _ = clustering(app)
    assert all(placed.values()) and len(set(placed.values())) >= 3
