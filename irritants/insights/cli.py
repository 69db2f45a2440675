"""Command: ``insights rebuild`` (the dashboard's daily rollups, recomputed from the reports)."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from irritants.db import get_db
from irritants.french import number
from irritants.progress import StageBars


@click.group("insights")
def insights_group() -> None:
    """Figures of the managers' dashboard and the public statistics."""


@insights_group.command("rebuild")
@click.option("--check", is_flag=True, help="Only compare the rollups with the reports (exit 1 if they differ).")
@with_appcontext
def rebuild_command(check: bool) -> None:
    """Recompute report_days and cluster_days from the reports, in one transaction (idempotent).

    Not needed in normal operation: triggers on the reports keep them current, and migration 0020 filled them.
    """
    from irritants.insights import rollup

    with get_db().session_scope() as session:
        if check:
            if not rollup.check_rollup(session):
                raise click.ClickException(
                    "Les agrégats diffèrent des signalements : lancez « irritants insights rebuild »."
                )
            click.echo("Les agrégats quotidiens correspondent aux signalements.")
            return
        started = time.monotonic()
        with StageBars() as bars:
            rows = rollup.rebuild(session, progress=bars)
        session.commit()
    click.echo(f"Agrégats quotidiens recalculés : {number(rows)} lignes en {number(time.monotonic() - started, 1)} s.")


COMMANDS = (insights_group,)
