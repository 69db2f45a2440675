"""The app's own commands, over every domain: ``db upgrade|current|history|downgrade|revision`` (the schema, with
Alembic) and ``setup`` (a first run in one go).
Each domain's commands are in its ``cli.py``; ``irritants.DOMAINS`` lists them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from irritants.db import get_db
from irritants.intake.cli import demo_data
from irritants.referential.cli import load_reference


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations to the configured database."""
    from irritants import migrate

    with _alembic_errors():
        migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Base de données à jour ({migrate.head_revision()}).")


@contextmanager
def _alembic_errors() -> Iterator[None]:
    """Alembic's refusals (an unknown revision, a database behind head) as a message and exit status 1."""
    from alembic.util import CommandError

    try:
        yield
    except CommandError as exc:
        raise click.ClickException(str(exc)) from exc


@db_group.command("current")
@click.option("--verbose", "-v", is_flag=True, help="Détail de la révision.")
@click.option("--check", is_flag=True, help="Échouer (code 1) si la base n'est pas à la dernière révision.")
@with_appcontext
def db_current(verbose: bool, check: bool) -> None:
    """Show the revision the configured database is at ("(head)": up to date)."""
    from alembic.util import DatabaseNotAtHead

    from irritants import migrate

    with _alembic_errors():
        try:
            migrate.current(current_app.config["DATABASE_URL"], verbose=verbose, check=check)
        except DatabaseNotAtHead:
            raise click.ClickException(
                f"La base n'est pas à la dernière révision ({migrate.head_revision()}) : irritants db upgrade."
            ) from None


@db_group.command("history")
@click.option("--verbose", "-v", is_flag=True, help="Détail de chaque révision.")
def db_history(verbose: bool) -> None:
    """List the migrations, newest first (no database needed)."""
    from irritants import migrate

    migrate.history(verbose=verbose)


# "-1" is a revision here (one step back), not an option.
@db_group.command("downgrade", context_settings={"ignore_unknown_options": True})
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (-1: the last one; base: all of them, and every table with them)."""
    from irritants import migrate

    with _alembic_errors():
        migrate.downgrade(current_app.config["DATABASE_URL"], revision)
    now = migrate.current_revision(current_app.config["DATABASE_URL"])
    click.echo(f"Base de données ramenée à la révision {now or 'base (aucune table du schéma)'}.")


@db_group.command("revision")
@click.option("--message", "-m", required=True, help="Ce que change la révision (nom du fichier).")
@click.option(
    "--autogenerate/--empty",
    default=True,
    show_default=True,
    help="Comparer les modèles à la base (à jour) ou écrire une révision vide.",
)
@with_appcontext
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration, numbered after the head, into migrations/versions (review it before committing)."""
    from irritants import migrate

    with _alembic_errors():
        path = migrate.revision(current_app.config["DATABASE_URL"], message, autogenerate=autogenerate)
    click.echo(f"Nouvelle révision : {path} (à relire avant de l'ajouter).")


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
    from irritants.feedback.demo import create_demo_answers
    from irritants.settings import settings_of
    from irritants.teams.demo import create_demo_sprints
    from irritants.teams.demo_fixes import create_demo_fixes

    with get_db().session_scope() as session:
        items = create_demo_sprints(session)
        session.commit()
    click.echo(f"Sprints de démonstration : {items} éléments de backlog, avec deux semaines d'historique.")
    with get_db().session_scope() as session:
        settings = settings_of(current_app)
        fixed = create_demo_fixes(session, settings.ranking, settings.fix_effect)
        session.commit()
    if fixed:
        listed = ", ".join(f"/irritants/{i}" for i in fixed)
        click.echo(f"Correctifs livrés il y a quelques semaines, avec leur effet : {listed}.")
    with get_db().session_scope() as session:
        answers = create_demo_answers(session)
        session.commit()
    click.echo(f"Réponses de démonstration à « Est-ce résolu pour vous ? » : {answers}.")
    lines = ["Comptes de démonstration (espace agents : /agents/connexion)", ""]
    lines += [f"{name:<30} {email:<32} {password}" for email, name, password in created]
    # In the instance folder (IRRITANTS_INSTANCE_PATH, instance/ by default): a second instance never overwrites them.
    path = Path(current_app.config["INSTANCE_PATH"]).resolve() / "comptes-demo.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    click.echo("\n".join(lines))
    shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
    click.echo(f"(gardés dans {shown})")


COMMANDS = (db_group, setup)
