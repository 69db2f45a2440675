"""Static public pages (accessibility statement, legal notices…) and health probes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The static pages, the API's human documentation and the health probes."""
    from irritants.pages import views

    app.register_blueprint(views.bp)
