"""Rate limits hold as configured whatever the number of gunicorn workers (issue: with ``memory://`` counters, two
workers let twice the limit through). Real gunicorn, two sync workers, the embedded default's counters file and
the machine's Redis; the access log names the process that answered each request, to prove both served."""

from __future__ import annotations

import os
import secrets
import shlex
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from irritants import config
from tests.gunicorn_server import Gunicorn

pytestmark = pytest.mark.slow

LIMIT = 10
REQUESTS = 30
REDIS_URL = os.environ.get("IRRITANTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI") or os.environ.get("IRRITANTS_REQUIRE_REDIS"):
            pytest.fail(f"Redis is required in CI ({REDIS_URL})")
        pytest.skip(f"no Redis at {REDIS_URL}")


def _hammer(server: Gunicorn, log) -> list[int]:
    _wait_for_both_workers(server, log)

    def get(_: int) -> int:
        # A new connection each time: the two sync workers take turns accepting them.
        return requests.get(f"{server.url}/api/v1/clusters", headers={"Connection": "close"}, timeout=20).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(get, range(REQUESTS)))


def _serve(database_url: str, tmp_path, env: dict[str, str]) -> tuple[Gunicorn, object]:
    log = tmp_path / "access.log"
    args = ["--access-logfile", str(log), "--access-logformat", "%(p)s %(U)s %(s)s"]
    server = Gunicorn(
        database_url,
        workers=2,
        env={
            "GUNICORN_CMD_ARGS": shlex.join(args),
            "IRRITANTS_RATELIMIT_ENABLED": "true",
            "IRRITANTS_RATELIMIT_READ": f"{LIMIT} per minute",
            "IRRITANTS_INSTANCE_PATH": str(tmp_path / "instance"),
            "IRRITANTS_CLUSTERING_ENCODER": "tfidf",
            "IRRITANTS_LOG_FORMAT": "text",  # the access lines in the format above (JSON mode has its own)
            **env,
        },
    )
    return server, log


def _answering_processes(log, path: str = "/api/v1/clusters") -> set[str]:
    lines = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    return {pid for pid, logged_path, _status in lines if logged_path == path}


def _wait_for_both_workers(server: Gunicorn, log) -> None:
    """The server answers as soon as one worker is up: wait until both answered (/healthz is not limited)."""
    deadline = time.monotonic() + 30
    with ThreadPoolExecutor(max_workers=4) as pool:
        while len(_answering_processes(log, "/healthz")) < 2:
            assert time.monotonic() < deadline, "the second worker never answered"
            list(pool.map(lambda _: requests.get(f"{server.url}/healthz", timeout=5), range(8)))


def _assert_limit_held(statuses: list[int], log) -> None:
    assert statuses.count(200) == LIMIT
    assert statuses.count(429) == REQUESTS - LIMIT
    assert len(_answering_processes(log)) == 2, "both workers must have answered for the test to mean anything"


def test_the_embedded_default_shares_its_counters_between_two_workers(database_url, make_app, tmp_path):
    make_app()  # registers the database cleanup for this test
    server, log = _serve(database_url, tmp_path, {"IRRITANTS_REDIS_URL": ""})
    with server:
        statuses = _hammer(server, log)
    _assert_limit_held(statuses, log)
    assert (tmp_path / "instance" / config.RATELIMIT_FILE_NAME).exists()


def test_redis_shares_the_counters_between_two_workers(database_url, make_app, tmp_path):
    _redis_or_skip()
    make_app()
    prefix = f"irritants-test-{secrets.token_hex(6)}"
    server, log = _serve(
        database_url,
        tmp_path,
        {"IRRITANTS_REDIS_URL": REDIS_URL, "IRRITANTS_RATELIMIT_KEY_PREFIX": prefix, "IRRITANTS_JOBS_MODE": "inline"},
    )
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        with server:
            statuses = _hammer(server, log)
        _assert_limit_held(statuses, log)
        assert list(client.scan_iter(f"LIMITS:{prefix}*")) or list(client.scan_iter(f"*{prefix}*"))
        assert not (tmp_path / "instance" / config.RATELIMIT_FILE_NAME).exists()
    finally:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


def test_per_process_counters_are_refused_with_several_workers():
    with pytest.raises(config.ConfigurationError, match="par processus"):
        config.web_server({"WORKERS": "2", "IRRITANTS_RATELIMIT_STORAGE_URI": "memory://"})
    assert config.web_server({"WORKERS": "1", "IRRITANTS_RATELIMIT_STORAGE_URI": "memory://"}).workers == 1


def test_the_worker_model_follows_the_database():
    assert (config.web_server({}).workers, config.web_server({}).threads) == (2, 1)
    postgres = config.web_server({"IRRITANTS_DATABASE_URL": "postgresql+psycopg://db/irritants"})
    assert (postgres.workers, postgres.threads) == (3, 1)
    assert config.web_server({"WORKERS": "3", "THREADS": "2"}) == config.WebServer(3, 2, config.web_server({}).reason)
