"""``irritants opendata --output DIR``: write the open dataset's files into a directory (cron, or by hand)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from irritants.db import get_db
from irritants.french import number, plural
from irritants.french import today as paris_today


@click.command("opendata")
@click.option(
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the files into (created if needed; the dataset's files are replaced).",
)
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Build as of this Paris day (default: today): the weeks before it, the fix effects measured then.",
)
@with_appcontext
def opendata(output: Path, day: dt.datetime | None) -> None:
    """Write the anonymised open dataset: irritants.csv, signalements.csv (weekly counts, counts under 10 left out),
    their Table Schemas and datapackage.json: the bytes served under /statistiques/donnees/."""
    from irritants.opendata import files
    from irritants.opendata.dataset import SMALL_CELL
    from irritants.settings import settings_of

    today = day.date() if day else paris_today()
    with get_db().read_sessions() as session:
        found = files.build(
            session, settings_of(current_app).fix_effect, today=today, public_url=current_app.config["PUBLIC_URL"]
        )
    written = files.write(found, output)
    irritants = found.files["irritants.csv"].count(b"\n") - 1
    weeks = found.files["signalements.csv"].count(b"\n") - 1
    share = f"{100 * found.reports_shown / found.reports_counted:.0f} %" if found.reports_counted else "—"
    click.echo(
        f"{plural(len(written), 'fichier écrit', 'fichiers écrits')} dans {output} (données du "
        f"{today:%d/%m/%Y}) : {plural(irritants, 'irritant', 'irritants')}, "
        f"{plural(weeks, 'ligne', 'lignes')} de signalements par semaine."
    )
    click.echo(
        f"Semaines complètes : {number(found.reports_shown)} signalements sur {number(found.reports_counted)} "
        f"({share}) figurent dans signalements.csv ; les autres sont dans des combinaisons de moins de "
        f"{SMALL_CELL}, non publiées."
    )


COMMANDS = (opendata,)
