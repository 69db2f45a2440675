"""Commands of the messages: tell-status (compose the status messages that are due) and send-digest (the agents'
daily digest now), for cron or by hand."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from irritants.french import plural


@click.command("tell-status")
@with_appcontext
def tell_status_command() -> None:
    """Compose the status messages that are due (changes older than MAIL_GROUP_MINUTES) into the outbox, one mail
    per person, and forward the reports of irritants routed elsewhere; then `irritants send-mail` delivers them.
    The background job does the same; run this from cron when no runner is up. Idempotent."""
    from irritants.notify import grouping, jobs

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    told = grouping.Told()
    while True:
        batch = jobs.tell_batch(app)
        if not batch.clusters:
            break
        told = grouping.Told(told.clusters + batch.clusters, told.mails + batch.mails, told.forwarded + batch.forwarded)
    click.echo(
        f"{plural(told.clusters, 'irritant', 'irritants')} : "
        f"{plural(told.mails, 'message mis', 'messages mis')} en file, "
        f"{plural(told.forwarded, 'signalement transmis', 'signalements transmis')} au service compétent."
    )


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


COMMANDS = (tell_status_command, send_digest_command)
