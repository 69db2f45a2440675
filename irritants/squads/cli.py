"""``irritants squads create``: register a start-up d'État so that agents can be made members of it."""

from __future__ import annotations

from typing import Any

import click
import marshmallow as ma
from flask.cli import with_appcontext

from irritants.db import get_db
from irritants.errors import ValidationFailed
from irritants.squads import services
from irritants.squads.phases import PHASE_LABELS, STARTS, SquadPhase
from irritants.squads.schemas import SquadCreateSchema

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
    with get_db().session_scope() as session:
        try:
            squad = services.create_squad(session, None, data)
        except ValidationFailed as err:
            raise _refused(err.errors or {"name": [err.detail]}) from None
        session.commit()
    click.echo(f"Start-up d'État « {squad.name} » créée ({PHASE_LABELS[squad.phase]}) : identifiant {squad.slug}.")


COMMANDS: tuple[Any, ...] = (squads_group,)
