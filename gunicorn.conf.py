"""gunicorn settings of irritants (``gunicorn -c gunicorn.conf.py wsgi:app``; read by ./scripts/run).

The worker model follows the database (irritants.config.web_server): on SQLite 2 single-threaded (sync) processes
whose writers take turns for SQLite's single writer; on PostgreSQL 3 single-threaded processes. ``WORKERS`` and
``THREADS`` override it. Sync workers answer one request at a time: put a buffering reverse proxy in front of
them beyond a development machine (as for any gunicorn sync worker).
Rate-limit counters are shared by the processes (Redis when IRRITANTS_REDIS_URL is set, else the counters file
of the instance folder), so limits hold whatever the number of workers.
"""

import os

from irritants.config import web_server

# Log lines are JSON objects under gunicorn unless IRRITANTS_LOG_FORMAT=text (a developer's terminal): the workers'
# app, gunicorn's error log and its access log alike (irritants.logs, irritants.accesslog; docs/operations.md).
os.environ.setdefault("IRRITANTS_LOG_FORMAT", "json")

_server = web_server()
workers = _server.workers
threads = _server.threads
# Access log on standard output, control characters escaped (irritants.accesslog), never a query string nor a
# token of a path. In JSON: time, method, path, status, duration_ms, bytes, request_id; in text, this format.
accesslog = "-"
logger_class = "irritants.accesslog.RedactingLogger"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'
