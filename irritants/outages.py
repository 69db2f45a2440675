"""One log line when a service the app can do without (Redis) stops answering, and one when it answers again.

Every request that meets the outage would otherwise write the same warning: a log flooded at the moment someone
reads it. Per process: each gunicorn worker and each ``irritants worker`` says it once.
"""

from __future__ import annotations

import logging
import threading


class Outage:
    """The state of one dependency in this process: answering, or not since the first failure."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log, self.what = log, what
        self._down = False
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self._down

    def failed(self, consequence: str) -> None:
        """A call failed: WARNING with what the app does instead, the first time only."""
        with self._lock:
            if self._down:
                return
            self._down = True
        self.log.warning("%s unavailable: %s (said once until it answers again)", self.what, consequence)

    def answered(self) -> None:
        """A call succeeded: INFO if the dependency was down."""
        if not self._down:
            return
        with self._lock:
            if not self._down:
                return
            self._down = False
        self.log.info("%s answers again", self.what)
