"""Command line: ``irritants <command>`` (also ``flask --app irritants <command>``)."""

from __future__ import annotations

import datetime as dt
import importlib
import sys
from importlib import metadata
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select
from tqdm import tqdm

from irritants.db import get_db
from irritants.french import plural


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations to the configured database."""
    from irritants import migrate

    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Base de données à jour ({migrate.head_revision()}).")


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
@with_appcontext
def import_csv(
    path: Path,
    mappings: tuple[str, ...],
    defaults: tuple[str, ...],
    delimiter: str | None,
    skip_invalid: bool,
    dry_run: bool,
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


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    result = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"attendu CHAMP=VALEUR, reçu « {value} »", param_hint=option)
        result[key.strip()] = rest.strip()
    return result


@click.command("setup")
@click.option("--demo-reports", default=5000, show_default=True, type=click.IntRange(0, 10_000_000))
@click.pass_context
@with_appcontext
def setup(ctx: click.Context, demo_reports: int) -> None:
    """Migrate, load the référentiel and, on first run only, demo data."""
    ctx.invoke(db_upgrade)
    ctx.invoke(load_reference)
    if demo_reports:
        ctx.invoke(demo_data, n_reports=demo_reports, seed=42, if_empty=True)
    from irritants.clusters.cli import recluster_command
    from irritants.clusters.models import Cluster

    with get_db().session_scope() as session:
        clustered = session.scalar(select(func.count()).select_from(Cluster))
    if not clustered:
        ctx.invoke(recluster_command, seed=None)
    if demo_reports and current_app.config["ENV"] == "development":
        _demo_agents()


def _demo_agents() -> None:
    # A newcomer should be able to open the back-office at once: one account per role, passwords shown once
    # and kept in instance/ (never committed), on the first run only.
    from irritants.auth.demo import create_demo_agents
    from irritants.config import PROJECT_ROOT

    with get_db().session_scope() as session:
        created = create_demo_agents(session)
        session.commit()
    if not created:
        return
    lines = ["Comptes de démonstration (espace agents : /agents/connexion)", ""]
    lines += [f"{name:<30} {email:<32} {password}" for email, name, password in created]
    path = PROJECT_ROOT / "instance" / "comptes-demo.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    click.echo("\n".join(lines))
    click.echo(f"(gardés dans {path.relative_to(PROJECT_ROOT)})")


COMMANDS = (db_group, load_reference, demo_data, import_csv, setup)
# Modules whose COMMANDS the app registers; each imports only what its commands' signatures need.
COMMAND_MODULES = (
    "irritants.cli",
    "irritants.privacy.cli",
    "irritants.clusters.cli",
    "irritants.auth.cli",
    "irritants.squads.cli",
)
# Commands that extensions add to app.cli when the app is built, found here without building it.
EXTENSION_COMMANDS = {"openapi": ("flask_smorest.spec", "openapi_cli")}


def project_commands() -> list[click.Command]:
    """Every command of the project, without building the app."""
    return [command for module in COMMAND_MODULES for command in importlib.import_module(module).COMMANDS]


def register_commands(app: Flask) -> None:
    """Attach the project's commands to ``app.cli`` (for ``flask --app irritants``)."""
    for command in project_commands():
        app.cli.add_command(command)


def _create_app() -> Flask:
    from irritants import create_app
    from irritants.config import ConfigurationError

    try:
        return create_app()
    except ConfigurationError as exc:
        # The message names the variable to fix: say it, without a traceback, and exit with an error status.
        raise click.ClickException(str(exc)) from exc


class IrritantsGroup(FlaskGroup):
    """``irritants``: FlaskGroup builds the whole app (seconds of imports) to list its commands; this group knows
    them beforehand, so ``--help`` needs none of it. A command builds the app when it runs (``with_appcontext``).
    """

    def __init__(self, **extra: object) -> None:
        super().__init__(create_app=_create_app, add_version_option=False, **extra)  # type: ignore[arg-type]
        self._own: dict[str, click.Command] | None = None

    def _own_commands(self) -> dict[str, click.Command]:
        if self._own is None:
            self._own = {command.name: command for command in project_commands() if command.name}
        return self._own

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = self._own_commands().get(name)
        if command is None and name in EXTENSION_COMMANDS:
            module, attribute = EXTENSION_COMMANDS[name]
            command = getattr(importlib.import_module(module), attribute)
        return command if command is not None else super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        builtin = click.Group.list_commands(self, ctx)  # run, shell, routes
        plugins = [entry.name for entry in metadata.entry_points(group="flask.commands")]
        return sorted({*builtin, *plugins, *self._own_commands(), *EXTENSION_COMMANDS})


# The version of the installed package (importlib.metadata), read when asked: Flask's own --version is left out.
main = click.version_option(package_name="irritants", prog_name="irritants", message="%(prog)s %(version)s")(
    IrritantsGroup(help="irritants — signalements et irritants du service public.")
)
