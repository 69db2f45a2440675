"""/metrics of a real gunicorn with two workers and the project's gunicorn.conf.py: whichever worker answers the
scrape, the counts are those of both (prometheus_client's multiprocess mode, one folder per run); the access log
names the process that answered each request, to prove both served."""

from __future__ import annotations

import shlex
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.gunicorn_server import Gunicorn

pytestmark = pytest.mark.slow

TOKEN = "metrics-token-for-gunicorn-0123456789"
PATH = "/mentions-legales"
BATCH = 12


def _answering(log, path: str) -> list[str]:
    lines = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    return [pid for pid, logged_path, _status in lines if logged_path == path]


def _requests_counted(body: str, route: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == "irritants_http_requests_total" and sample.labels.get("route") == route
    )


def test_the_counts_of_two_workers_add_up_in_one_scrape(database_url, make_app, tmp_path):
    make_app()  # registers the database cleanup for this test
    log = tmp_path / "access.log"
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"left by an earlier run")  # emptied when the server starts
    args = ["--access-logfile", str(log), "--access-logformat", "%(p)s %(U)s %(s)s"]
    env = {
        "GUNICORN_CMD_ARGS": shlex.join(args),
        "IRRITANTS_METRICS_TOKEN": TOKEN,
        "IRRITANTS_INSTANCE_PATH": str(tmp_path / "instance"),
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "IRRITANTS_LOG_FORMAT": "text",  # the access lines in the format above (JSON mode has its own)
    }
    sent = 0
    with Gunicorn(database_url, workers=2, env=env) as server:

        def get(_: int) -> int:
            # A new connection each time: the two sync workers take turns accepting them.
            return requests.get(server.url + PATH, headers={"Connection": "close"}, timeout=20).status_code

        deadline = time.monotonic() + 60
        with ThreadPoolExecutor(max_workers=6) as pool:
            while len(set(_answering(log, PATH))) < 2:
                assert time.monotonic() < deadline, "the second worker never answered"
                assert list(pool.map(get, range(BATCH))) == [200] * BATCH
                sent += BATCH

        def scrape(_: int) -> requests.Response:
            return requests.get(
                f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}", "Connection": "close"}, timeout=20
            )

        scrapes: list[requests.Response] = []
        with ThreadPoolExecutor(max_workers=4) as pool:
            while len(set(_answering(log, "/metrics"))) < 2:
                assert time.monotonic() < deadline + 60, "the second worker never answered a scrape"
                scrapes += pool.map(scrape, range(4))
        refused = requests.get(f"{server.url}/metrics", timeout=20)
    assert len(_answering(log, PATH)) == sent
    assert refused.status_code == 401
    for answer in scrapes:
        assert answer.status_code == 200
        # Every scrape, whichever worker answered it, counts the requests of both.
        assert _requests_counted(answer.text, PATH) == sent
    assert not (folder / "counter_1.db").exists()
