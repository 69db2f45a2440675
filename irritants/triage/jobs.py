"""Triage's background work: the daily regression alarm (``regressions.check_regressions``), run by every runner
through the daily-job registry of ``irritants/jobs.py`` (once a day across processes and machines), as
``irritants check-regressions`` runs it for cron."""

from __future__ import annotations

from flask import Flask

from irritants.db import get_db
from irritants.french import today
from irritants.settings import settings_of
from irritants.triage import regressions

DAILY_JOB = "check-regressions"
AT_HOUR = 5  # Paris time: before the squads' day starts, after the night's reports


def check_regressions(app: Flask) -> int:
    """One run of the alarm, in its own transaction; returns how many irritants it marked regressed."""
    with get_db(app).session_scope() as session:
        marked = regressions.check_regressions(session, settings_of(app).fix_effect, today())
        session.commit()
    return len(marked)
