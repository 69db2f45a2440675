"""``irritants users …`` and ``irritants tokens …``: agents' accounts and personal API tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from irritants.auth.models import Role
from irritants.db import get_db
from irritants.errors import IrritantsError
from irritants.french import to_paris_time

ROLE_CHOICE = click.Choice([role.value for role in Role], case_sensitive=False)


@contextmanager
def _transaction() -> Iterator[Session]:
    """A write session; domain errors become a French message and exit status 1, with nothing written."""
    with get_db().session_scope() as session:
        try:
            yield session
        except IrritantsError as err:
            raise click.ClickException(err.detail) from err


def _when(moment: dt.datetime | None, empty: str = "—") -> str:
    return to_paris_time(moment).strftime("%d/%m/%Y %H:%M") if moment else empty


def _password_checker(email: str) -> Callable[[str], str]:
    from irritants.auth import passwords

    minimum = current_app.config["PASSWORD_MIN_LENGTH"]

    def check(value: str) -> str:
        problems = passwords.password_problems(value, min_length=minimum, email=email)
        if problems:
            # click shows the message and asks again.
            raise click.UsageError(" ".join(problems))
        return value

    return check


# --- users ----------------------------------------------------------------------------------------------------


@click.group("users")
def users_group() -> None:
    """Agents' accounts (local passwords; ProConnect agents need an account too)."""


@users_group.command("create")
@click.option("--email", required=True, help="Adresse électronique de l'agent (son identifiant).")
@click.option("--role", "roles", multiple=True, required=True, type=ROLE_CHOICE, help="Rôle ; répétable.")
@click.option("--squad", "squads", multiple=True, metavar="SLUG", help="Start-up d'État de l'agent ; répétable.")
@click.option("--name", default="", help="Nom affiché.")
@click.option(
    "--administration",
    default=None,
    metavar="SLUG",
    help="Administration d'un correspondant (obligatoire pour ce rôle).",
)
@click.option("--generate-password", is_flag=True, help="Générer un mot de passe fort, affiché une seule fois.")
@click.option("--no-password", is_flag=True, help="Pas de mot de passe : connexion avec ProConnect uniquement.")
@with_appcontext
def users_create(
    email: str,
    roles: tuple[str, ...],
    squads: tuple[str, ...],
    name: str,
    administration: str | None,
    generate_password: bool,
    no_password: bool,
) -> None:
    """Create an agent; the password is asked twice (hidden) unless generated or not wanted."""
    from irritants.auth import accounts, passwords, services

    if generate_password and no_password:
        raise click.UsageError("Choisissez --generate-password ou --no-password, pas les deux.")
    email = services.normalise_email(email)
    password: str | None = None
    if generate_password:
        password = passwords.generate_password()
    elif not no_password:
        password = click.prompt(
            "Mot de passe (12 caractères au moins)",
            hide_input=True,
            confirmation_prompt="Confirmez le mot de passe",
            value_proc=_password_checker(email),
        )
    with _transaction() as session:
        user = accounts.create_user(
            session,
            email,
            roles,
            name=name,
            password=password,
            squad_slugs=squads,
            administration=administration,
            min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
        )
        session.commit()
    click.echo(f"Compte créé pour {user.email} (rôles : {', '.join(accounts.role_labels(user.roles))}).")
    if generate_password:
        click.echo(f"Mot de passe, affiché une seule fois : {password}")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List agents: email, roles, state, last sign-in."""
    from irritants.auth import accounts

    with _transaction() as session:
        users = accounts.list_users(session)
        if not users:
            click.echo("Aucun agent.")
            return
        for user in users:
            squads = ", ".join(squad.slug for squad in accounts.user_squads(session, user.id)) or "—"
            administration = accounts.administration_slug(session, user)
            if administration:  # a correspondant: the administration they speak for, in place of squads
                squads = f"administration : {administration}"
            state = "actif" if user.active else "désactivé"
            click.echo(
                f"{user.email}\t{','.join(user.roles or []) or '—'}\t{squads}\t{state}\t"
                f"dernière connexion : {_when(user.last_login_at, 'jamais')}"
            )


@users_group.command("deactivate")
@click.option("--email", required=True)
@with_appcontext
def users_deactivate(email: str) -> None:
    """Deactivate an account: its sessions end at once and its API tokens are revoked."""
    from irritants.auth import accounts

    with _transaction() as session:
        user = accounts.get_user(session, email)
        changed = accounts.deactivate_user(session, user)
        session.commit()
    done = f"Compte {user.email} désactivé ; ses sessions sont terminées et ses jetons d'API révoqués."
    click.echo(done if changed else "Compte déjà désactivé.")


@users_group.command("purge-deactivated")
@click.option("--dry-run", is_flag=True, help="Count the accounts that would be deleted; delete nothing.")
@with_appcontext
def users_purge_deactivated(dry_run: bool) -> None:
    """Delete the accounts deactivated more than DEACTIVATED_AGENT_RETENTION_DAYS ago (daily job too): the history
    keeps « agent n° N (compte supprimé) » instead of their address."""
    from irritants.auth import retention
    from irritants.db import utcnow

    days = current_app.config["DEACTIVATED_AGENT_RETENTION_DAYS"]
    with _transaction() as session:
        if dry_run:
            count = len(retention.due_accounts(session, now=utcnow(), retention_days=days))
        else:
            count = retention.purge_deactivated(session, now=utcnow(), retention_days=days)
            session.commit()
    accounts = (
        f"{count} compte{'s' if count > 1 else ''} désactivé{'s' if count > 1 else ''} depuis plus de {days} jours"
    )
    if dry_run:
        click.echo(
            f"Simulation : {accounts} {'seraient supprimés' if count > 1 else 'serait supprimé'}. Rien n'a été modifié."
        )
    else:
        click.echo(f"{accounts} {'supprimés' if count > 1 else 'supprimé'} ; l'historique les nomme « agent n° … ».")


@users_group.command("roles")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=ROLE_CHOICE, help="Nouveau rôle ; répétable.")
@click.option(
    "--administration", default=None, metavar="SLUG", help="Administration d'un correspondant (sinon : inchangée)."
)
@with_appcontext
def users_roles(email: str, roles: tuple[str, ...], administration: str | None) -> None:
    """Replace an agent's roles (and a correspondant's administration)."""
    from irritants.auth import accounts

    with _transaction() as session:
        user = accounts.get_user(session, email)
        changed = accounts.set_roles(session, user, roles, administration=administration)
        session.commit()
    labels = ", ".join(accounts.role_labels(user.roles))
    click.echo(f"Rôles de {user.email} : {labels}." if changed else f"Rien à changer : {user.email} a déjà ces rôles.")


# --- tokens ---------------------------------------------------------------------------------------------------


@click.group("tokens")
def tokens_group() -> None:
    """Agents' personal API tokens (only their SHA-256 is stored)."""


