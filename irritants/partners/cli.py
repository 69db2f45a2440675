"""``irritants partners create|list|revoke``: the Open311 partners and their API keys."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from irritants.db import get_db
from irritants.errors import IrritantsError
from irritants.french import to_paris_time


@click.group("partners")
def partners_group() -> None:
    """Partenaires Open311 (clés d'API pour déposer des signalements)."""


@partners_group.command("create")
@click.option("--name", required=True, help="Nom du partenaire (unique).")
@with_appcontext
def create(name: str) -> None:
    """Créer un partenaire et afficher sa clé, une seule fois."""
    from irritants.partners import services

    try:
        with get_db().session_scope() as session:
            key = services.create_partner(session, name).key
            session.commit()
    except IrritantsError as err:
        raise click.ClickException(err.detail) from err
    click.echo(f"Partenaire « {name.strip()} » créé. Clé d'API (affichée une seule fois, conservez-la) :")
    click.echo(key)


@partners_group.command("list")
@with_appcontext
def list_() -> None:
    """Lister les partenaires (jamais leur clé)."""
    from irritants.partners import services

    with get_db().session_scope() as session:
        partners = services.list_partners(session)
        if not partners:
            click.echo("Aucun partenaire.")
        for partner in partners:
            state = f"révoqué le {to_paris_time(partner.revoked_at):%d/%m/%Y %H:%M}" if partner.revoked_at else "actif"
            created = to_paris_time(partner.created_at)
            click.echo(f"{partner.name}\t{partner.key_prefix}…\tcréé le {created:%d/%m/%Y %H:%M}\t{state}")


@partners_group.command("revoke")
@click.option("--name", required=True, help="Nom du partenaire.")
@with_appcontext
def revoke(name: str) -> None:
    """Révoquer la clé d'un partenaire : ses envois suivants sont refusés (403)."""
    from irritants.partners import services

    try:
        with get_db().session_scope() as session:
            services.revoke_partner(session, name)
            session.commit()
    except IrritantsError as err:
        raise click.ClickException(err.detail) from err
    click.echo(f"Clé du partenaire « {name.strip()} » révoquée.")


COMMANDS = (partners_group,)
