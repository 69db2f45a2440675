"""The squads' own back-office: what agents see of a start-up d'État (« mon équipe », its board, product backlog and
progress charts) and the forms that create and edit squads and their members; and the managers' dashboard of the
whole service (``dashboard.py``), the agents' other read of the squads' work.

A door, like ``public/`` and ``api/``: it reads and writes through the services of triage (which propagates an
item's progress to its irritants), squads and auth, asks the policy before every write, and nothing imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """The agents' pages of squads (each module of this package holds one blueprint)."""
    from irritants.teams import (
        accounts,
        backlog_file,
        board,
        dashboard,
        exports,
        items,
        sprints,
        squad_admin,
        webhooks,
    )

    for module in (board, items, sprints, squad_admin, accounts, backlog_file, webhooks, exports, dashboard):
        app.register_blueprint(module.bp)
