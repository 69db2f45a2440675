"""``irritants export``: an export of reports, irritants or squads into a file, with the dashboard's filters as
options (``--from``, ``--to``, ``--administration``, …: the same vocabulary, ``insights.filters``) and a progress
bar; ``irritants exports-purge`` deletes the background exports past their time (a daily job does it too)."""

from __future__ import annotations

from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from irritants.db import get_db
from irritants.errors import ValidationFailed
from irritants.french import plural
from irritants.insights.filters import PARAMS
from irritants.progress import StageBars
from irritants.settings import settings_of

WHATS = ("reports", "irritants", "squads")
FORMATS = ("csv", "xlsx", "parquet")
FILTER_OPTIONS = tuple(PARAMS)  # the URL's parameters are the options' names (insights.filters)


def _refusal(error: ValidationFailed) -> click.ClickException:
    lines = [f"--{param} : {' '.join(messages)}" for param, messages in sorted(error.errors.items())]
    return click.ClickException("\n".join(lines) or error.detail)


@click.command("export")
@click.option("--what", required=True, type=click.Choice(WHATS), help="Signalements, irritants ou start-ups d'État.")
@click.option("--format", "fmt", required=True, type=click.Choice(FORMATS), help="Format du fichier.")
@click.option("--output", required=True, type=click.File("wb"), help="Fichier à écrire (- : sortie standard).")
@click.option("--from", "from_", metavar="AAAA-MM-JJ", help="Premier jour (heure de Paris ; défaut : 90 jours).")
@click.option("--to", metavar="AAAA-MM-JJ", help="Dernier jour, inclus (défaut : aujourd'hui).")
@click.option("--administration", help="Identifiant (slug) d'une administration.")
@click.option("--territory", help="Code d'un département (59, 2A, 974).")
@click.option("--region", help="Code INSEE d'une région (32, 84).")
@click.option("--channel", help="Canal (en_ligne, telephone…).")
@click.option("--severity", help="Gravité (gene, perte_de_temps, blocage, rupture_de_droits).")
@click.option("--squad", help="Identifiant (slug) d'une start-up d'État.")
@click.option("--procedure", metavar="ADMINISTRATION/DEMARCHE", help="Une démarche (ex. caf/demande-rsa).")
@with_appcontext
def export_command(what: str, fmt: str, output: Any, from_: str | None, **options: Any) -> None:
    """Exporte signalements (textes expurgés, jamais de coordonnées), irritants ou start-ups d'État."""
    from irritants.exports import services
    from irritants.exports.tables import What
    from irritants.exports.writers import Format
    from irritants.insights.filters import load_filters

    values = {"from": from_, **{name: options.get(name) for name in FILTER_OPTIONS if name != "from"}}
    settings = settings_of(current_app)
    bars = StageBars()
    with get_db().read_sessions() as session:
        try:
            filters = load_filters(values)
            services.check_filters(session, filters)
            rows = services.write_export(
                session, What(what), Format(fmt), filters, output, settings.fix_effect, progress=bars
            )
        except ValidationFailed as error:
            raise _refusal(error) from None
        finally:
            bars.close()
    click.echo(f"{plural(rows, 'ligne exportée', 'lignes exportées')}.", err=True)


@click.command("exports-purge")
@with_appcontext
def purge_command() -> None:
    """Supprime les exports préparés en arrière-plan dont le délai de conservation est passé."""
    from irritants.exports import jobs

    purged = jobs.purge_expired(current_app)
    click.echo(f"{plural(purged, 'export supprimé', 'exports supprimés')}.")


COMMANDS: tuple[Any, ...] = (export_command, purge_command)
