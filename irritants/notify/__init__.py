"""Messages to citizens about their reports, each queued in the outbox in the transaction of what it tells (a domain
event's receiver): the acknowledgement of a new report (``acknowledgement.py``); and to agents: the daily digest of
new irritants (``digest.py``, « Mes notifications »)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Connect the receivers of ``app``'s messages to the domain events."""
    from irritants import jobs
    from irritants.notify import acknowledgement, digest, views

    acknowledgement.connect(app)
    app.register_blueprint(views.bp)
    jobs.register_daily(app, "digest", lambda app: digest.send_digests(app), at_hour=7)
