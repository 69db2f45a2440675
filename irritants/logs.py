"""Log lines: one JSON object per line (or plain text for a terminal), each carrying the request's id and the
signed-in agent's id, never an email address, a phone number nor a secret of a URL; and the ``X-Request-ID`` that
ties a request's lines, its answer and its error report together.

The app, its commands and gunicorn's workers are configured here once per process (``configure``); gunicorn's own
error and access lines take the same formatters (``irritants.accesslog``). What the fields mean: docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import traceback
import uuid
from typing import IO, Any

from flask import Flask, Response, g, has_request_context, request

from irritants.sanitize import escape_for_log
from irritants.settings import LogFormat, LogSettings, settings_of

REQUEST_ID_HEADER = "X-Request-ID"
# An id a client or a proxy sends is kept only when short and plain: it is written in every line of the request.
_PLAIN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# Secrets carried in paths: citizens' tracking tokens, signed survey and unsubscribe links, password resets, Open311
# tokens. « Lien de suivi perdu » (/suivi/retrouver) is a page, not a token.
_SECRET_PATHS = re.compile(
    r"(/suivi/|/api/v1/reports/|/mot-de-passe-oublie/|/desabonnement/|/resolu/|/open311/v2/tokens/)"
    r"(?!retrouver(?:[/?#\s\"']|$))[^/?#\s\"']+"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# French numbers (0X XX XX XX XX, +33 X XX…), separated by spaces, dots or dashes or not at all.
_PHONE = re.compile(r"(?<![\w+])(?<!\d[.,])(?:\+33[\s.-]?(?:\(0\))?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\w)")
# Characters that end a line or reorder text in some viewers, which JSON leaves as they are.
_INVISIBLE = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")

# Fields of gunicorn's access lines (irritants.accesslog), written after the common ones.
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "bytes")
# Fields of the security events (``security_event``): what happened, and for a refusal who asked what, where.
SECURITY_FIELDS = ("event", "roles", "action", "endpoint", "account")
SECURITY_LOGGER = "irritants.security"


def redact_path(path: str) -> str:
    """Replace the secrets of a path (tracking tokens, signed links) by ``***``."""
    return _SECRET_PATHS.sub(r"\1***", path)


def scrub(text: str) -> str:
    """``text`` without email addresses, phone numbers nor secrets of paths: the last guard of every line."""
    if "@" in text:
        text = _EMAIL.sub("[courriel]", text)
    return _PHONE.sub("[téléphone]", redact_path(text))


# --- the request's id ------------------------------------------------------------------------------------------


def request_id() -> str | None:
    """The id of the current request (the client's when plain, else a new one), None outside a request."""
    if not has_request_context():
        return None
    rid = g.get("request_id")
    if rid is None:
        asked = request.headers.get(REQUEST_ID_HEADER, "")
        rid = asked if _PLAIN_ID.fullmatch(asked) else uuid.uuid4().hex
        g.request_id = rid
    return rid


def _agent_id() -> int | None:
    # Only an agent already loaded by the request (flask-login keeps it in g): a log line never queries the database.
    if not has_request_context():
        return None
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


def _start() -> None:
    request_id()


def _answer_with_id(response: Response) -> Response:
    rid = request_id()
    if rid is not None:
        response.headers[REQUEST_ID_HEADER] = rid
    return response


class RequestContext(logging.Filter):
    """Adds ``request_id`` and ``agent_id`` to every record of a request (None elsewhere)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        if not hasattr(record, "agent_id"):
            record.agent_id = _agent_id()
        return True


# --- security events -------------------------------------------------------------------------------------------


def security_event(event: str, message: str, *args: Any, level: int = logging.INFO, **fields: Any) -> None:
    """One line of the ``irritants.security`` logger: ``event`` (``auth.password.failure``, ``authz.refused``…) and
    ``fields`` among ``SECURITY_FIELDS`` and ``agent_id`` (else the signed-in agent's, if any). Never an address: a
    sign-in names the account by its id or by the keyed hash of the address (``account``), nothing else."""
    extra = {"event": event, **{key: value for key, value in fields.items() if value is not None}}
    if "agent_id" in fields:
        extra["agent_id"] = fields["agent_id"]
    logging.getLogger(SECURITY_LOGGER).log(level, message, *args, extra=extra)


# --- formatters ------------------------------------------------------------------------------------------------


def _utc(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _exception_text(record: logging.LogRecord) -> str | None:
    if record.exc_info and record.exc_info[0] is not None:
        return scrub("".join(traceback.format_exception(*record.exc_info)).rstrip())
    if record.exc_text:
        return scrub(record.exc_text)
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, request_id and agent_id when known,
    the access fields of gunicorn's lines, and the exception (type and scrubbed traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for key in ("request_id", "agent_id", *ACCESS_FIELDS, *SECURITY_FIELDS):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = scrub(value) if isinstance(value, str) else value
        exception = _exception_text(record)
        if exception is not None:
            if record.exc_info and record.exc_info[0] is not None:
                line["exc_type"] = record.exc_info[0].__qualname__
            line["exception"] = exception
        if record.stack_info:
            line["stack"] = scrub(record.stack_info)
        text = json.dumps(line, ensure_ascii=False, default=str)
        return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class TextFormatter(logging.Formatter):
    """``2026-12-04T09:30:00.123Z INFO irritants.errors [req 3f2a… agent 7] message``: one line per message (the
    traceback of an exception follows on its own lines)."""

    def format(self, record: logging.LogRecord) -> str:
        ids = []
        if getattr(record, "request_id", None):
            ids.append(f"req {record.request_id}")
        if getattr(record, "agent_id", None) is not None:
            ids.append(f"agent {record.agent_id}")
        where = f" [{' '.join(ids)}]" if ids else ""
        line = f"{_utc(record)} {record.levelname} {record.name}{where} {escape_for_log(scrub(record.getMessage()))}"
        exception = _exception_text(record)
        return f"{line}\n{exception}" if exception else line


def formatter(kind: LogFormat) -> logging.Formatter:
    """The formatter of one log format."""
    return JsonFormatter() if kind is LogFormat.JSON else TextFormatter()


class _StandardError(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is written (as logging's own last resort does)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> IO[str]:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


def make_handler(kind: LogFormat, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing ``kind`` lines to ``stream`` (standard error), with the request's context."""
    handler = logging.StreamHandler(stream) if stream is not None else _StandardError()
    handler.setFormatter(formatter(kind))
    handler.addFilter(RequestContext())
    return handler


_installed: list[logging.Handler] = []


def configure(settings: LogSettings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every logger's lines through one handler of the root logger, at ``settings.level`` (again: replaced)."""
    from flask.logging import default_handler

    root = logging.getLogger()
    while _installed:
        root.removeHandler(_installed.pop())
    handler = make_handler(settings.format, stream)
    root.addHandler(handler)
    root.setLevel(settings.level.value.upper())
    _installed.append(handler)
    # Flask gives the app's logger ("irritants") a handler of its own when it finds none: lines would go out twice.
    logging.getLogger("irritants").removeHandler(default_handler)
    logging.captureWarnings(True)  # warnings go out as lines with a time and a level too
    return handler


def init_app(app: Flask) -> None:
    """Every answer carries ``X-Request-ID``; the process's logging is configured (not in tests: pytest captures)."""
    # First of the before_request hooks: the id exists before any hook may refuse the request.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_answer_with_id)
    if not app.testing:
        configure(settings_of(app).logging)
