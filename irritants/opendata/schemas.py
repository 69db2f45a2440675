"""The descriptions that travel with the files: a Frictionless Table Schema per CSV file, in the style of
schema.data.gouv.fr (French titles and descriptions, types, enumerations, constraints, examples), and the
``datapackage.json`` that names them, their licence and their source.

The enumerations come from the code (statuses, severities, verdicts) and from the reference data (channels), so a
file and its schema never disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from irritants.effect import VERDICT_LABELS, Verdict
from irritants.french import PARIS
from irritants.intake.models import SEVERITY_LABELS, Severity
from irritants.opendata.dataset import PUBLISHED_STATUSES, SMALL_CELL
from irritants.status import CITIZEN_STATUS_LABELS

TABLE_SCHEMA = "https://frictionlessdata.io/schemas/table-schema.json"
LICENCE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
VERSION = "1.0.0"
SLUG = r"^[a-z0-9][a-z0-9-]*$"
DEPARTEMENT = r"^(\d{2}|2[AB]|97[1-6])$"


def _listing(labels: dict[Any, str]) -> str:
    return " ; ".join(f"« {code} » : {label}" for code, label in labels.items())


def _field(name: str, title: str, description: str, kind: str, example: Any, **constraints: Any) -> dict[str, Any]:
    field: dict[str, Any] = {"name": name, "title": title, "description": description, "type": kind}
    if example is not None:
        field["example"] = example
    if constraints:
        field["constraints"] = constraints
    return field


def _head(name: str, title: str, description: str) -> dict[str, Any]:
    return {
        "$schema": TABLE_SCHEMA,
        "name": name,
        "title": title,
        "description": description,
        "countryCode": "FR",
        "version": VERSION,
        "licenses": [LICENCE],
        "missingValues": [""],
    }


def _administration_fields() -> list[dict[str, Any]]:
    return [
        _field(
            "code_administration",
            "Code de l'administration",
            "Identifiant court de l'administration concernée dans le référentiel du service.",
            "string",
            "caf",
            required=True,
            pattern=SLUG,
        ),
        _field(
            "administration",
            "Administration",
            "Nom de l'administration concernée.",
            "string",
            "Caisse d'allocations familiales",
            required=True,
        ),
        _field(
            "code_demarche",
            "Code de la démarche",
            "Identifiant court de la démarche dans le référentiel du service, unique pour une administration ; "
            "vide quand aucune démarche n'est précisée.",
            "string",
            "demande-rsa",
            pattern=SLUG,
        ),
        _field(
            "demarche",
            "Démarche",
            "Nom de la démarche ; vide quand aucune démarche n'est précisée.",
            "string",
            "Demande de RSA",
        ),
    ]


def irritants_schema() -> dict[str, Any]:
    """Table Schema of ``irritants.csv``."""
    statuses = {str(s): CITIZEN_STATUS_LABELS[s] for s in PUBLISHED_STATUSES}
    verdicts = {str(v): VERDICT_LABELS[v] for v in Verdict}
    admin = _administration_fields()
    for field in admin[:2]:  # an irritant's administration is the one most of its reports name; it may be unknown
        field["constraints"].pop("required")
        field["description"] += " Pour un irritant : celle que nomment le plus de ses signalements."
    admin[2]["description"] += " Pour un irritant : celle que nomment le plus de ses signalements."
    return {
        **_head(
            "irritants",
            "Irritants des usagers des services publics",
            "Un irritant regroupe les signalements d'usagers qui décrivent le même blocage dans une démarche "
            "administrative. Une ligne par irritant public (ni doublon, ni contenu non retenu) : son libellé public, "
            "l'administration et la démarche concernées, son statut, ses dates, le nombre de personnes concernées et, "
            "une fois un correctif livré, l'effet mesuré du correctif sur le nombre de signalements reçus. Aucun "
            "texte écrit par un usager, aucune coordonnée, aucun identifiant de suivi.",
        ),
        "fields": [
            _field(
                "id",
                "Numéro de l'irritant",
                "Numéro public de l'irritant, celui de sa page /irritants/<numéro>.",
                "integer",
                42,
                required=True,
                unique=True,
                minimum=1,
            ),
            _field(
                "libelle",
                "Libellé",
                "Libellé public de l'irritant, rédigé par le service ou l'équipe : toute "
                "donnée personnelle y est masquée (« [courriel] », « [téléphone] »…). Un libellé qui commencerait "
                "par =, +, -, @ est précédé d'une apostrophe pour qu'un tableur ne le lise pas comme une formule ; les "
                "codes qui ressemblent à une clé ou un jeton (16 lettres et chiffres ou plus) sont remplacés "
                "par « [code] ».",
                "string",
                "Demande de RSA : dossier bloqué depuis plusieurs mois",
                required=True,
            ),
            _field(
                "statut",
                "Statut",
                f"Statut de l'irritant. Valeurs : {_listing(statuses)}.",
                "string",
                "fixed",
                required=True,
                enum=list(statuses),
            ),
            _field(
                "statut_libelle",
                "Libellé du statut",
                "Le statut tel que les usagers le lisent.",
                "string",
                "Corrigé",
                required=True,
                enum=list(dict.fromkeys(statuses.values())),
            ),
            *admin,
            _field(
                "code_startup_etat",
                "Code de la start-up d'État",
                "Identifiant de la start-up d'État (équipe) qui traite l'irritant, celui de sa page "
                "/startups/<code> ; vide si aucune équipe ne le traite.",
                "string",
                "rdv-prefecture",
                pattern=SLUG,
            ),
            _field(
                "startup_etat",
                "Start-up d'État",
                "Nom de la start-up d'État qui traite l'irritant.",
                "string",
                "Rendez-vous préfecture",
            ),
            _field(
                "date_premier_signalement",
                "Date du premier signalement",
                "Jour (heure de Paris) du premier signalement de l'irritant, au format AAAA-MM-JJ.",
                "date",
                "2026-03-02",
            ),
            _field(
                "date_correctif",
                "Date du correctif",
                "Jour où l'équipe a déclaré le dernier correctif livré, au format AAAA-MM-JJ ; vide si aucun "
                "correctif n'a été livré. Un irritant rouvert ou réapparu garde la date de son dernier correctif.",
                "date",
                "2026-09-14",
            ),
            _field(
                "nombre_signalements",
                "Nombre de signalements",
                "Signalements rattachés à l'irritant à la date de production du fichier.",
                "integer",
                57,
                required=True,
                minimum=1,
            ),
            _field(
                "personnes_concernees",
                "Personnes concernées",
                "Personnes distinctes concernées : auteurs des signalements et personnes ayant déclaré « C'est "
                "aussi mon cas », chacune comptée une fois.",
                "integer",
                64,
                required=True,
                minimum=0,
            ),
            _field(
                "effet_correctif",
                "Effet du correctif",
                "Verdict sur l'évolution des signalements reçus chaque semaine avant et après le correctif (taux "
                f"de signalements, intervalle de confiance exact à 95 %). Valeurs : {_listing(verdicts)}. Vide si "
                "aucun correctif n'a été livré.",
                "string",
                "drop",
                enum=list(verdicts),
            ),
            _field(
                "effet_correctif_libelle",
                "Libellé de l'effet du correctif",
                "Le verdict en clair.",
                "string",
                "baisse nette",
                enum=list(verdicts.values()),
            ),
            _field(
                "rapport_apres_avant",
                "Rapport après / avant",
                "Rapport du taux hebdomadaire de signalements après le correctif à celui d'avant (0,4 : 60 % de "
                "signalements en moins). Vide sans correctif, ou quand il n'est pas calculable (aucune semaine "
                "observée d'un côté, ou aucun signalement avant).",
                "number",
                0.42,
                minimum=0,
            ),
            _field(
                "ic95_bas",
                "Borne basse de l'intervalle de confiance",
                "Borne basse de l'intervalle de confiance exact à 95 % du rapport après / avant.",
                "number",
                0.3,
                minimum=0,
            ),
            _field(
                "ic95_haut",
                "Borne haute de l'intervalle de confiance",
                "Borne haute de l'intervalle de confiance exact à 95 % du rapport après / avant ; vide quand elle "
                "est infinie.",
                "number",
                0.6,
                minimum=0,
            ),
        ],
        "primaryKey": "id",
    }


def signalements_schema(channels: dict[str, str]) -> dict[str, Any]:
    """Table Schema of ``signalements.csv``; ``channels`` are the reference data's (code → label)."""
    severities = {str(s): SEVERITY_LABELS[s] for s in Severity}
    return {
        **_head(
            "signalements",
            "Signalements reçus chaque semaine",
            "Nombre de signalements d'usagers reçus chaque semaine (du lundi au dimanche, heure de Paris), par "
            "administration, démarche, département, canal et gravité. Ce n'est pas un fichier d'un signalement par "
            f"ligne : une combinaison qui compte moins de {SMALL_CELL} signalements dans la semaine n'est pas "
            "publiée (la ligne est omise), pour qu'aucune personne ne puisse être reconnue. Seules les semaines "
            "complètes sont publiées. Aucun texte, aucune coordonnée.",
        ),
        "fields": [
            _field(
                "semaine",
                "Semaine",
                "Lundi de la semaine (heure de Paris) où les signalements ont été reçus, au format AAAA-MM-JJ.",
                "date",
                "2026-11-23",
                required=True,
            ),
            *_administration_fields(),
            _field(
                "code_departement",
                "Code du département",
                "Code INSEE du département de l'usager (2A, 2B et 971 à 976 compris).",
                "string",
                "59",
                required=True,
                pattern=DEPARTEMENT,
            ),
            _field("departement", "Département", "Nom du département.", "string", "Nord", required=True),
            _field(
                "canal",
                "Canal",
                f"Comment l'usager faisait sa démarche. Valeurs : {_listing(channels)}.",
                "string",
                "telephone",
                required=True,
                enum=list(channels),
            ),
            _field(
                "gravite",
                "Gravité",
                f"Gravité déclarée par l'usager. Valeurs : {_listing(severities)}.",
                "string",
                "blocage",
                required=True,
                enum=list(severities),
            ),
            _field(
                "nombre_signalements",
                "Nombre de signalements",
                f"Signalements reçus cette semaine-là pour cette combinaison : jamais moins de {SMALL_CELL}, les "
                "combinaisons plus rares n'étant pas publiées.",
                "integer",
                12,
                required=True,
                minimum=SMALL_CELL,
            ),
        ],
    }


