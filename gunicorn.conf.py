"""gunicorn settings of irritants (``gunicorn -c gunicorn.conf.py wsgi:app``; read by ./scripts/run).

The worker model follows the database (irritants.config.web_server): on SQLite 2 single-threaded (sync) processes
whose writers take turns for SQLite's single writer; on PostgreSQL 3 single-threaded processes. ``WORKERS`` and
``THREADS`` override it. Sync workers answer one request at a time: put a buffering reverse proxy in front of
them beyond a development machine (as for any gunicorn sync worker). The keep-alive and the text model's threads
below were measured with scripts/load_test.sh (docs/load-test.md).
Rate-limit counters are shared by the processes (Redis when IRRITANTS_REDIS_URL is set, else the counters file
of the instance folder), so limits hold whatever the number of workers.
"""

import os
import shutil as _shutil
import tempfile as _tempfile
from pathlib import Path as _Path
from typing import Any as _Any

from irritants.config import web_server

# Log lines are JSON objects under gunicorn unless IRRITANTS_LOG_FORMAT=text (a developer's terminal): the workers'
# app, gunicorn's error log and its access log alike (irritants.logs, irritants.accesslog; docs/operations.md).
os.environ.setdefault("IRRITANTS_LOG_FORMAT", "json")

_server = web_server()
workers = _server.workers
threads = _server.threads
# Each worker is one of several single-threaded processes sharing the cores: its text model (the similar search as
# citizens type, the placing of new reports) computes on one OpenMP thread. With one thread per core in every
# worker, the threads of two or three workers spin waiting for each other: the similar search then cost 370–660 ms
# of CPU instead of 40 (docs/load-test.md).
os.environ.setdefault("IRRITANTS_EMBEDDING_THREADS", "1")
# Idle keep-alive connections are closed after this many seconds. Sync workers (THREADS=1, the default) answer
# « Connection: close » and keep none; with THREADS > 1 (gthread), a connection closed by the server while a client
# or proxy sends its next request on it is a reset for that request: the server must wait longer than any client
# waits between two requests (people: seconds; a reverse proxy's idle pool: nginx 60 s, most load balancers 60 s).
# gunicorn's default of 2 s reset requests of the load test (docs/load-test.md).
keepalive = 75
# Access log on standard output, control characters escaped (irritants.accesslog), never a query string nor a
# token of a path. In JSON: time, method, path, status, duration_ms, bytes, request_id; in text, this format.
accesslog = "-"
logger_class = "irritants.accesslog.RedactingLogger"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'

# /metrics adds up the counters of every worker (prometheus_client's multiprocess mode, docs/monitoring.md): each
# worker writes its own files into one folder per run, set here in the master before any worker starts (workers
# inherit the environment) — given by PROMETHEUS_MULTIPROC_DIR (emptied at start: counts restart with the server), or
# a fresh temporary folder removed at exit.
_METRICS_PREFIX = "irritants-metrics-"
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _tempfile.mkdtemp(prefix=_METRICS_PREFIX)


def on_starting(server: object) -> None:
    for stale in _Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def child_exit(server: object, worker: _Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: object) -> None:
    folder = _Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if folder.parent == _Path(_tempfile.gettempdir()) and folder.name.startswith(_METRICS_PREFIX):  # made above
        _shutil.rmtree(folder, ignore_errors=True)
