"""``irritants jobs``: what waits, runs, failed or died in every queue — the background jobs (``background_jobs``)
and the queues kept in their own rows (reports waiting for their irritant, the outbox, exports) — the same reading as
/metrics; ``irritants jobs retry ID`` puts a dead job back."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from irritants.db import get_db
from irritants.french import number, plural, to_paris_time

EXPORT_WORDS = {"queued": "en attente", "running": "en préparation", "failed": "en échec"}


@click.group("jobs", invoke_without_command=True)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="Travaux listés au plus.")
@click.pass_context
@with_appcontext
def jobs_group(ctx: click.Context, limit: int) -> None:
    """List pending, running, failed and dead work: background jobs, then the queues kept in rows."""
    if ctx.invoked_subcommand is not None:
        return
    from irritants.background import queue
    from irritants.background.models import JobState
    from irritants.monitoring.services import read_backlog
    from irritants.outbox.models import DELIVERY_LABELS, Delivery

    with get_db().read_sessions() as session:
        listed = queue.jobs_in(
            session, (JobState.PENDING, JobState.RUNNING, JobState.FAILED, JobState.DEAD), limit=limit
        )
        backlog = read_backlog(session)
    click.echo("Travaux en arrière-plan")
    if not listed:
        click.echo("  aucun en attente, en cours, en échec ni abandonné.")
    for job in listed:
        line = f"  n° {job.id}  {job.kind:<12} {job.state_label.lower():<25} essai {job.attempts}/{job.max_attempts}"
        if job.state.value == "running":
            line += f"  par {job.claimed_by}, bail jusqu'à {to_paris_time(job.locked_until):%H:%M:%S}"
            if job.progress:
                line += f"  ({job.progress.get('stage')} {job.progress.get('done')}/{job.progress.get('total')})"
        elif job.state.value in ("pending", "failed"):
            line += f"  à partir de {to_paris_time(job.run_after):%d/%m %H:%M:%S}"
        if job.last_error:
            line += f"  — {job.last_error}"
        if job.created_by_id:
            line += f"  (demandé par l'agent n° {job.created_by_id})"
        click.echo(line)
    click.echo("Signalements en attente d'un irritant")
    click.echo(
        f"  {plural(backlog.unplaced, 'signalement', 'signalements')}, "
        f"le plus ancien depuis {number(backlog.clustering_lag_seconds, 0)} s"
    )
    click.echo("Messages (courriels, webhooks)")
    shown = [(key, count) for key, count in sorted(backlog.outbox.items()) if count]
    if not shown:
        click.echo("  aucun à envoyer ni abandonné.")
    for (kind, status), count in shown:
        click.echo(f"  {kind:<8} {DELIVERY_LABELS[Delivery(status)]:<17} {number(count)}")
    click.echo("Exports")
    exports = [(state, count) for state, count in sorted(backlog.exports.items()) if count]
    if not exports:
        click.echo("  aucun en attente, en préparation ni en échec.")
    for state, count in exports:
        click.echo(f"  {EXPORT_WORDS.get(state, state):<17} {number(count)}")


@jobs_group.command("retry")
@click.argument("job_id", type=click.IntRange(1, 2**31 - 1))
@with_appcontext
def retry_command(job_id: int) -> None:
    """Put a dead (or failed) background job back in the queue, its attempts at 0."""
    from flask import current_app

    from irritants import jobs
    from irritants.background import queue
    from irritants.errors import IrritantsError

    with get_db().session_scope() as session:
        try:
            job = queue.retry(session, job_id)
            session.commit()
        except IrritantsError as exc:
            raise click.ClickException(exc.detail) from exc
    jobs.wake(current_app._get_current_object())
    click.echo(f"Travail n° {job.id} ({job.kind}) remis en attente.")


COMMANDS = (jobs_group,)
