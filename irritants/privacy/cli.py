"""Commands on citizens' personal data: purge-personal-data (daily), erase-citizen (on request)."""

from __future__ import annotations

import datetime as dt
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from irritants.db import get_db, utcnow
from irritants.french import agree, number, plural

# Below this many rows a progress bar is noise.
PROGRESS_MIN = 1000


def _moment(value: str | None) -> dt.datetime:
    if not value:
        return utcnow()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"date ISO 8601 attendue, par exemple 2025-01-31T00:00:00+00:00 (reçu « {value} »)", param_hint="--now"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@click.command("purge-personal-data")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@click.option("--now", "now_value", metavar="ISO", default=None, help="Purge as of this moment (default: now).")
@with_appcontext
def purge_personal_data(dry_run: bool, now_value: str | None) -> None:
    """Delete follow-up emails past retention: their own date, or PERSONAL_DATA_RETENTION_MONTHS after the
    irritant closed (with their mails); the originals of texts masked by moderators as long after; idle sign-in
    counters; the network hashes of supports and flags after SOURCE_RETENTION_DAYS; mails sent or given up more than
    30 days ago. Idempotent: run it daily."""
    from irritants.auth import throttle
    from irritants.moderation import services as moderation
    from irritants.outbox import services as outbox
    from irritants.privacy import services as privacy

    now = _moment(now_value)
    months = current_app.config["PERSONAL_DATA_RETENTION_MONTHS"]
    days = current_app.config["SOURCE_RETENTION_DAYS"]
    with get_db().session_scope() as session:
        plan = privacy.plan_purge(session, now=now, retention_months=months)
        detail = (
            f"{number(plan.expired_count)} dont la date de conservation est passée, "
            f"{number(plan.closed_count)} d’irritants clos avant le {plan.cutoff.date().isoformat()}"
        )
        if dry_run:
            sources = privacy.sources_to_erase(session, now=now, retention_days=days)
            addresses = plural(plan.total, "adresse serait supprimée", "adresses seraient supprimées")
            click.echo(f"Simulation : {addresses} ({detail}). Rien n’a été modifié.")
            erased = agree(sources, "serait effacée", "seraient effacées")
            click.echo(f"Simulation : {_sources(sources, days)} {erased}.")
            return
        with tqdm(
            total=plan.total, desc="Adresses", unit=" adr.", file=sys.stderr, disable=plan.total < PROGRESS_MIN
        ) as bar:
            deleted = privacy.purge(session, plan, progress=bar.update)
        originals = moderation.purge_masked_originals(session, cutoff=plan.cutoff)
        counters = throttle.forget_idle(session, now)
        sources = privacy.erase_sources(session, now=now, retention_days=days)
        messages = outbox.purge_delivered(session, before=now - outbox.DELIVERED_RETENTION)
        session.commit()
    click.echo(f"{plural(deleted, 'adresse supprimée', 'adresses supprimées')} ({detail}).")
    click.echo(
        f"{plural(originals, 'texte d’origine supprimé', 'textes d’origine supprimés')} (passages masqués par la "
        f"modération avant le {plan.cutoff.date().isoformat()} : seul le texte publié reste)."
    )
    click.echo(
        f"{plural(counters, 'compteur', 'compteurs')} de tentatives de connexion "
        f"{agree(counters, 'supprimé', 'supprimés')} (sans échec depuis 24 heures)."
    )
    click.echo(f"{_sources(sources, days)} {agree(sources, 'effacée', 'effacées')}.")
    click.echo(
        f"{plural(messages, 'message', 'messages')} {agree(messages, 'envoyé ou abandonné', 'envoyés ou abandonnés')} "
        f"depuis plus de {outbox.DELIVERED_RETENTION.days} jours {agree(messages, 'supprimé', 'supprimés')}."
    )


def _sources(n: int, days: int) -> str:
    return (
        f"{plural(n, 'empreinte', 'empreintes')} de réseau de plus de {plural(days, 'jour', 'jours')} "
        "des « C’est aussi mon cas » et signalements d’abus"
    )


@click.command("purge-contacts")
@click.pass_context
def purge_contacts(ctx: click.Context) -> None:
    """Alias of purge-personal-data (kept for existing cron jobs)."""
    ctx.invoke(purge_personal_data, dry_run=False, now_value=None)


@click.command("erase-citizen")
@click.argument("email")
@click.option("--dry-run", is_flag=True, help="Show what would be erased; change nothing.")
@with_appcontext
def erase_citizen(email: str, dry_run: bool) -> None:
    """Erase a citizen on request: contact, supports, flags and conversations deleted, reports anonymised but kept for
    statistics. The address itself is never printed nor stored."""
    from irritants.clusters import stats
    from irritants.privacy import services as privacy
    from irritants.settings import settings_of

    if "@" not in email or len(email) > 254:
        raise click.BadParameter("adresse électronique attendue", param_hint="EMAIL")
    config = current_app.config
    with get_db().session_scope() as session:
        if dry_run:
            found, _keys = privacy.plan_erasure(session, config["SECRET_KEY"], email)
        else:
            found = privacy.erase_citizen(session, config["SECRET_KEY"], email)
            if found.cluster_ids:
                stats.refresh(session, settings_of(current_app).ranking.weights, found.cluster_ids)
            session.commit()
    if not found.report_ids and not found.support_ids:
        click.echo(
            "Aucun signalement ne correspond à cette adresse (jamais donnée, ou déjà effacée ou purgée). "
            "Rien n’a été modifié."
        )
        return
    what = (
        f"{plural(len(found.report_ids), 'signalement anonymisé', 'signalements anonymisés')} "
        f"(n° {', '.join(map(str, found.report_ids))}), "
        f"{plural(found.contacts, 'adresse supprimée', 'adresses supprimées')}, "
        f"{number(found.supports)} « C’est aussi mon cas » {agree(found.supports, 'supprimé', 'supprimés')}, "
        f"{plural(found.abuse_flags, 'signalement', 'signalements')} de contenu abusif "
        f"{agree(found.abuse_flags, 'supprimé', 'supprimés')}, "
        f"{plural(found.messages, 'courriel', 'courriels')} {agree(found.messages, 'supprimé', 'supprimés')}, "
        f"{plural(found.conversation, 'message', 'messages')} de conversation avec l’équipe "
        f"{agree(found.conversation, 'supprimé', 'supprimés')}"
    )
    if dry_run:
        click.echo(f"Simulation : seraient effacés {what}. Rien n’a été modifié.")
    else:
        click.echo(f"Effacement fait : {what}. Un événement par signalement a été inscrit à l’historique.")


COMMANDS = (purge_personal_data, purge_contacts, erase_citizen)
