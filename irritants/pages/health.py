"""Readiness check: database reachable and migrated to head."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from irritants.db import Database
from irritants.migrate import head_revision


def readiness(database: Database) -> dict[str, Any]:
    """``{"status": "ok"|"unavailable", "database": ..., "migrations": ...}`` without raising."""
    try:
        with database.engine.connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return {"status": "unavailable", "database": "unreachable or not migrated", "migrations": None}
    head = head_revision()
    at_head = current == head
    return {
        "status": "ok" if at_head else "unavailable",
        "database": "ok",
        "migrations": {"current": current, "head": head, "at_head": at_head},
    }
