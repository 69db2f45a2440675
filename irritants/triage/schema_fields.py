"""The fields every triage input is made of (an id, a list of ids, a text, the transfer's confirmation) and the
parts every decision shares (its reason or reply template, the version decided on), with their French messages.
The inputs themselves are in ``schemas.py``: one schema per input, shared by the back-office forms and the API."""

from __future__ import annotations

from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import fields, validate

from irritants.forms import InputSchema
from irritants.triage.workflow import REASON_MAX

MAX_ID = 2**31 - 1
REQUIRED = "Ce champ est obligatoire."
NUMBER = "Indiquez un numéro d'irritant (des chiffres uniquement)."
NO_SQUAD = "none"  # the back-office's « Aucune » start-up d'État (null in JSON)
CHOOSE_SQUAD = "Choisissez une start-up d'État, ou « Aucune »."


def id_field(
    description: str, *, invalid: str = "Identifiant invalide.", required: str | None = None, **kwargs: Any
) -> fields.Integer:
    """An identifier: required when ``required`` (its message) is given."""
    return fields.Integer(
        strict=True,
        required=required is not None,
        validate=validate.Range(min=1, max=MAX_ID, error=invalid),
        error_messages={"required": required or REQUIRED, "null": required or REQUIRED, "invalid": invalid},
        metadata={"description": description},
        **kwargs,
    )


def ids_field(description: str, *, least: str, most: int, too_many: str, invalid: str = "Identifiant invalide.") -> Any:
    return fields.List(
        id_field("Identifiant", invalid=invalid),
        required=True,
        validate=[validate.Length(min=1, error=least), validate.Length(max=most, error=too_many)],
        error_messages={"required": least, "null": least, "invalid": "Une liste d'identifiants est attendue."},
        metadata={"description": description},
    )


def text_field(
    description: str, most: int, *, too_long: str = "", required: str = "", least: int = 0, short: str = ""
) -> fields.String:
    """A text field: optional (null allowed) unless ``required`` (its message) is given."""
    checks = [validate.Length(max=most, error=too_long or f"{most} caractères au plus.")]
    if least:
        checks.insert(0, validate.Length(min=least, error=short or f"{least} caractères au moins."))
    return fields.String(
        required=bool(required),
        allow_none=not required,
        load_default=ma.missing if required else None,
        validate=checks,
        error_messages={
            "required": required or REQUIRED,
            "null": required or REQUIRED,
            "invalid": "Un texte est attendu.",
        },
        metadata={"description": description},
    )


def confirm_transfer_field() -> fields.Boolean:
    return fields.Boolean(
        load_default=False,
        error_messages={"invalid": "true ou false attendu."},
        metadata={
            "description": "true pour confier l'irritant à une start-up d'État dont l'agent n'est pas membre : il n'y "
            "pourra plus rien décider (seuls ses responsables produit et les administrateurs le pourront, ou le lui "
            "rendre). Sans lui, une telle demande répond 422 et ne change rien."
        },
    )


class Decision(InputSchema):
    reason = text_field(
        "Motif, gardé dans l'historique de l'irritant",
        REASON_MAX,
        too_long=f"Le motif ne doit pas dépasser {REASON_MAX} caractères.",
    )
    template_id = id_field(
        "Modèle de réponse dont le texte sert de motif (suivi du motif s'il y en a un)",
        invalid="Modèle de réponse inconnu.",
        allow_none=True,
        load_default=None,
    )

    FORM_NAMES: ClassVar[dict[str, str]] = {"reason": "motif", "template_id": "modele"}


class Versioned(Decision):
    expected_version = id_field(
        "Version de l'irritant sur laquelle l'agent a décidé (ou en-tête If-Match) : 409 si elle a changé",
        invalid="Version invalide.",
        allow_none=True,
        load_default=None,
    )
