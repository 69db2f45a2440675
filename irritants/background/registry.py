"""The registry of job kinds, by name: a domain registers its kind from its ``init_app`` and queues jobs of it;
the runners run whatever kind their app knows (no list of kinds here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from irritants.background.queue import JobContext

_KINDS = "irritants.background.kinds"


@dataclass(frozen=True)
class JobKind:
    """A kind of job: ``run(app, context)`` does it and returns its result (JSON, no personal data).

    ``max_attempts`` tries before it is dead; ``backoff`` the wait after the first failure (doubled after each);
    ``lease`` how long a runner keeps a job without a heartbeat (every ``heartbeat``) before another takes it
    again; ``one_at_a_time``: at most one active job of the kind across every machine (a second request gets it).
    """

    name: str
    run: Callable[[Flask, JobContext], dict[str, Any] | None]
    label: str = ""
    max_attempts: int = 3
    backoff: dt.timedelta = dt.timedelta(seconds=30)
    lease: dt.timedelta = dt.timedelta(minutes=5)
    heartbeat: dt.timedelta = dt.timedelta(seconds=15)
    one_at_a_time: bool = False

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts: at least 1")
        if self.heartbeat * 2 > self.lease:
            raise ValueError("a lease must last at least two heartbeats")


def register_kind(app: Flask, kind: JobKind) -> None:
    """Let ``app``'s runners run jobs of ``kind`` (from a domain's ``init_app``)."""
    app.extensions.setdefault(_KINDS, {})[kind.name] = kind


def kinds(app: Flask) -> dict[str, JobKind]:
    """The kinds registered on ``app``, by name."""
    return dict(app.extensions.get(_KINDS, {}))