@tokens_group.command("create")
@click.option("--email", required=True, help="Agent à qui appartient le jeton.")
@click.option("--name", required=True, help="Nom du jeton, pour le reconnaître.")
@click.option(
    "--days",
    type=click.IntRange(0, 3650),
    default=None,
    help="Durée de validité en jours (par défaut API_TOKEN_DEFAULT_DAYS, 90 ; 0 : sans expiration).",
)
@with_appcontext
def tokens_create(email: str, name: str, days: int | None) -> None:
    """Create a token and print it once."""
    from irritants.auth import accounts, api_tokens

    if not name.strip() or len(name.strip()) > 100:
        raise click.BadParameter("le nom du jeton doit compter de 1 à 100 caractères.", param_hint="--name")
    lifetime = current_app.config["API_TOKEN_DEFAULT_DAYS"] if days is None else days
    with _transaction() as session:
        user = accounts.get_user(session, email)
        if not user.active:
            raise click.ClickException(f"Le compte {user.email} est désactivé : pas de nouveau jeton.")
        token, raw = api_tokens.issue_token(session, user, name, days=lifetime or None)
        session.commit()
    expiry = f"expire le {_when(token.expires_at)}" if token.expires_at else "sans expiration"
    click.echo(f"Jeton n° {token.id} « {token.name} » pour {user.email} ({expiry}).", err=True)
    click.echo("Copiez-le maintenant, il ne sera plus jamais affiché :", err=True)
    click.echo(raw)


@tokens_group.command("list")
@click.option("--email", required=True)
@with_appcontext
def tokens_list(email: str) -> None:
    """List an agent's tokens (never their value)."""
    from irritants.auth import accounts, api_tokens

    states = {"active": "actif", "expired": "expiré", "revoked": "révoqué"}
    with _transaction() as session:
        user = accounts.get_user(session, email)
        tokens = api_tokens.list_tokens(session, user.id)
    if not tokens:
        click.echo(f"Aucun jeton pour {user.email}.")
    for token in tokens:
        click.echo(
            f"{token.id}\t{token.name}\t{token.prefix}…\t{states[api_tokens.token_state(token)]}\t"
            f"créé {_when(token.created_at)}\tutilisé {_when(token.last_used_at, 'jamais')}\t"
            f"expire {_when(token.expires_at, 'jamais')}"
        )


@tokens_group.command("revoke")
@click.option("--id", "token_id", required=True, type=click.IntRange(1, 2**31 - 1))
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    """Revoke a token: API calls with it are refused from now on."""
    from irritants.auth import api_tokens

    with _transaction() as session:
        changed = api_tokens.revoke_token(session, token_id)
        session.commit()
    click.echo(f"Jeton n° {token_id} révoqué." if changed else f"Le jeton n° {token_id} était déjà révoqué.")


COMMANDS: tuple[Any, ...] = (users_group, tokens_group)
