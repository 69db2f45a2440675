"""Moderation: moderators' queue and decisions on held report texts, and citizens' abuse flags on excerpts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The moderators' queue in the back-office (citizens flag excerpts from the public pages)."""
    from irritants.moderation import views

    app.register_blueprint(views.bp)
