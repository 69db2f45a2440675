"""/metrics for Prometheus (docs/monitoring.md): requests by route and status, their latency, reports accepted by
door, and the queues read from the database at scrape time. Switched on by IRRITANTS_METRICS_TOKEN: without it
there is no /metrics route and no request is measured."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from flask import g, request, request_finished

from irritants import events
from irritants.settings import settings_of

if TYPE_CHECKING:
    from flask import Flask, Response

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """When a token is set: the /metrics route, a clock on every request, a count of every accepted report."""
    settings = settings_of(app).monitoring
    if not settings.enabled:
        return
    from irritants.monitoring import views
    from irritants.monitoring.instruments import EXTENSION_KEY, Instruments

    meter = Instruments(settings.multiprocess_dir)
    app.extensions[EXTENSION_KEY] = meter
    app.register_blueprint(views.bp)
    # First of the app's before-request functions, so that the time of the rate limiter, CSRF and the input checks
    # (registered earlier, in create_app) is counted; the signal comes once every after-request function has run.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_clock)

    def finished(sender: Flask, response: Response, **_: Any) -> None:
        started = g.pop("monitoring_started", None)
        rule = request.url_rule
        seconds = time.perf_counter() - started if started is not None else None
        try:
            meter.observe_request(rule.rule if rule else None, request.method, response.status_code, seconds)
        except Exception:  # a measurement never fails the answer it measures
            log.exception("request not counted for /metrics")

    def accepted(sender: Flask, source: str = "other", **_: Any) -> None:
        meter.count_report(source)

    request_finished.connect(finished, app, weak=False)
    events.report_accepted.connect(accepted, sender=app, weak=False)


def _start_clock() -> None:
    g.monitoring_started = time.perf_counter()
