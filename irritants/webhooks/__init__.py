"""Webhooks: a squad's own tools hear of its irritants and backlog as they change (docs/webhooks.md).

Endpoints (``models.py``, ``services.py``), the bodies built in the transaction of the change (``payloads.py``,
``receivers.py``, listening to ``irritants.events``), signing (``signing.py``) and the secrets sealed at rest
(``sealing.py``), the address guard (``addresses.py``) and the request (``client.py``), and the outbox transport
``webhook`` that sends them (``transport.py``). The doors are ``api/webhooks.py`` and ``teams/webhooks.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Listen to the domain events, and register the outbox transport that delivers."""
    from irritants.webhooks import receivers, transport

    receivers.connect(app)
    transport.register(app)
