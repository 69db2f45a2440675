"""Access log lines: no tracking token, no query string, and one line per request whatever the URL holds."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from gunicorn.config import Config

from irritants.accesslog import RedactingLogger

FORMAT = '"%(m)s %(U)s" %(s)s %(b)s %(M)sms "%(a)s" %({x-forwarded-for}i)s'


def log_lines(tmp_path, path: str, **headers: str) -> list[str]:
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", FORMAT)
    logger = RedactingLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "email=moi@exemple.fr",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1",
        "HTTP_USER_AGENT": headers.get("User-Agent", "curl"),
    }
    request = SimpleNamespace(headers=list(headers.items()))
    response = SimpleNamespace(status="200 OK", sent=12, headers=[])
    logger.access(response, request, environ, dt.timedelta(milliseconds=3))
    for handler in list(logger.access_log.handlers) + list(logger.error_log.handlers):
        handler.close()
    return (tmp_path / "access.log").read_text(encoding="utf-8").splitlines()


def test_an_encoded_line_feed_in_the_url_cannot_write_a_second_line(tmp_path):
    # PATH_INFO is decoded: "%0A" in the URL is a real line feed there.
    lines = log_lines(tmp_path, '/irritants\n"GET /admin HTTP/1.1" 200 0 1ms\r\x1b[2J')
    assert lines == ['"GET /irritants\\n\\"GET /admin HTTP/1.1\\" 200 0 1ms\\r\\x1b[2J" 200 12 3ms "curl" -']


def test_every_atom_is_escaped_headers_included(tmp_path):
    lines = log_lines(tmp_path, "/", **{"User-Agent": "bot\nfake line", "X-Forwarded-For": "1.2.3.4\u2028x"})
    assert len(lines) == 1
    assert lines[0].endswith('"bot\\nfake line" 1.2.3.4\\u2028x')


def test_tokens_and_query_strings_stay_out_of_the_access_log(tmp_path):
    (line,) = log_lines(tmp_path, "/suivi/SECRETtoken123")
    assert "SECRET" not in line and "/suivi/***" in line and "moi@exemple.fr" not in line


def test_in_json_mode_gunicorn_writes_its_error_and_access_lines_as_json_objects(tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("IRRITANTS_LOG_FORMAT", "json")
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    logger = RedactingLogger(cfg)
    logger.info("Booting worker with pid: %s", 42)
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/api/v1/reports/SECRET?email=moi@exemple.fr",
        "PATH_INFO": "/api/v1/reports/SECRET",
        "QUERY_STRING": "email=moi@exemple.fr",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1",
    }
    response = SimpleNamespace(status="201 CREATED", sent=12, headers=[("X-Request-ID", "r-1")])
    logger.access(response, SimpleNamespace(headers=[]), environ, dt.timedelta(milliseconds=3, microseconds=250))
    for handler in list(logger.access_log.handlers) + list(logger.error_log.handlers):
        handler.close()
    (booting,) = [json.loads(line) for line in (tmp_path / "error.log").read_text(encoding="utf-8").splitlines()]
    assert booting["logger"] == "gunicorn.error" and booting["message"] == "Booting worker with pid: 42"
    (access,) = [json.loads(line) for line in (tmp_path / "access.log").read_text(encoding="utf-8").splitlines()]
    assert access == {
        "time": access["time"],
        "level": "INFO",
        "logger": "gunicorn.access",
        "message": "POST /api/v1/reports/*** 201",
        "request_id": "r-1",
        "method": "POST",
        "path": "/api/v1/reports/***",
        "status": 201,
        "duration_ms": 3.2,
        "bytes": 12,
    }
