"""Agents: accounts, roles, sign-in (local and ProConnect), API tokens and the authorisation policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The ProConnect client (when configured), the sign-in pages and the daily purge of deactivated accounts. Who
    is asking is bound for every request by the app's web stack (``auth.access``, before the rate limits)."""
    from irritants import periodic
    from irritants.auth import oidc, retention, views

    oidc.init_app(app)
    app.register_blueprint(views.bp)
    periodic.register_daily(app, retention.DAILY_JOB, retention.purge_job, at_hour=retention.AT_HOUR)
