"""Messages to citizens about their reports, each queued in the outbox in the transaction of what it tells (a domain
event's receiver): the acknowledgement of a new report (``acknowledgement.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Connect the receivers of ``app``'s messages to the domain events."""
    from irritants.notify import acknowledgement

    acknowledgement.connect(app)
