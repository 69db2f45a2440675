"""What /metrics counts and how it is written out, with prometheus_client (no Flask, no SQL).

Counters and the latency histogram live in the web processes. With several gunicorn workers each process writes
its values to files of the run's folder (prometheus_client's multiprocess mode, ``PROMETHEUS_MULTIPROC_DIR`` set by
gunicorn.conf.py), and the scrape adds up every file, so whichever worker answers /metrics gives the totals of all.
Without that folder the process counts alone in its own registry (development server, tests).

The queue gauges are read from the database at scrape time (``monitoring.services.read_backlog``) and written out
with the counters by ``exposition``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from irritants.monitoring.services import Backlog

EXTENSION_KEY = "irritants.monitoring"
#: The text format every Prometheus reads (0.0.4).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: A request that matched no route (404, 405 on an unknown path): never the raw path, whose values are unbounded.
UNMATCHED = "unmatched"
#: Methods counted under their own name; any other (a client may send anything) is counted as ``other``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Seconds. Finer below a second, where pages live; 0.3 marks the goal for p95 (docs/monitoring.md).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)
#: The doors a report comes through, shown at 0 from the start so that rates work from the first scrape.
REPORT_SOURCES = ("web", "api", "open311")


class Instruments:
    """The counters of one application: requests by route, method and status; their latency; reports accepted."""

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        # In multiprocess mode the values are in the run's files, which the scrape reads: a registry here would
        # export this process's values a second time.
        self._registry = None if multiprocess_dir else CollectorRegistry()
        self.requests = Counter(
            "irritants_http_requests",
            "HTTP requests answered, by route (the URL rule), method and status.",
            ["route", "method", "status"],
            registry=self._registry,
        )
        self.latency = Histogram(
            "irritants_http_request_duration_seconds",
            "Time from the request's arrival in the application to its response, by route and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self._registry,
        )
        self.reports = Counter(
            "irritants_reports_accepted",
            "New reports committed, by the door they came through (web form, API, Open311).",
            ["source"],
            registry=self._registry,
        )
        for source in REPORT_SOURCES:
            self.reports.labels(source=source)

    def observe_request(self, route: str | None, method: str, status: int, seconds: float | None) -> None:
        """Count one answered request; ``seconds`` None when its start was not seen."""
        route_label = route or UNMATCHED
        method_label = method if method in METHODS else "other"
        self.requests.labels(route=route_label, method=method_label, status=str(status)).inc()
        if seconds is not None:
            self.latency.labels(route=route_label, method=method_label).observe(seconds)

    def count_report(self, source: str) -> None:
        """Count one report accepted through ``source``."""
        self.reports.labels(source=source).inc()

    def exposition(self, backlog: Backlog) -> bytes:
        """Every counter (added up over the run's processes) and the database's queues, in the text format."""
        registry = CollectorRegistry()
        if self.multiprocess_dir:
            MultiProcessCollector(registry, path=self.multiprocess_dir)
        else:
            for metric in (self.requests, self.latency, self.reports):
                registry.register(metric)
        registry.register(BacklogCollector(backlog))
        return generate_latest(registry)


class BacklogCollector(Collector):
    """The queue gauges of one reading of the database."""

    def __init__(self, backlog: Backlog) -> None:
        self.backlog = backlog

    def collect(self) -> Iterator[GaugeMetricFamily]:
        b = self.backlog
        yield _gauge(
            "irritants_reports_unplaced", "Reports in no irritant yet: the clustering's pending work.", b.unplaced
        )
        yield _gauge(
            "irritants_clustering_lag_seconds",
            "Age of the oldest report in no irritant yet (0 when every report is placed).",
            b.clustering_lag_seconds,
        )
        yield _gauge(
            "irritants_reports_awaiting_moderation",
            "Reports whose text waits for a moderator (personal data detected, or flagged as abusive).",
            b.awaiting_moderation,
        )
        yield _labelled(
            "irritants_outbox_messages",
            "Outbox messages not yet sent (pending, sending) or given up (dead), by kind (mail, webhook).",
            ("kind", "status"),
            ((key, count) for key, count in sorted(b.outbox.items())),
        )
        yield _gauge(
            "irritants_mail_outbox_depth", "Mails waiting to leave (pending or being sent).", b.mail_outbox_depth
        )
        yield _gauge(
            "irritants_outbox_oldest_due_seconds",
            "How long the oldest message due for sending has been due (0 when none is): the delivery lag.",
            b.outbox_oldest_due_seconds,
        )
        yield _gauge(
            "irritants_pending_status_notices",
            "Status changes not yet composed into mails to citizens (grouped for MAIL_GROUP_MINUTES).",
            b.pending_notices,
        )
        yield _labelled(
            "irritants_export_requests",
            "Background exports queued, running or failed (ready ones are not counted).",
            ("state",),
            (((state,), count) for state, count in sorted(b.exports.items())),
        )
        yield _labelled(
            "irritants_background_jobs",
            "Background jobs tied to no row (re-clustering…): waiting, running, failed (retried later), dead; by kind.",
            ("kind", "state"),
            ((key, count) for key, count in sorted(b.background.items())),
        )
        yield _labelled(
            "irritants_periodic_job_last_run_timestamp_seconds",
            "When each periodic job (daily purges, digest, regression check…) last started, Unix time.",
            ("job",),
            (((name,), at) for name, at in sorted(b.periodic_last_run.items())),
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _labelled(
    name: str, documentation: str, labels: tuple[str, ...], values: Iterable[tuple[tuple[str, ...], float]]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    for label_values, value in values:
        family.add_metric(list(label_values), value)
    return family


class _App(Protocol):
    # What this module needs of a Flask application (it imports no Flask).
    extensions: dict[str, Any]


def instruments_of(app: _App) -> Instruments:
    """The counters of an application whose metrics are on (``monitoring.init_app``)."""
    return app.extensions[EXTENSION_KEY]
