"""Agents: accounts, roles, sign-in (local and ProConnect), API tokens and the authorisation policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The ProConnect client (when configured) and the sign-in pages. Who is asking is bound for every request by the
    app's web stack (``auth.access``, before the rate limits)."""
    from irritants.auth import oidc, views

    oidc.init_app(app)
    app.register_blueprint(views.bp)
