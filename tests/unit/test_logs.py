"""Log lines: one JSON object per line with its fields, or one plain line; never an email, a phone number nor a secret
of a path, whatever a message holds; the format chosen by IRRITANTS_LOG_FORMAT."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import sys

import pytest

from irritants.config import ConfigurationError, log_settings
from irritants.logs import JsonFormatter, TextFormatter, make_handler, redact_path, scrub
from irritants.settings import LogFormat, LogLevel, LogSettings


def record(message: str, *args: object, level: int = logging.INFO, exc_info=None, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("irritants.essai", level, __file__, 1, message, args, exc_info)
    made.created = dt.datetime(2026, 12, 4, 9, 30, 0, 123000, tzinfo=dt.UTC).timestamp()
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_a_json_line_parses_and_carries_time_level_logger_message_and_ids():
    line = JsonFormatter().format(record("export %s ready", 12, request_id="abc-1", agent_id=7))
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-12-04T09:30:00.123Z",
        "level": "INFO",
        "logger": "irritants.essai",
        "message": "export 12 ready",
        "request_id": "abc-1",
        "agent_id": 7,
    }


def test_a_json_line_leaves_out_ids_it_does_not_know():
    assert set(json.loads(JsonFormatter().format(record("x", request_id=None)))) == {
        "time",
        "level",
        "logger",
        "message",
    }


def test_an_exception_is_inside_its_json_line_with_its_type():
    try:
        raise ValueError("boom for camille@exemple.fr")
    except ValueError:
        line = JsonFormatter().format(record("failed", level=logging.ERROR, exc_info=sys.exc_info()))
    assert len(line.splitlines()) == 1
    parsed = json.loads(line)
    assert parsed["level"] == "ERROR" and parsed["exc_type"] == "ValueError"
    assert "Traceback" in parsed["exception"] and "boom for [courriel]" in parsed["exception"]
    assert "camille" not in line


def test_no_character_of_a_message_breaks_a_json_line_or_reorders_it():
    line = JsonFormatter().format(record("a\nb\rc\u2028d\u2029e\x85f\u202eg\x1bh"))
    assert len(line.splitlines()) == 1
    assert json.loads(line)["message"] == "a\nb\rc\u2028d\u2029e\x85f\u202eg\x1bh"
    assert "\u2028" not in line and "\u202e" not in line and "\x85" not in line


def test_a_text_line_is_one_line_with_its_time_level_logger_and_ids():
    line = TextFormatter().format(record("GET %s", "/x\ny", request_id="r1", agent_id=3))
    assert line == "2026-12-04T09:30:00.123Z INFO irritants.essai [req r1 agent 3] GET /x\\ny"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("écrire à camille.martin+test@exemple.gouv.fr svp", "écrire à [courriel] svp"),
        ("appelez le 06 12 34 56 78.", "appelez le [téléphone]."),
        ("tel +33 6 12 34 56 78", "tel [téléphone]"),
        ("tel 0612345678", "tel [téléphone]"),
        ("GET /suivi/Abc_-123 200", "GET /suivi/*** 200"),
        ("GET /suivi/Abc/resolu?x=1", "GET /suivi/***/resolu?x=1"),
        ("GET /api/v1/reports/Abc/messages", "GET /api/v1/reports/***/messages"),
        ("/mot-de-passe-oublie/tok /desabonnement/tok /resolu/sig /open311/v2/tokens/t.json", None),
        ("GET /suivi/retrouver 200", "GET /suivi/retrouver 200"),
        ("report 1234567890 placed in 0.0612345678 s, id 0612345678abcdef", None),
    ],
)
def test_scrub_masks_emails_phones_and_secrets_of_paths(text, expected):
    if expected is None:
        expected = (
            text
            if "report" in text
            else "/mot-de-passe-oublie/*** /desabonnement/*** /resolu/*** /open311/v2/tokens/***"
        )
    assert scrub(text) == expected


def test_redact_path_keeps_the_page_of_a_lost_link():
    assert redact_path("/suivi/retrouver") == "/suivi/retrouver"
    assert redact_path("/suivi/abc") == "/suivi/***"


def test_the_handler_adds_no_request_id_outside_a_request():
    stream = io.StringIO()
    logger = logging.getLogger("irritants.essai.handler")
    logger.propagate = False
    handler = make_handler(LogFormat.JSON, stream)
    logger.addHandler(handler)
    try:
        logger.warning("Redis unavailable")
    finally:
        logger.removeHandler(handler)
    parsed = json.loads(stream.getvalue())
    assert parsed["message"] == "Redis unavailable" and "request_id" not in parsed and "agent_id" not in parsed


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, LogSettings(LogFormat.TEXT, LogLevel.INFO)),
        ({"IRRITANTS_ENV": "production"}, LogSettings(LogFormat.JSON, LogLevel.INFO)),
        ({"IRRITANTS_ENV": "production", "IRRITANTS_LOG_FORMAT": "text"}, LogSettings(LogFormat.TEXT, LogLevel.INFO)),
        (
            {"IRRITANTS_LOG_FORMAT": "JSON", "IRRITANTS_LOG_LEVEL": "warning"},
            LogSettings(LogFormat.JSON, LogLevel.WARNING),
        ),
    ],
)
def test_the_log_format_and_level_come_from_the_environment(environ, expected):
    assert log_settings(environ) == expected


def test_an_unknown_log_format_stops_the_start_naming_the_variable():
    with pytest.raises(ConfigurationError, match="IRRITANTS_LOG_FORMAT"):
        log_settings({"IRRITANTS_LOG_FORMAT": "xml"})
