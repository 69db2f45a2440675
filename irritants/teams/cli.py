"""Commands of the squads' back-office: ``irritants squads create`` registers a start-up d'État (its public texts
screened for personal data as the API screens them); ``irritants backlog export|import`` carry a squad's backlog to
and from a CSV file (``squads.backlog_csv``; the irritants a file names are checked here, squads sit below them).

An import is recorded as the system's unless ``--as EMAIL`` names the agent who asked for it: that agent must be
active and allowed, by the API's policy, to do what the file does (work on the squad's items; link irritants:
its product owners and admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
import marshmallow as ma
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from irritants.auth.policy import Agent, decide
from irritants.auth.services import agent_for, find_user
from irritants.db import get_db
from irritants.errors import NotFoundError, ValidationFailed
from irritants.progress import StageBars
from irritants.squads import services
from irritants.squads.phases import PHASE_LABELS, STARTS, SquadPhase
from irritants.squads.schemas import SquadCreateSchema, personal_data_errors

if TYPE_CHECKING:  # pandas and numpy come with the commands that use them: ``irritants --help`` stays light
    from irritants.squads import backlog_csv

PHASE_CHOICE = click.Choice([phase.value for phase in SquadPhase if phase in STARTS], case_sensitive=False)
# Schema field → command-line option, to name the option at fault.
OPTIONS = {"product_url": "--site", "repository_url": "--code", "stats_url": "--stats", "started_on": "--depuis"}


@click.group("squads")
def squads_group() -> None:
    """Start-ups d'État (squads)."""


def _refused(errors: dict[str, Any]) -> click.ClickException:
    lines = []
    for field, messages in errors.items():
        option = OPTIONS.get(field, f"--{field.replace('_', '-')}")
        text = " ".join(messages) if isinstance(messages, list) else str(messages)
        lines.append(f"{option} : {text}")
    return click.ClickException("\n".join(lines))


@squads_group.command("create")
@click.option("--name", required=True, help="Nom de la start-up d'État.")
@click.option("--phase", type=PHASE_CHOICE, default=SquadPhase.INVESTIGATION.value, show_default=True)
@click.option("--slug", default=None, help="Identifiant court (par défaut : tiré du nom).")
@click.option("--mission", default=None, help="Mission, en un paragraphe (public).")
@click.option("--administration", default=None, help="Administration qui la porte (identifiant du référentiel).")
@click.option("--incubator", default=None, help="Incubateur.")
@click.option("--site", "product_url", default=None, help="Site du produit (https://…).")
@click.option("--code", "repository_url", default=None, help="Dépôt de code (https://…).")
@click.option("--stats", "stats_url", default=None, help="Page de statistiques publique (https://…).")
@click.option(
    "--depuis", "started_on", default=None, help="Date de début de la phase (AAAA-MM-JJ, aujourd'hui par défaut)."
)
@with_appcontext
def squads_create(name: str, phase: str, slug: str | None, **profile: str | None) -> None:
    """Create a squad and print its slug (used by ``users create --squad``)."""
    raw = {"name": name, "phase": phase.lower(), "slug": services.slugify(slug) if slug else None, **profile}
    try:
        data = SquadCreateSchema().load({k: v for k, v in raw.items() if v is not None})
    except ma.ValidationError as err:
        raise _refused(err.normalized_messages()) from None  # type: ignore[arg-type]
    from irritants.intake.redaction import has_personal_data  # the numeric stack: only when a squad is created

    if problems := personal_data_errors(data, has_personal_data):
        raise _refused(problems)
    with get_db().session_scope() as session:
        try:
            squad = services.create_squad(session, None, data)
        except ValidationFailed as err:
            raise _refused(err.errors or {"name": [err.detail]}) from None
        session.commit()
    click.echo(f"Start-up d'État « {squad.name} » créée ({PHASE_LABELS[squad.phase]}) : identifiant {squad.slug}.")


@click.group("backlog")
def backlog_group() -> None:
    """Backlog d'une start-up d'État en CSV (aller-retour avec un autre outil)."""


@backlog_group.command("export")
@click.option("--squad", "slug", required=True, help="Identifiant de la start-up d'État.")
@click.option("--output", required=True, type=click.File("wb"), help="Fichier CSV à écrire (- : sortie standard).")
@with_appcontext
def backlog_export(slug: str, output: Any) -> None:
    """Write the squad's items as CSV (UTF-8 with BOM, « ; »), in rank order."""
    from irritants.squads import backlog_csv

    with get_db().session_scope() as session:
        squad = _squad(session, slug)
        output.write(backlog_csv.export_csv(session, squad.id))


def _squad(session: Session, slug: str) -> Any:
    try:
        return services.squad_by_slug(session, slug)
    except NotFoundError as err:
        raise click.ClickException(f"--squad : {err.detail}") from None


def _agent(session: Session, email: str | None) -> Agent | None:
    if email is None:
        return None
    user = find_user(session, email)
    if user is None or not user.active:
        raise click.ClickException(f"--as : aucun agent actif n'a l'adresse {email}.")
    return agent_for(session, user)


def _known(session: Session) -> backlog_csv.Known:
    from irritants.triage import services as triage  # the clusters' numeric stack: only when an import runs

    return lambda ids: triage.link_problems(session, ids)


def _print_plan(result: backlog_csv.ImportResult) -> None:
    for new in result.created:
        click.echo(
            f"  nouveau (ligne {new.line}) : « {new.title} »" + (f" → élément {new.item_id}" if new.item_id else "")
        )
    for item_id, changed in result.updated.items():
        click.echo(f"  élément {item_id} : {', '.join(changed)}")
    verb = "seraient" if result.dry_run else "ont été"
    click.echo(
        f"{len(result.created)} élément(s) {verb} créé(s), {len(result.updated)} modifié(s) ; "
        f"{result.unchanged} inchangé(s)."
    )


@backlog_group.command("import")
@click.option("--squad", "slug", required=True, help="Identifiant de la start-up d'État.")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Montrer ce qui changerait, sans rien enregistrer.")
@click.option("--as", "email", default=None, help="Agent au nom de qui importer (par défaut : le système).")
@with_appcontext
def backlog_import(slug: str, file: Any, dry_run: bool, email: str | None) -> None:
    """Check every row of FILE, then create and update the squad's items (nothing at all if one row is wrong)."""
    from irritants.squads import backlog_csv

    data = file.read()
    with get_db().session_scope() as session, StageBars() as bars:
        squad, agent = _squad(session, slug), _agent(session, email)
        result = backlog_csv.import_csv(
            session, agent, squad.id, data, known=_known(session), dry_run=True, progress=bars
        )
        if agent is not None and not result.errors:
            _check_allowed(agent, squad, result)
        if result.errors:
            for error in result.errors:
                click.echo(str(error), err=True)
            raise click.ClickException(f"{len(result.errors)} problème(s) : rien n'a été enregistré.")
        if not dry_run:
            result = backlog_csv.import_csv(session, agent, squad.id, data, known=_known(session), progress=bars)
            session.commit()
    _print_plan(result)
    if dry_run:
        click.echo("Simulation (--dry-run) : rien n'a été enregistré.")


def _check_allowed(agent: Agent, squad: Any, result: backlog_csv.ImportResult) -> None:
    from irritants.teams.backlog_file import required_actions  # the pages' module: only when an import runs

    for action in required_actions(result):
        decision = decide(agent, action, squad)
        if not decision:
            raise click.ClickException(f"--as : {decision.reason}")


COMMANDS: tuple[Any, ...] = (squads_group, backlog_group)
