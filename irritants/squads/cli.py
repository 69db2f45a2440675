"""``irritants squads create``: register a start-up d'État so that agents can be made members of it."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import or_, select

from irritants.audit import services as audit
from irritants.db import get_db
from irritants.sanitize import clean_line
from irritants.squads.models import SQUAD_PHASE_LABELS, Squad, SquadPhase

PHASE_CHOICE = click.Choice([phase.value for phase in SquadPhase], case_sensitive=False)


def slugify(name: str) -> str:
    """ASCII, lower-case, hyphenated identifier of a name: « Rendez-vous préfecture » → rendez-vous-prefecture."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100]


@click.group("squads")
def squads_group() -> None:
    """Start-ups d'État (squads)."""


@squads_group.command("create")
@click.option("--name", required=True, help="Nom de la start-up d'État.")
@click.option("--phase", type=PHASE_CHOICE, default=SquadPhase.INVESTIGATION.value, show_default=True)
@click.option("--slug", default=None, help="Identifiant court (par défaut : tiré du nom).")
@with_appcontext
def squads_create(name: str, phase: str, slug: str | None) -> None:
    """Create a squad and print its slug (used by ``users create --squad``)."""
    name = clean_line(name)
    if not name or len(name) > 200:
        raise click.BadParameter("le nom doit compter de 1 à 200 caractères.", param_hint="--name")
    slug = slugify(slug or name)
    if not slug:
        raise click.BadParameter("impossible d'en tirer un identifiant : précisez --slug.", param_hint="--slug")
    with get_db().session_scope() as session:
        clash = session.scalar(select(Squad).where(or_(Squad.name == name, Squad.slug == slug)))
        if clash is not None:
            raise click.ClickException(f"La start-up d'État « {clash.name} » ({clash.slug}) existe déjà.")
        squad = Squad(name=name, slug=slug, phase=SquadPhase(phase.lower()))
        session.add(squad)
        session.flush()
        after = {"name": squad.name, "slug": squad.slug, "phase": squad.phase}
        audit.record(session, None, "squad.create", "squad", squad.id, after=after)
        session.commit()
    click.echo(f"Start-up d'État « {name} » créée ({SQUAD_PHASE_LABELS[squad.phase]}) : identifiant {slug}.")


COMMANDS: tuple[Any, ...] = (squads_group,)
