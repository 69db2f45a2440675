"""What the processes read before any app is built: how gunicorn's master writes logs and counts metrics, and the
worker model (how many processes and threads) for the configured database."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from irritants.config.declared import (
    CONFIGS,
    ENV_PREFIX,
    MULTIPROC_VARIABLE,
    BaseConfig,
    ConfigurationError,
    declarations,
    read_setting,
)
from irritants.setting_types import parse
from irritants.settings import LogFormat, LogSettings


def log_settings(environ: Mapping[str, str] | None = None) -> LogSettings:
    """How to write log lines, read before any app is built (gunicorn's logger class, in the master process): the
    environment's class default, overridden by IRRITANTS_LOG_FORMAT and IRRITANTS_LOG_LEVEL."""
    env = os.environ if environ is None else environ
    cls = CONFIGS.get(env.get("IRRITANTS_ENV", "development"), BaseConfig)
    declared = declarations()
    values = {}
    for name in ("LOG_FORMAT", "LOG_LEVEL"):
        raw = env.get(ENV_PREFIX + name)
        values[name] = read_setting(ENV_PREFIX + name, declared[name], parse, raw) if raw else getattr(cls, name)
    return LogSettings(format=values["LOG_FORMAT"], level=values["LOG_LEVEL"])


METRICS_DIR_PREFIX = "irritants-metrics-"


def prepare_gunicorn_environment() -> Path:
    """What the gunicorn master sets before any worker starts (workers inherit its environment): JSON log lines
    unless IRRITANTS_LOG_FORMAT says otherwise, the text model on one thread per worker
    (IRRITANTS_EMBEDDING_THREADS), and the folder of prometheus_client's multiprocess mode:
    PROMETHEUS_MULTIPROC_DIR when given, else a fresh temporary folder (``made_for_this_run``: gunicorn_conf's
    ``on_exit`` removes it)."""
    os.environ.setdefault(f"{ENV_PREFIX}LOG_FORMAT", LogFormat.JSON.value)
    # Each worker is one of several single-threaded processes sharing the cores: its text model (the similar search as
    # citizens type, the placing of new reports) computes on one OpenMP thread. With one thread per core in every
    # worker, the threads of two or three workers spin waiting for each other: the similar search then cost 370–660 ms
    # of CPU instead of 40 (docs/load-test.md).
    os.environ.setdefault(f"{ENV_PREFIX}EMBEDDING_THREADS", "1")
    if MULTIPROC_VARIABLE not in os.environ:
        os.environ[MULTIPROC_VARIABLE] = tempfile.mkdtemp(prefix=METRICS_DIR_PREFIX)
    return Path(os.environ[MULTIPROC_VARIABLE])


def made_for_this_run(folder: Path) -> bool:
    """Whether the metrics folder is a temporary one made by ``prepare_gunicorn_environment``."""
    return folder.parent == Path(tempfile.gettempdir()) and folder.name.startswith(METRICS_DIR_PREFIX)


@dataclass(frozen=True)
class WebServer:
    """How many gunicorn processes and threads serve the web app (read by ``gunicorn.conf.py``)."""

    workers: int
    threads: int
    reason: str


def web_server(environ: Mapping[str, str] | None = None) -> WebServer:
    """The worker model for the configured database; ``WORKERS`` and ``THREADS`` override it.

    SQLite has one writer at a time: two single-threaded processes (sync workers), whose writers take turns through
    the database's turn file (irritants.db.WriterQueue), keep the tail latency of writes that of a bare app; threads
    in a process interleave their requests under the interpreter lock and stretch it. PostgreSQL takes concurrent
    writers: three single-threaded processes, so that while one waits for its commit to reach the disk the others
    compute (measured with scripts/bench_intake.py on 2 cores: the best tail of 2 × 4, 2 × 2 and 3 × 1).
    Rate-limit counters are shared by all processes (Redis, or the instance's counters file), so any number of
    workers keeps the limits exact — except ``memory://`` counters, which count per process and are refused with
    more than one worker.
    """
    env = os.environ if environ is None else environ
    url = env.get("IRRITANTS_DATABASE_URL") or "sqlite:"  # unset: the instance folder's SQLite file
    if url.startswith("sqlite"):
        workers, threads, reason = 2, 1, "SQLite : deux processus à un fil, qui écrivent chacun à leur tour"
    else:
        workers, threads, reason = 3, 1, "PostgreSQL : trois processus à un fil, qui écrivent en même temps"
    workers = int(env.get("WORKERS") or workers)
    threads = int(env.get("THREADS") or threads)
    if workers < 1 or threads < 1:
        raise ConfigurationError("WORKERS et THREADS doivent valoir au moins 1.")
    if workers > 1 and env.get("IRRITANTS_RATELIMIT_STORAGE_URI", "").startswith("memory://"):
        raise ConfigurationError(
            "IRRITANTS_RATELIMIT_STORAGE_URI=memory:// compte par processus : avec plusieurs processus (WORKERS), "
            "les limites seraient multipliées. Laissez la valeur par défaut (fichier de compteurs partagé) ou Redis."
        )
    return WebServer(workers, threads, reason)
