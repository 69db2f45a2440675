"""The access log of a real gunicorn (the logger class and settings of gunicorn.conf.py): one JSON object per request
with its time, method, redacted path, status, duration and request id, gunicorn's own lines in JSON too; in text
mode, an encoded line feed in a URL stays inside its own line."""

from __future__ import annotations

import json
import shlex

import pytest
import requests

from tests.gunicorn_server import Gunicorn

pytestmark = pytest.mark.slow


def test_an_encoded_line_feed_in_the_url_does_not_forge_an_access_log_line(database_url, make_app, tmp_path):
    make_app()  # registers the database cleanup for this test
    log = tmp_path / "access.log"
    args = [
        "--access-logfile",
        str(log),
        "--logger-class",
        "irritants.accesslog.RedactingLogger",
        "--access-logformat",
        '"%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    ]
    env = {"GUNICORN_CMD_ARGS": shlex.join(args), "IRRITANTS_LOG_FORMAT": "text"}
    with Gunicorn(database_url, workers=1, env=env) as server:
        forged = '/irritants%0A"GET /agents/ HTTP/1.1" 200 0 1ms%0D'
        assert requests.get(server.url + forged, timeout=10).status_code == 404
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if "/healthz" not in line]
    assert lines == ['"GET /irritants\\n\\"GET /agents/ HTTP/1.1\\" 200 0 1ms\\r" 404 ' + lines[0].split(" 404 ")[1]]


def test_under_gunicorn_the_access_and_error_logs_are_json_lines_without_secrets(database_url, make_app, tmp_path):
    make_app()
    log = tmp_path / "access.log"
    env = {"GUNICORN_CMD_ARGS": shlex.join(["--access-logfile", str(log)])}
    token = "S3cretTrackingToken" + "x" * 24
    with Gunicorn(database_url, workers=1, env=env) as server:
        tracked = requests.get(
            f"{server.url}/suivi/{token}?email=moi@exemple.fr", headers={"X-Request-ID": "acces-1"}, timeout=10
        )
        forged = requests.get(server.url + '/irritants%0A{"level": "INFO"}%E2%80%A8x', timeout=10)
        server.log.seek(0)
        errors = server.log.read().decode("utf-8")
    assert tracked.status_code == 404 and tracked.headers["X-Request-ID"] == "acces-1"
    text = log.read_text(encoding="utf-8")
    assert token not in text and "moi@exemple.fr" not in text and "\u2028" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    lines = [line for line in lines if line["path"] != "/healthz"]
    assert len(lines) == 2
    first, second = lines
    assert first["time"].endswith("Z") and first["level"] == "INFO" and first["logger"] == "gunicorn.access"
    assert (first["method"], first["path"], first["status"], first["request_id"]) == (
        "GET",
        "/suivi/***",
        404,
        "acces-1",
    )
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert "h" not in first and "remote_addr" not in first  # no client address
    # WSGI hands the path decoded as Latin-1: U+2028's bytes arrive as « â\x80¨ », the invisible one escaped.
    assert second["path"] == '/irritants\\n{"level": "INFO"}â\\x80¨x'
    assert second["request_id"] == forged.headers["X-Request-ID"]
    # The workers' own lines (the app's, gunicorn's error log) are JSON objects too.
    own = [json.loads(line) for line in errors.splitlines() if line.strip()]
    assert own and all({"time", "level", "logger", "message"} <= set(line) for line in own)
