"""``irritants opendata --output DIR``: write the open dataset's files into a directory (cron, or by hand)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from irritants.db import get_db
from irritants.french import plural
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
    from irritants.settings import settings_of

    today = day.date() if day else paris_today()
    with get_db().read_sessions() as session:
        found = files.build(
            session, settings_of(current_app).fix_effect, today=today, public_url=current_app.config["PUBLIC_URL"]
        )
    written = files.write(found, output)
    irritants = found.files["irritants.csv"].count(b"\n") - 1
    weeks = found.files["signalements.csv"].count(b"\n") - 1
    click.echo(
        f"{plural(len(written), 'fichier écrit', 'fichiers écrits')} dans {output} (données du "
        f"{today:%d/%m/%Y}) : {plural(irritants, 'irritant', 'irritants')}, "
        f"{plural(weeks, 'ligne', 'lignes')} de signalements par semaine."
    )


COMMANDS = (opendata,)
