"""Messages to citizens about what happened: status notices grouped per person, unsubscribing.

Domains never call this package: it listens to the domain events of ``irritants/events.py`` (in the decision's
transaction) and writes what is to be told; the grouping job composes and queues the mails through the outbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Connect the receivers (once per process: blinker signals are global, receivers write in the sender session)."""
    from irritants import events
    from irritants.notify import status_notices

    events.status_changed.connect(status_notices.record_status_change, weak=False)
