"""Citizens' personal data over time: the daily purge past retention and the erasure of one citizen on request."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to plug in: privacy acts through its commands (``DOMAINS`` lists them), run by cron."""
