"""Triage: product owners' decisions over irritants (workflow, merges and splits, back-office, reply templates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The product owners' back-office (its reply templates' pages included: see ``backoffice.py``), and the
    receiver that carries backlog items' progress to their irritants (``propagation.py``)."""
    from irritants.triage import backoffice, propagation

    app.register_blueprint(backoffice.bp)
    propagation.connect()
