"""Durable background jobs for work tied to no row (a re-clustering; an export or any other kind later).

Row-tied work keeps its own queue in its rows (reports without an irritant, the outbox, export requests); this
package is the queue of the rest, in the table ``background_jobs`` (``models.py``): states pending → running →
done, or failed (tried again after a back-off) → dead after ``max_attempts``; a lease renewed by heartbeats so that a
job whose runner was killed is taken again; claims safe across machines (``queue.py``). A domain registers a kind
(``registry.register_kind``) and queues jobs of it (``queue.enqueue``, then ``jobs.wake``); every runner of
``irritants.jobs`` (the web processes' thread, ``irritants worker``) runs them through ``jobs.register``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Every runner of ``app`` runs the due background jobs of the kinds registered on it, one per batch."""
    from irritants import jobs
    from irritants.background.queue import run_next

    jobs.register(app, "background", run_next)
