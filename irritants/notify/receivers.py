"""Connecting one app's mail to a domain event sent in a transaction (session as sender)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from blinker import NamedSignal
from flask import Flask
from sqlalchemy.orm import Session

from irritants.db import get_db


def connect_for_app(app: Flask, signal: NamedSignal, key: str, handle: Callable[..., None]) -> None:
    """Call ``handle(session, app, **arguments)`` on ``signal`` for ``app``'s database only (several apps may live in
    one process, each with its own settings)."""
    engine = get_db(app).engine

    def receiver(session: Session, **arguments: Any) -> None:
        if session.get_bind() is engine:
            handle(session, app, **arguments)

    app.extensions[key] = receiver  # the signal holds it weakly: the app keeps it alive
    signal.connect(receiver)
