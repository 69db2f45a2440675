"""gunicorn settings of irritants in a checkout (``gunicorn -c gunicorn.conf.py wsgi:app``; read by ./scripts/run):
the package's own, irritants/gunicorn_conf.py, which an installed wheel uses directly
(``gunicorn -c python:irritants.gunicorn_conf irritants.wsgi:app``). The worker model and the hooks are described there.
"""

from irritants.gunicorn_conf import (
    access_log_format,
    accesslog,
    child_exit,
    keepalive,
    logger_class,
    on_exit,
    on_starting,
    threads,
    workers,
)

__all__ = [
    "access_log_format",
    "accesslog",
    "child_exit",
    "keepalive",
    "logger_class",
    "on_exit",
    "on_starting",
    "threads",
    "workers",
]
