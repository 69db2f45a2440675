"""The process-wide embedding model: loaded in the background as soon as a web worker starts, never by a request.

A request that needs the model before it is ready gets ``None`` at once (``/api/v1/similar`` then says "not ready"
with a 503 and Retry-After); background jobs and CLI commands wait for it. ``create_app`` calls
:func:`init_app`, which starts the load in processes that serve requests (a WSGI server's worker, ``flask run``)
but not in tests nor CLI commands. A gunicorn configuration that preloads the app in its master must set
``IRRITANTS_PRELOAD_ENCODER=false`` and call :func:`start_loading` from its ``post_worker_init`` hook instead: the
model's OpenMP threads do not survive a fork.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import click
from flask import Flask
from flask.cli import get_debug_flag
from werkzeug.serving import is_running_from_reloader

from irritants.clustering import EmbeddingEncoder, Encoder, embedding_available
from irritants.settings import ClusteringEncoder, ClusteringSettings, settings_of

log = logging.getLogger(__name__)

# After a failed load (package missing, unreadable model file), requests do not start another one before this.
RETRY_AFTER_FAILURE_SECONDS = 60.0
WARM_UP_TEXT = "Mon dossier est bloqué depuis trois mois."


def encoder_kind(clustering: ClusteringSettings) -> ClusteringEncoder:
    """The configured encoder, "auto" resolved: embeddings when the model is installed, else TF-IDF."""
    if clustering.encoder == ClusteringEncoder.AUTO:
        return ClusteringEncoder.EMBEDDING if embedding_available() else ClusteringEncoder.TFIDF
    return clustering.encoder


def _embedding_encoder(threads: int) -> Encoder:
    return EmbeddingEncoder(threads=threads or None)


class EncoderLoader:
    """Builds one encoder once per process, in a daemon thread or in the caller's; ``ready`` is set once it is."""

    def __init__(self, factory: Callable[[int], Encoder] = _embedding_encoder) -> None:
        self.factory = factory
        self._reset()

    def _reset(self) -> None:
        self.ready = threading.Event()
        self._encoder: Encoder | None = None
        self._load_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failed_at: float | None = None

    def start(self, threads: int) -> None:
        """Start loading in a daemon thread unless loaded, loading, or failed a moment ago; returns at once."""
        with self._start_lock:
            if self.ready.is_set() or (self._thread is not None and self._thread.is_alive()):
                return
            if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_AFTER_FAILURE_SECONDS:
                return
            self._thread = threading.Thread(
                target=self._load_quietly, args=(threads,), name="irritants-model", daemon=True
            )
            self._thread.start()

    def get(self, threads: int, *, wait: bool) -> Encoder | None:
        """The encoder; with ``wait=False``, None at once while it loads (and the load is started if it was not)."""
        if self.ready.is_set():
            return self._encoder
        if not wait:
            self.start(threads)
            return None
        return self._load(threads)

    def _load(self, threads: int) -> Encoder:
        with self._load_lock:
            if self._encoder is None:
                started = time.monotonic()
                encoder = self.factory(threads)
                # The first text pays for reading the model's pages and starting its threads: not a citizen's.
                encoder.encode([WARM_UP_TEXT])
                self._encoder = encoder
                self._failed_at = None
                self.ready.set()
                log.info("text encoder %s ready in %.1f s", encoder.name, time.monotonic() - started)
            return self._encoder

    def _load_quietly(self, threads: int) -> None:
        try:
            self._load(threads)
        except Exception:
            self._failed_at = time.monotonic()
            log.exception("the text encoder could not be loaded; similar irritants stay unavailable")

    def after_fork(self) -> None:
        """In a forked child: start afresh (a parent's loading thread and locks, and OpenMP threads, are gone)."""
        self._reset()


loader = EncoderLoader()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: loader.after_fork())


def start_loading(app: Flask) -> None:
    """Start loading this process's encoder in the background when the app uses embeddings (e.g. from gunicorn's
    ``post_worker_init``); returns at once, and does nothing if it is loaded or loading already."""
    clustering = settings_of(app).clustering
    if encoder_kind(clustering) == ClusteringEncoder.EMBEDDING:
        loader.start(clustering.embedding_threads)


def serving_process() -> bool:
    """True unless this process runs a CLI command other than the development server's serving child."""
    context = click.get_current_context(silent=True)
    if context is None:
        return True  # imported by a WSGI server (a gunicorn worker), not by a command
    if context.info_name != "run":
        return False  # `irritants recluster`, `--help`…: commands that need the model load it themselves
    reload = context.params.get("reload")
    if reload is None:
        reload = get_debug_flag()
    return not reload or is_running_from_reloader()  # the reloader's watcher serves nothing


def init_app(app: Flask) -> None:
    """Start loading the encoder at app creation in processes that serve requests (``PRELOAD_ENCODER``)."""
    if app.config["PRELOAD_ENCODER"] and serving_process():
        start_loading(app)
