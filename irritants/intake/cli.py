"""Commands that bring reports in without the form: demo-data (realistic French reports), import (a CSV file)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from tqdm import tqdm

from irritants.db import get_db
from irritants.events import reports_imported
from irritants.french import plural
from irritants.progress import StageBars


@click.command("demo-data")
@click.option("--reports", "n_reports", default=5000, show_default=True, type=click.IntRange(0, 10_000_000))
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--if-empty", is_flag=True, help="Do nothing when reports already exist (first run only).")
@with_appcontext
def demo_data(n_reports: int, seed: int, if_empty: bool) -> None:
    """Generate realistic French demo reports (deterministic for a seed)."""
    from irritants.intake.bulk import ReferenceMaps, insert_reports
    from irritants.intake.demo import generate_reports
    from irritants.intake.models import Report, Source

    config = current_app.config
    with get_db().session_scope() as session:
        if if_empty and session.scalar(select(func.count()).select_from(Report)):
            click.echo("Des signalements existent déjà : pas de données de démonstration ajoutées.")
            return
        maps = ReferenceMaps.load(session)
        if not maps.administrations:
            raise click.ClickException("Référentiel vide : lancez d'abord « irritants load-reference ».")
        rows = generate_reports(
            n_reports,
            seed=seed,
            administrations=maps.procedures_by_admin,
            territories=sorted(maps.territories),
            channels=sorted(maps.channels),
            now=dt.datetime.now(dt.UTC),
        )
        with tqdm(total=n_reports, desc="Signalements", unit=" sig.", file=sys.stderr) as bar:
            count = insert_reports(
                session,
                rows,
                maps,
                source=Source.DEMO,
                secret_key=config["SECRET_KEY"],
                retention_days=config["CONTACT_RETENTION_DAYS"],
                progress=bar,
            )
        session.commit()
    click.echo(f"{plural(count, 'signalement de démonstration créé', 'signalements de démonstration créés')}.")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="CHAMP=COLONNE",
    help="Map a field (description, title, administration, procedure, territory, channel, severity, "
    "feeling, occurred_on, email, external_id) to a CSV column. Repeatable.",
)
@click.option(
    "--default",
    "defaults",
    multiple=True,
    metavar="CHAMP=VALEUR",
    help="Value for rows where a field is empty, e.g. --default territory=75. Repeatable.",
)
@click.option("--delimiter", default=None, help="Column separator (guessed by default).")
@click.option("--skip-invalid", is_flag=True, help="Import valid rows even if some rows are invalid.")
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--no-vectors", is_flag=True, help="Do not compute the reports' vectors now (the service will).")
@with_appcontext
def import_csv(
    path: Path,
    mappings: tuple[str, ...],
    defaults: tuple[str, ...],
    delimiter: str | None,
    skip_invalid: bool,
    dry_run: bool,
    no_vectors: bool,
) -> None:
    """Import reports from a CSV file: all rows or none (unless --skip-invalid); re-running adds nothing."""
    from irritants.intake.bulk import ReferenceMaps, insert_reports
    from irritants.intake.importing import plan_import, read_csv, resolve_columns
    from irritants.intake.models import Source

    config = current_app.config
    try:
        frame = read_csv(path, delimiter=delimiter)
        columns = resolve_columns(frame, _pairs(mappings, "--map"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"Fichier illisible : {exc}") from exc
    with get_db().session_scope() as session:
        with tqdm(total=len(frame), desc="Vérification", unit=" lignes", file=sys.stderr) as bar:
            plan = plan_import(
                session, frame, columns, defaults=_pairs(defaults, "--default"), source_name=path.stem, progress=bar
            )
        for error in plan.errors[:200]:
            click.echo(f"ligne {error.line} · {error.field} · {error.reason}", err=True)
        if len(plan.errors) > 200:
            click.echo(f"… et {plural(len(plan.errors) - 200, 'autre erreur', 'autres erreurs')}.", err=True)
        bad_lines = len({e.line for e in plan.errors})
        summary = (
            f"{plural(plan.total, 'ligne', 'lignes')} : {plural(len(plan.rows), 'valide', 'valides')}, "
            f"{plural(bad_lines, 'invalide', 'invalides')}, "
            f"{plural(plan.already_imported, 'déjà importée', 'déjà importées')}."
        )
        if plan.errors and not skip_invalid:
            raise click.ClickException(
                f"{summary} Rien n'a été importé (relancez avec --skip-invalid pour importer les lignes valides)."
            )
        if dry_run:
            click.echo(f"{summary} Vérification seule : rien n'a été importé.")
            return
        with tqdm(total=len(plan.rows), desc="Import", unit=" sig.", file=sys.stderr) as bar:
            count = insert_reports(
                session,
                plan.rows,
                ReferenceMaps.load(session),
                source=Source.IMPORT,
                secret_key=config["SECRET_KEY"],
                retention_days=config["CONTACT_RETENTION_DAYS"],
                progress=bar,
            )
        session.commit()
    click.echo(f"{summary} {plural(count, 'signalement importé', 'signalements importés')}.")
    if no_vectors:
        return
    # Clustering computes the vectors now (resumable: re-running the import finishes them, nothing twice).
    with StageBars() as bar:
        answers = reports_imported.send(current_app._get_current_object(), count=count, progress=bar)
    computed = sum(value for _, value in answers if isinstance(value, int))
    if computed:
        click.echo(
            f"{plural(computed, 'vecteur calculé', 'vecteurs calculés')}. Les signalements rejoignent leurs irritants "
            "en arrière-plan (service ou « irritants worker ») ; après un gros import, « irritants recluster » "
            "regroupe tout d'un coup."
        )


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    result = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"attendu CHAMP=VALEUR, reçu « {value} »", param_hint=option)
        result[key.strip()] = rest.strip()
    return result


COMMANDS = (demo_data, import_csv)
