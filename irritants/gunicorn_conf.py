"""gunicorn settings of irritants, shipped inside the package so that an installed wheel (a container, a server) runs
with them: ``gunicorn -c python:irritants.gunicorn_conf irritants.wsgi:app``. In a checkout, ``gunicorn.conf.py`` at
the top (read by ./scripts/run) takes them from here.

Worker model. It follows the database (irritants.config.web_server): on SQLite 2 single-threaded (sync) processes
whose writers take turns for SQLite's single writer; on PostgreSQL 3 single-threaded processes (measured with
scripts/bench_intake.py on 2 cores). ``WORKERS`` and ``THREADS`` override it (e.g. WORKERS = 2 × cores + 1 on a
larger machine with PostgreSQL). Sync workers answer one request at a time: put a buffering reverse proxy in front of
them beyond a development machine (as for any gunicorn sync worker), and with IRRITANTS_PROXY_FIX_COUNT set, let
nothing but that proxy reach gunicorn (docs/deployment.md).
Rate-limit counters are shared by the processes (Redis when IRRITANTS_REDIS_URL is set, else the counters file of the
instance folder), so limits hold whatever the number of workers. The address to listen on is gunicorn's own
``--bind`` (or GUNICORN_CMD_ARGS), 127.0.0.1:8000 by default.
"""

from pathlib import Path as _Path
from typing import Any as _Any

from irritants.config import made_for_this_run as _made_for_this_run
from irritants.config import prepare_gunicorn_environment as _prepare
from irritants.config import web_server as _web_server

# Log lines are JSON objects under gunicorn unless IRRITANTS_LOG_FORMAT=text (a developer's terminal): the workers'
# app, gunicorn's error log and its access log alike (irritants.logs, irritants.accesslog; docs/operations.md).
# /metrics adds up the counters of every worker (prometheus_client's multiprocess mode, docs/monitoring.md): each
# worker writes its own files into one folder per run, set here in the master before any worker starts (workers
# inherit the environment) — given by PROMETHEUS_MULTIPROC_DIR (emptied at start: counts restart with the server), or
# a fresh temporary folder removed at exit.
_metrics_dir = _prepare()

_server = _web_server()
workers = _server.workers
threads = _server.threads
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


def on_starting(server: object) -> None:
    for stale in _metrics_dir.glob("*.db"):
        stale.unlink()


def child_exit(server: object, worker: _Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: object) -> None:
    import shutil

    if _made_for_this_run(_Path(_metrics_dir)):
        shutil.rmtree(_metrics_dir, ignore_errors=True)
