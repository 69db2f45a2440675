"""Exports of reports, irritants and squads for the dashboard's filters, in CSV, XLSX and Parquet (docs/exports.md).

``tables.py`` reads the rows in chunks as DataFrames, ``writers.py`` writes the three formats (formula injection
neutralised), ``services.py`` queues the large ones for the background (``jobs.py``) and keeps their files for a
while; the doors (``teams/exports.py``, the ``export`` command in ``cli.py``) stream the small ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The background job that builds queued exports, and the daily purge of expired files."""
    from irritants import jobs, periodic
    from irritants.exports import jobs as export_jobs

    jobs.register(app, "exports", export_jobs.build_next)
    periodic.register_daily(app, "exports-purge", export_jobs.purge_expired, at_hour=3)
