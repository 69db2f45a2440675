"""What managers, the public and analysts read about the whole service: figures over a period and a filter set.

``filters.py`` is the one vocabulary of those filters: the dashboard's URL, the exports (pages, API and the
``export`` command's options) and the public statistics all parse and apply the same ``InsightFilters``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to plug in yet: the doors that show these figures register their own blueprints."""
