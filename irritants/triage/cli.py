"""Commands: check-regressions (daily)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from irritants.db import get_db
from irritants.french import plural
from irritants.progress import StageBars


def _day(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"date AAAA-MM-JJ attendue (reçu « {value} »)", param_hint="--today") from exc


@click.command("check-regressions")
@click.option(
    "--today", "today_value", metavar="AAAA-MM-JJ", default=None, help="Check as of this day (default: today)."
)
@with_appcontext
def check_regressions_command(today_value: str | None) -> None:
    """Mark « regressed » every fixed irritant whose weekly inflow is clearly back above its pre-fix level for the last
    two weeks (docs/fix-effect.md). Idempotent: run it daily."""
    from irritants.french import today
    from irritants.settings import settings_of
    from irritants.triage import regressions

    day = _day(today_value) or today()
    bars = StageBars()
    with get_db().session_scope() as session:
        try:
            marked = regressions.check_regressions(session, settings_of(current_app).fix_effect, day, progress=bars)
        finally:
            bars.close()
        session.commit()
    if marked:
        listed = ", ".join(f"n° {i}" for i in marked)
        click.echo(f"{plural(len(marked), 'irritant marqué', 'irritants marqués')} « réapparu » : {listed}.")
    else:
        click.echo("Aucun irritant corrigé n’est réapparu.")


COMMANDS: tuple[Any, ...] = (check_regressions_command,)
