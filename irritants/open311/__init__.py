"""Open311 GeoReport v2 under ``/open311/v2/`` (docs/open311.md): a door for civic apps and partners' services.

``views.py`` (routes), ``catalogue.py`` (services and their definitions), ``submission.py`` (an Open311 form read into
the report form's fields, the département located), ``queries.py`` (published reports as service requests) and
``rendering.py`` (XML and JSON, and the ``<errors>`` list every error under ``/open311/`` is rendered as).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

PREFIX = "/open311/"


def init_app(app: Flask) -> None:
    """Register the blueprint (key-authenticated, so outside CSRF like the API) and the door's error format."""
    from irritants.errors import register_error_format
    from irritants.extensions import csrf
    from irritants.open311 import rendering, views

    app.register_blueprint(views.bp)
    csrf.exempt(views.bp)
    register_error_format(app, PREFIX, rendering.render_errors)
