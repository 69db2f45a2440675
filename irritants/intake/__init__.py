"""Citizen intake: reports, submission (one path for the form and the API), anti-abuse, personal data screening
and redaction. Its doors are the citizen pages (``public/``) and the API."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to plug in: intake's doors are the citizen pages and the API, its commands are listed in ``DOMAINS``."""
