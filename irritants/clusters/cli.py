"""Commands: recluster, rerank, process-pending, cluster-file, worker."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from tqdm import tqdm

from irritants.db import get_db
from irritants.french import number, plural
from irritants.progress import StageBars


@click.command("recluster")
@click.option("--seed", type=int, default=None, help="Random seed (default: IRRITANTS_CLUSTERING_SEED).")
@with_appcontext
def recluster_command(seed: int | None) -> None:
    """Re-cluster every report from stored vectors and swap the result in one transaction (idempotent)."""
    from irritants.clusters import recluster
    from irritants.clusters.recluster_job import reclustered

    started = time.monotonic()
    bars = StageBars()
    try:
        result = reclustered(current_app._get_current_object(), seed=seed, progress=bars)
    except recluster.ReclusterRunning as exc:
        raise click.ClickException(exc.detail) from exc
    finally:
        bars.close()
    click.echo(
        f"{plural(result['reports'], 'signalement', 'signalements')} "
        f"en {plural(result['clusters'], 'irritant', 'irritants')} "
        f"({plural(result['kept'], 'conservé', 'conservés')}, {plural(result['created'], 'nouveau', 'nouveaux')}, "
        f"{plural(result['emptied'], 'vide supprimé', 'vides supprimés')}, "
        f"{plural(result['vectorised'], 'vecteur calculé', 'vecteurs calculés')}) "
        f"en {number(time.monotonic() - started, 1)} s."
    )


@click.command("rerank")
@with_appcontext
def rerank_command() -> None:
    """Recompute every cluster's statistics and explainable score."""
    from irritants.clusters import stats
    from irritants.settings import settings_of

    with get_db().session_scope() as session:
        count = stats.refresh(session, settings_of(current_app).ranking.weights)
        session.commit()
    click.echo(f"{plural(count, 'irritant reclassé', 'irritants reclassés')}.")


@click.command("process-pending")
@with_appcontext
def process_pending_command() -> None:
    """Cluster reports that no job handled yet (e.g. after a crash), one by one."""
    from irritants.clusters.jobs import BATCH_SIZE, process_report
    from irritants.intake.models import Report

    with get_db().session_scope() as session:
        pending = list(session.scalars(select(Report.id).where(Report.cluster_id.is_(None)).order_by(Report.id)))
    placed = 0
    with tqdm(total=len(pending), desc="Signalements", file=sys.stderr, unit=" sig.") as bar:
        for start in range(0, len(pending), BATCH_SIZE):
            chunk = pending[start : start + BATCH_SIZE]
            placed += process_report(current_app._get_current_object(), *chunk)
            bar.update(len(chunk))
    placed_text = plural(placed, "signalement rattaché", "signalements rattachés")
    click.echo(f"{placed_text} à un irritant sur {number(len(pending))} en attente.")


@click.command("worker")
@click.option(
    "--poll-seconds",
    type=click.FloatRange(min=0.05),
    default=None,
    help="Look for pending work at least this often (default: 30 s; woken at once through Redis when configured).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default=None,
    help="Least level of the lines written (default: IRRITANTS_LOG_LEVEL); INFO logs each batch: the reports "
    "encoded, the placement turn.",
)
@with_appcontext
def worker_command(poll_seconds: float | None, log_level: str | None) -> None:
    """Run the background jobs (JOBS_MODE=worker): any number of workers share the work safely."""
    import dataclasses

    from irritants import logs
    from irritants.jobs import IDLE_POLL_SECONDS, run_worker
    from irritants.settings import LogLevel, settings_of

    # The app's log lines (IRRITANTS_LOG_FORMAT), whatever the environment: a worker is a process of its own.
    configured = settings_of(current_app).logging
    logs.configure(dataclasses.replace(configured, level=LogLevel(log_level) if log_level else configured.level))
    click.echo("Worker démarré (Ctrl+C pour arrêter).")
    run_worker(
        current_app._get_current_object(),
        current_app.config.get("REDIS_URL"),
        poll_seconds=IDLE_POLL_SECONDS if poll_seconds is None else poll_seconds,
    )


@click.command("cluster-file")
@click.argument("input_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--text-column", default="text", show_default=True)
@click.option("--output", "output_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--label-column", default=None, help="Compare with these labels: prints ACC, NMI and ARI.")
@click.option("--n-clusters", type=click.IntRange(1, 100_000), default=None, help="Number of clusters (else found).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--encoder", type=click.Choice(["auto", "embedding", "tfidf"]), default="auto", show_default=True)
def cluster_file_command(
    input_path: Path,
    text_column: str,
    output_path: Path,
    label_column: str | None,
    n_clusters: int | None,
    seed: int,
    encoder: str,
) -> None:
    """Cluster any CSV without touching the database; writes every row plus cluster_id and cluster_label."""
    import numpy as np
    import pandas as pd

    from irritants.clustering import cluster_vectors, describe, get_encoder, scores

    frame = pd.read_csv(input_path, dtype=str, keep_default_na=False)
    if text_column not in frame.columns:
        raise click.ClickException(f"colonne « {text_column} » absente (colonnes : {', '.join(frame.columns)})")
    texts = frame[text_column].tolist()
    model = get_encoder(encoder)
    if hasattr(model, "fit"):
        model.fit(texts)
    started = time.monotonic()
    with tqdm(total=len(texts), desc="Vecteurs", file=sys.stderr, unit=" textes") as bar:
        vectors = model.encode(texts, progress=lambda done, total: bar.update(done - bar.n))
    encoded = time.monotonic()
    labels = cluster_vectors(vectors, seed=seed, n_clusters=n_clusters)
    summaries = {s.cluster: s for s in describe(texts, vectors, labels)}
    frame["cluster_id"] = labels
    frame["cluster_label"] = [summaries[int(c)].label for c in labels]
    frame.to_csv(output_path, index=False)
    click.echo(
        f"{plural(len(texts), 'texte', 'textes')}, {plural(len(summaries), 'groupe', 'groupes')} ({model.name}) ; "
        f"vecteurs {number(encoded - started, 1)} s, regroupement {number(time.monotonic() - encoded, 1)} s "
        f"→ {output_path}"
    )
    if label_column:
        if label_column not in frame.columns:
            raise click.ClickException(f"colonne « {label_column} » absente")
        result = scores(np.asarray(frame[label_column].tolist()), labels)
        click.echo("  ".join(f"{k.upper()} {v * 100:.1f}" for k, v in result.items()))


COMMANDS = (recluster_command, rerank_command, process_pending_command, worker_command, cluster_file_command)
