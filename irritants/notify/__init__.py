"""Messages to citizens about what happened: status notices grouped per person, unsubscribing.

Domains never call this package: it listens to the domain events of ``irritants/events.py`` (in the decision's
transaction) and writes what is to be told; the ``notices`` job (grouping.py) composes the mails and queues them in
the outbox, which delivers them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Connect the receivers (once per process: blinker signals are global, and receivers write in the session that
    sent the event) and register the ``notices`` job, which every runner runs before the outbox's."""
    from irritants import events, jobs
    from irritants.notify import jobs as notices
    from irritants.notify import status_notices

    events.status_changed.connect(status_notices.record_status_change, weak=False)
    jobs.register(app, "notices", notices.tell_due_notices)
