"""Triage: product owners' decisions over irritants (workflow, merges and splits, back-office, reply templates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The product owners' back-office (its reply templates' pages included: see ``backoffice.py``), the receiver
    that carries backlog items' progress to their irritants (``propagation.py``), and the daily regression alarm
    (``jobs.py``)."""
    from irritants import periodic
    from irritants.triage import backoffice, propagation
    from irritants.triage import jobs as triage_jobs

    app.register_blueprint(backoffice.bp)
    propagation.connect()
    periodic.register_daily(app, triage_jobs.DAILY_JOB, triage_jobs.check_regressions, at_hour=triage_jobs.AT_HOUR)
