"""The outbox: mails and webhook calls queued in the transaction of the decision that causes them, delivered at
least once by a background job (``irritants send-mail`` for cron), retried with back-off.

A feature queues with ``services.queue_mail`` / ``services.queue`` and, for a kind of its own, registers a transport
(``transports.register_transport``). This package imports only the shared layer: domains call it, never the reverse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register the built-in mail transport and the ``outbox`` job that every runner runs."""
    from irritants import jobs
    from irritants.outbox import sender, transports

    transports.register_transport(app, "mail", transports.send_mail, retry=transports.MAIL_RETRY)
    jobs.register(app, "outbox", lambda app: sender.send_due(app, limit=jobs.batch_size(app, sender.BATCH)).total)
