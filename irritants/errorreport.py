"""Unexpected errors reported to Sentry (or a service that speaks its protocol) when IRRITANTS_SENTRY_DSN is set.

``sentry-sdk`` is an optional dependency (the « sentry » extra), imported only then. What leaves the machine is
what the logs hold and no more: every line logged at ERROR or above becomes an event (an unhandled error in a
request, a failed background job…), lower ones its breadcrumbs; no personal data (``send_default_pii=False``), no
local variables, no request body, cookie, header nor query string, and every remaining text scrubbed like a log line
(emails, phone numbers, secrets of paths). An event carries the request's id, which the error page shows.
"""

from __future__ import annotations

import inspect
import logging
from importlib import metadata
from typing import Any

from flask import Flask, current_app, has_app_context, request

from irritants.config import ConfigurationError
from irritants.logs import redact_path, request_id, scrub
from irritants.settings import ErrorReportSettings, settings_of

EXTENSION_KEY = "irritants.error_report"
# Tests hand sentry-sdk a transport of their own here (a sentry_sdk.transport.Transport): nothing leaves.
TRANSPORT_KEY = "SENTRY_TRANSPORT"


def init_app(app: Flask) -> None:
    """Start reporting when a DSN is configured; remember whether reports are sent (the 500 page says so)."""
    settings = settings_of(app).error_report
    app.extensions[EXTENSION_KEY] = settings.dsn is not None
    if settings.dsn is not None:
        start(settings, transport=app.config.get(TRANSPORT_KEY))


def is_reporting() -> bool:
    """Whether this app reports unexpected errors to someone (False outside an app)."""
    return has_app_context() and bool(current_app.extensions.get(EXTENSION_KEY))


def start(settings: ErrorReportSettings, *, transport: Any = None) -> None:
    """Initialise sentry-sdk for this process (it is process-wide: the last app built wins)."""
    try:
        import sentry_sdk
        from sentry_sdk.integrations.atexit import AtexitIntegration
        from sentry_sdk.integrations.dedupe import DedupeIntegration
        from sentry_sdk.integrations.excepthook import ExcepthookIntegration
        from sentry_sdk.integrations.logging import LoggingIntegration
    except ImportError as exc:
        raise ConfigurationError(
            "IRRITANTS_SENTRY_DSN est défini mais sentry-sdk n'est pas installé : pip install 'irritants[sentry]'."
        ) from exc
    try:
        release = f"irritants@{metadata.version('irritants')}"
    except metadata.PackageNotFoundError:
        release = None
    sentry_sdk.init(
        dsn=settings.dsn,
        environment=settings.environment,
        release=release,
        **_no_personal_data(),
        # Errors arrive through the log lines (every ERROR line with its exception: requests, jobs, commands) and
        # uncaught exceptions; nothing else patches Flask, SQLAlchemy, threads or subprocesses behind our back.
        default_integrations=False,
        auto_enabling_integrations=False,
        integrations=[
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
            DedupeIntegration(),
            ExcepthookIntegration(),
            AtexitIntegration(),  # sends what is queued before the process exits
        ],
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        **({"transport": transport} if transport is not None else {}),
    )


# --- what may leave ----------------------------------------------------------------------------------------------

# sentry-sdk's « data_collection » (2.76 and later, where it supersedes send_default_pii), everything off.
_NOTHING_COLLECTED = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "off"}},
    "http_bodies": [],
    "url_query_params": {"mode": "off"},
    "database_query_data": False,
    "queues": False,
    "stack_frame_variables": False,
}


def _no_personal_data() -> dict[str, Any]:
    """The options that keep personal data out, as this sentry-sdk spells them."""
    from sentry_sdk.consts import ClientConstructor

    if "data_collection" in inspect.signature(ClientConstructor.__init__).parameters:
        return {"data_collection": dict(_NOTHING_COLLECTED)}
    return {"send_default_pii": False, "include_local_variables": False, "max_request_body_size": "never"}


_SAFE_REQUEST_KEYS = ("method", "url")


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(item) for item in value]
    return value


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """The event without personal data: request reduced to its method and redacted path, no user, no local
    variables, every text scrubbed; tagged with the request's id."""
    event.pop("user", None)
    rid = request_id()
    if rid is not None:
        event["request"] = {"method": request.method, "url": redact_path(request.path)}
        event.setdefault("tags", {})["request_id"] = rid
    elif "request" in event:
        old = event["request"]
        event["request"] = {key: old[key] for key in _SAFE_REQUEST_KEYS if key in old}
        if "url" in event["request"]:
            event["request"]["url"] = redact_path(str(event["request"]["url"]).split("?", 1)[0])
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for key in ("extra", "contexts", "logentry", "message", "exception", "threads", "tags"):
        if key in event:
            event[key] = _scrubbed(event[key])
    crumbs = event.get("breadcrumbs")
    if isinstance(crumbs, dict):
        crumbs["values"] = [scrub_breadcrumb(crumb) for crumb in crumbs.get("values") or []]
    return event


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """A breadcrumb keeps its category, level, time and scrubbed message; its data (URLs, arguments) is dropped."""
    crumb.pop("data", None)
    if isinstance(crumb.get("message"), str):
        crumb["message"] = scrub(crumb["message"])
    return crumb
