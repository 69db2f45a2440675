"""Commands of the agents' messages: send-digest (the daily digest now, for cron or by hand)."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from irritants.french import plural


@click.command("send-digest")
@click.option(
    "--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Day covered (default: yesterday)."
)
@with_appcontext
def send_digest_command(day: dt.datetime | None) -> None:
    """Queue the daily digest of a day's new irritants for subscribed agents (idempotent: once per agent and day)."""
    from irritants import jobs
    from irritants.notify import digest

    app = current_app._get_current_object()
    queued = digest.send_digests(app, day.date() if day else None)
    jobs.wake(app)
    click.echo(f"{plural(queued, 'résumé mis', 'résumés mis')} en file d'envoi.")


COMMANDS = (send_digest_command,)
