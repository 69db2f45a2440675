"""What creating, editing a squad and changing its phase take: one schema per input, for the command line and the
API alike (the same French messages whichever door the input came through); the squads service checks the rules
that need the database (unique name and slug, known administration, the phase table, dates)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from irritants.forms import InputSchema
from irritants.sanitize import clean_line, clean_text
from irritants.squads.phases import NOTE_MAX, STARTS, SquadPhase

NAME_MAX = 200
SLUG_MAX = 100
MISSION_MAX = 2000
INCUBATOR_MAX = 120
URL_MAX = 300
MAX_VERSION = 2**31 - 1
REQUIRED = "Ce champ est obligatoire."
LINKS = ("product_url", "repository_url", "stats_url")
PROFILE_FIELDS = ("name", "mission", "administration", "incubator", *LINKS)
SLUG_MESSAGE = "Identifiant : lettres minuscules sans accent, chiffres et tirets (ex. rendez-vous-prefecture)."
URL_MESSAGE = "Adresse invalide : une adresse complète en https:// est attendue (ex. https://exemple.beta.gouv.fr)."
# Texts the public page shows as typed: like a public note on an irritant, no phone number, email, NIR, IBAN… (the
# doors check them with intake's redaction, which sits above squads).
PUBLIC_TEXTS = {"mission": "La mission", "note": "La note", "incubator": "L'incubateur", "name": "Le nom"}


def personal_data_errors(data: dict[str, Any], has_personal_data: Callable[[str], bool]) -> dict[str, list[str]]:
    """The public texts of a squad's input in which ``has_personal_data`` (the intake's detector, handed in by the
    door: squads sit below intake) finds some, each with its French message."""
    return {
        field: [f"{what} est publique : retirez-en les données personnelles (numéro, courriel…)."]
        for field, what in PUBLIC_TEXTS.items()
        if isinstance(data.get(field), str) and has_personal_data(data[field])
    }


def _text(description: str, most: int, *, required: bool = False, one_line: bool = True) -> fields.String:
    return fields.String(
        required=required,
        allow_none=not required,
        validate=validate.Length(max=most, error=f"{most} caractères au plus."),
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": "Un texte est attendu."},
        metadata={"description": description, "x-one-line": one_line},
    )


def text_field(description: str, most: int) -> fields.String:
    """An optional free text of at most ``most`` characters (a sprint's goal, an item's description)."""
    return fields.String(
        allow_none=True,
        validate=validate.Length(max=most, error=f"{most} caractères au plus."),
        error_messages={"invalid": "Un texte est attendu."},
        metadata={"description": description},
    )


def _url(description: str) -> fields.Url:
    return fields.Url(
        schemes={"https"},
        require_tld=True,
        allow_none=True,
        validate=validate.Length(max=URL_MAX, error=f"{URL_MAX} caractères au plus."),
        error_messages={"invalid": URL_MESSAGE},
        metadata={"description": description},
    )


def _phase(description: str, **kwargs: Any) -> fields.Enum:
    choices = ", ".join(p.value for p in SquadPhase)
    return fields.Enum(
        SquadPhase,
        by_value=True,
        error_messages={"unknown": f"Phase inconnue. Attendu : {choices}.", "required": REQUIRED, "null": REQUIRED},
        metadata={"description": description},
        **kwargs,
    )


def version_field(
    description: str = "Version vue (champ version) : 409 si la start-up d'État a changé entre-temps",
) -> fields.Integer:
    """``expected_version``: the version the caller saw (1 to 2³¹ − 1, or null)."""
    return fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_VERSION, error="Version invalide."),
        error_messages={"invalid": "Version invalide."},
        metadata={"description": description},
    )


class _Profile(InputSchema):
    mission = _text("Mission (un paragraphe, public)", MISSION_MAX, one_line=False)
    administration = fields.String(
        allow_none=True,
        validate=validate.Length(max=60, error="Administration inconnue."),
        metadata={"description": "Administration qui porte la start-up d'État (identifiant du référentiel)"},
    )
    incubator = _text("Incubateur (ex. « Incubateur des ministères sociaux »)", INCUBATOR_MAX)
    product_url = _url("Site du produit (https)")
    repository_url = _url("Dépôt de code (https)")
    stats_url = _url("Page de statistiques publique (https)")

    @ma.post_load
    def _clean(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        # Blank is absent; texts others will read carry no hidden characters.
        for key in ("name", "incubator"):
            if key in data and data[key] is not None:
                data[key] = clean_line(data[key]) or None
        if data.get("mission") is not None:
            data["mission"] = clean_text(data["mission"]) or None
        for key in ("administration", *LINKS):
            if key in data and data[key] is not None:
                data[key] = data[key].strip() or None
        if "name" in data and not data["name"]:
            raise ma.ValidationError(REQUIRED, "name")
        return data


class SquadCreateSchema(_Profile):
    """A new start-up d'État: its name (slug drawn from it unless given), phase it starts in, and its profile."""

    name = _text("Nom de la start-up d'État", NAME_MAX, required=True)
    slug = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error=SLUG_MESSAGE),
        metadata={"description": "Identifiant court des adresses (par défaut : tiré du nom)"},
    )
    phase = _phase("Phase de départ (investigation par défaut ; jamais une fin)", load_default=SquadPhase.INVESTIGATION)
    started_on = fields.Date(
        allow_none=True,
        error_messages={"invalid": "Date invalide : AAAA-MM-JJ attendu."},
        metadata={"description": "Date de début de cette phase (aujourd'hui par défaut)"},
    )

    @ma.validates("slug")
    def _slug_length(self, value: str | None, **_: Any) -> None:
        if value is not None and len(value) > SLUG_MAX:
            raise ma.ValidationError(f"{SLUG_MAX} caractères au plus.")

    @ma.validates("phase")
    def _not_an_end(self, value: SquadPhase, **_: Any) -> None:
        if value not in STARTS:
            raise ma.ValidationError("Une start-up d'État ne peut pas commencer par une fin (pérennisé, abandon).")


class SquadPatchSchema(_Profile):
    """What an edit may change (absent fields are left as they are; null empties an optional one)."""

    name = _text("Nom de la start-up d'État", NAME_MAX)
    expected_version = version_field()


class SquadPhaseSchema(InputSchema):
    """A move to another phase, with its date and note (the post-mortem of an abandon)."""

    phase = _phase("Nouvelle phase", required=True)
    note = _text("Note publique ; bilan (post-mortem) obligatoire pour un abandon", NOTE_MAX, one_line=False)
    started_on = fields.Date(
        allow_none=True,
        error_messages={"invalid": "Date invalide : AAAA-MM-JJ attendu."},
        metadata={"description": "Date de début de la nouvelle phase (aujourd'hui par défaut)"},
    )
    expected_version = version_field()

    @ma.post_load
    def _clean(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("note") is not None:
            data["note"] = clean_text(data["note"]) or None
        return data
