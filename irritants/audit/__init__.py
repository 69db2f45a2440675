"""Append-only audit log: who changed what, when, from what to what, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to plug in: every domain records its events through ``audit.services.record``."""
