"""Squads (start-ups d'État), their members, sprints and backlog items."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to plug in yet: squads are managed through their commands."""
