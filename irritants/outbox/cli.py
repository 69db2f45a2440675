"""Commands of the outbox: send-mail (what is due, for cron or by hand), outbox (what waits, what died)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from irritants.db import get_db
from irritants.french import number, plural


@click.command("send-mail")
@click.option("--limit", type=click.IntRange(1, 100_000), default=None, help="Send at most this many messages.")
@with_appcontext
def send_mail_command(limit: int | None) -> None:
    """Deliver the mails and webhook calls that are due (the background job does the same; use it from cron
    when no runner is up). Idempotent: a message is claimed before it is sent, never sent by two senders."""
    from irritants.outbox import sender, services

    app = current_app._get_current_object()
    with get_db().read_sessions() as session:
        due = services.due_count(session)
    total = min(due, limit) if limit else due
    tally = sender.Tally()
    with tqdm(total=total, desc="Messages", unit=" msg", file=sys.stderr, disable=total < 20) as bar:
        while limit is None or tally.total < limit:
            batch = sender.BATCH if limit is None else min(sender.BATCH, limit - tally.total)
            done = sender.send_due(app, limit=batch)
            if not done.total:
                break
            tally.add(done)
            bar.update(done.total)
    click.echo(
        f"{plural(tally.sent, 'message envoyé', 'messages envoyés')}, "
        f"{number(tally.retried)} à réessayer plus tard, "
        f"{plural(tally.dead, 'abandonné', 'abandonnés')}."
    )


@click.command("outbox")
@with_appcontext
def outbox_command() -> None:
    """List the messages by topic and state: to send, being sent, sent, given up (dead)."""
    from irritants.outbox import services
    from irritants.outbox.models import DELIVERY_LABELS

    with get_db().read_sessions() as session:
        rows = services.summary(session)
    if not rows:
        click.echo("Aucun message.")
        return
    width = max(len(row.topic) for row in rows)
    for row in rows:
        click.echo(f"{row.topic:<{width}}  {DELIVERY_LABELS[row.status]:<16}  {number(row.count)}")


COMMANDS = (send_mail_command, outbox_command)
