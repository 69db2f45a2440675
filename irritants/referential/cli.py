"""Command: load-reference (départements, administrations, démarches, channels)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from irritants.db import get_db
from irritants.french import plural


@click.command("load-reference")
@with_appcontext
def load_reference() -> None:
    """Load or refresh départements, administrations, démarches and channels (idempotent)."""
    from irritants.referential.services import load_reference_data

    with get_db().session_scope() as session:
        counts = load_reference_data(session)
        session.commit()
    words = {
        "territories": ("territoire", "territoires"),
        "administrations": ("administration", "administrations"),
        "procedures": ("démarche", "démarches"),
        "channels": ("canal", "canaux"),
    }
    click.echo("Référentiel chargé : " + ", ".join(plural(n, *words[table]) for table, n in counts.items()) + ".")


COMMANDS = (load_reference,)
