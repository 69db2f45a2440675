"""gunicorn settings of irritants (``gunicorn -c gunicorn.conf.py wsgi:app``; read by ./scripts/run).

The worker model follows the database (irritants.config.web_server): on SQLite 2 single-threaded (sync) processes
whose writers take turns for SQLite's single writer; on PostgreSQL 3 single-threaded processes. ``WORKERS`` and
``THREADS`` override it. Sync workers answer one request at a time: put a buffering reverse proxy in front of
them beyond a development machine (as for any gunicorn sync worker).
Rate-limit counters are shared by the processes (Redis when IRRITANTS_REDIS_URL is set, else the counters file
of the instance folder), so limits hold whatever the number of workers.
"""

from irritants.config import web_server

_server = web_server()
workers = _server.workers
threads = _server.threads
# Access log on standard output, control characters escaped (irritants.accesslog), never a query string.
accesslog = "-"
logger_class = "irritants.accesslog.RedactingLogger"
access_log_format = '"%(m)s %(U)s" %(s)s %(b)s %(M)sms'