RESOURCES = (
    ("irritants", "irritants.csv", "schema-irritants.json", "Irritants des usagers des services publics"),
    ("signalements", "signalements.csv", "schema-signalements.json", "Signalements reçus chaque semaine"),
)


def datapackage(today: dt.date, public_url: str | None) -> dict[str, Any]:
    """``datapackage.json``: the dataset, its licence, its source and its two resources (paths relative to it)."""
    source: dict[str, Any] = {
        "title": "Signalements déposés par les usagers des services publics (formulaire, API, imports des "
        "administrations) et décisions des équipes qui les traitent",
    }
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": "irritants-usagers-services-publics",
        "title": "Irritants des usagers des services publics",
        "description": "Les blocages que rencontrent les usagers dans leurs démarches administratives, tels qu'ils "
        "les signalent, et ce que les start-ups d'État en corrigent : une ligne par irritant public, et les "
        "signalements reçus comptés par semaine (petits effectifs non publiés). Données anonymisées, produites "
        "chaque jour.",
        "licenses": [LICENCE],
        "sources": [source],
        "keywords": ["irritants", "services publics", "démarches administratives", "start-ups d'État", "usagers"],
        "version": VERSION,
        "created": dt.datetime.combine(today, dt.time(), tzinfo=PARIS).isoformat(),
        "resources": [
            {
                "name": name,
                "path": path,
                "profile": "tabular-data-resource",
                "title": title,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": schema,
            }
            for name, path, schema, title in RESOURCES
        ],
    }
    if public_url:
        base = public_url.rstrip("/")
        source["path"] = base
        package["homepage"] = f"{base}/statistiques"
    return package
