"""The access log of a real gunicorn (the logger class and format of scripts/run): an encoded line feed in a URL
stays inside its own line."""

from __future__ import annotations

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
    with Gunicorn(database_url, workers=1, env={"GUNICORN_CMD_ARGS": shlex.join(args)}) as server:
        forged = '/irritants%0A"GET /agents/ HTTP/1.1" 200 0 1ms%0D'
        assert requests.get(server.url + forged, timeout=10).status_code == 404
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if "/healthz" not in line]
    assert lines == ['"GET /irritants\\n\\"GET /agents/ HTTP/1.1\\" 200 0 1ms\\r" 404 ' + lines[0].split(" 404 ")[1]]
