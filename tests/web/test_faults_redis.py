"""Redis down: citizens still report and agents still sign in; rate limits fall back to each process's own counters
with one warning per process, and return to Redis once it answers again. Real gunicorn, two workers; Redis « down »
is a port nobody listens on, or a redis-server of the test's own that it stops and starts again (never the
machine's). The limits shared through the machine's Redis are tested in test_rate_limits_gunicorn.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from irritants.db import get_db
from tests.conftest import PASSWORD, make_user, report_payload
from tests.gunicorn_server import Gunicorn, free_port
from tests.web.test_rate_limits_gunicorn import LIMIT, REQUESTS, _answering_processes, _serve, _wait_for_both_workers
from tests.web.test_report_form import VALID_FORM

pytestmark = pytest.mark.slow

FALLBACK_WARNING = "Rate limit storage unreachable - falling back to in-memory storage"
RECOVERED = "Rate limit storage recovered"


def _redis_server_or_skip() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") or os.environ.get("IRRITANTS_REQUIRE_REDIS"):
            pytest.fail("redis-server is required in CI (the Redis outage test starts its own)")
        pytest.skip("no redis-server on this machine")
    return binary


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    assert match, name
    return match.group(1)


def _report_through_the_form(server: Gunicorn, description: str) -> requests.Response:
    browser = requests.Session()
    page = browser.get(f"{server.url}/", timeout=20).text
    data = {
        **VALID_FORM,
        "description": description,
        "csrf_token": _hidden(page, "csrf_token"),
        "form_token": _hidden(page, "form_token"),
    }
    return browser.post(f"{server.url}/", data=data, allow_redirects=False, timeout=20)


def _sign_in(server: Gunicorn, email: str) -> requests.Response:
    browser = requests.Session()
    page = browser.get(f"{server.url}/agents/connexion", timeout=20).text
    data = {"csrf_token": _hidden(page, "csrf_token"), "email": email, "password": PASSWORD}
    return browser.post(f"{server.url}/agents/connexion", data=data, allow_redirects=False, timeout=20)


def _agent(app: Any) -> str:
    with get_db(app).session_scope() as session:
        email = make_user(session, "product_owner", password=PASSWORD).email
        session.commit()
    return email


def _server_log(server: Gunicorn) -> str:
    server.log.seek(0)
    return server.log.read().decode(errors="replace")


def _gets(server: Gunicorn, count: int) -> list[int]:
    def get(_: int) -> int:
        return requests.get(f"{server.url}/api/v1/clusters", headers={"Connection": "close"}, timeout=20).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(get, range(count)))


def _citizen_and_agent_are_served(server: Gunicorn, app: Any, tag: str) -> None:
    form = _report_through_the_form(server, f"{VALID_FORM['description']} ({tag}, par le formulaire)")
    assert form.status_code == 303 and form.headers["Location"].endswith("/confirmation")
    api = requests.post(
        f"{server.url}/api/v1/reports",
        json=report_payload(description=f"Par l'API ({tag}) : {VALID_FORM['description']}"),
        timeout=20,
    )
    assert api.status_code == 201
    signed_in = _sign_in(server, _agent(app))
    assert signed_in.status_code == 303, signed_in.text[:300]


@contextmanager
def _redis_server(binary: str, port: int, folder: Any) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True, check=False
            ).stdout.strip()
            != "PONG"
        ):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _keys(port: int) -> list[str]:
    out = subprocess.run(["redis-cli", "-p", str(port), "--scan"], capture_output=True, text=True, check=True).stdout
    return out.split()


def test_redis_stops_under_two_workers_then_comes_back(make_app, database_url, tmp_path):
    binary = _redis_server_or_skip()
    app = make_app()
    port = free_port()
    server, access_log = _serve(
        database_url,
        tmp_path,
        {
            "IRRITANTS_REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "IRRITANTS_FORM_MIN_FILL_SECONDS": "0",
            "IRRITANTS_JOBS_MODE": "worker",  # new reports wake the workers through Redis
        },
    )
    server.preload = True  # the app imported once, by the master: two workers up in the time of one
    with server:
        with _redis_server(binary, port, tmp_path):
            _wait_for_both_workers(server, access_log)
            assert set(_gets(server, 2)) == {200}
            assert _keys(port)  # the counters are in Redis
        # Redis stopped under a running gunicorn: citizens and agents are served all the same.
        _citizen_and_agent_are_served(server, app, "Redis arrêté")
        statuses = _gets(server, REQUESTS)
        assert len(_answering_processes(access_log)) == 2
        # Each process counts alone: more than the limit gets through, never more than the limit per process.
        assert LIMIT < statuses.count(200) <= 2 * LIMIT
        assert statuses.count(429) == REQUESTS - statuses.count(200)
        fell_back = _server_log(server).count(FALLBACK_WARNING)
        assert fell_back in (1, 2)  # one line per process that met the outage, not one per request (over forty)
        with _redis_server(binary, port, tmp_path):  # back, empty
            deadline = time.monotonic() + 60
            while _server_log(server).count(RECOVERED) < fell_back:
                assert time.monotonic() < deadline, "the limiter never went back to Redis"
                assert set(_gets(server, 2)) <= {200, 429}
                time.sleep(0.2)
            _gets(server, 2)
            assert _keys(port)  # counted in Redis again
        log = _server_log(server)
    assert log.count(FALLBACK_WARNING) == fell_back and log.count(RECOVERED) == fell_back, log
    assert 1 <= log.count("Redis unavailable: new work waits") <= 2, log
    assert "exceeded at endpoint" not in log  # Flask-Limiter's line naming the client's address (over twenty 429s)
