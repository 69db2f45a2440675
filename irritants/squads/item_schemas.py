"""What creating, changing and moving a backlog item take: one schema per input, shared by the API's JSON bodies
(``api/sprints.py``) and the squads' back-office forms (``teams/``), so both doors give the same French messages.

A form names some fields in French (``FORM_NAMES``) and types the irritants as numbers separated by commas; in the
edit form a blank « points » means « no estimate » and a blank description clears it (a field the form does not
send stays as it is); the sprint select's « backlog » choice is the product backlog (null in JSON).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import fields, validate
from werkzeug.datastructures import MultiDict

from irritants.forms import InputSchema
from irritants.squads.backlog import TITLE_MAX
from irritants.squads.schemas import MAX_VERSION, REQUIRED, text_field, version_field
from irritants.squads.sprints import ItemState

DESCRIPTION_MAX = 10_000
LINKS_MAX = 50
#: The sprint select's value for « product backlog » (no sprint).
BACKLOG = "backlog"
NUMBERS_ONLY = "Séparez les numéros d'irritants par des virgules (ex. 12, 34)."


def _id(description: str, **kwargs: Any) -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_VERSION, error="Identifiant invalide."),
        error_messages={"invalid": "Un identifiant (nombre entier) est attendu."},
        metadata={"description": description},
        **kwargs,
    )


def _cluster_ids() -> fields.List:
    return fields.List(
        _id("Identifiant d'irritant"),
        validate=validate.Length(max=LINKS_MAX, error=f"{LINKS_MAX} irritants au plus."),
        error_messages={"invalid": "Une liste d'identifiants d'irritants est attendue.", "null": REQUIRED},
        metadata={
            "description": "Irritants sur lesquels porte l'élément (la liste entière : elle remplace l'ancienne)"
        },
    )


def _points() -> fields.Integer:
    return fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=0, max=MAX_VERSION, error="Les points sont un nombre entier positif ou nul."),
        error_messages={"invalid": "Les points sont un nombre entier positif ou nul (ou null)."},
        metadata={"description": "Estimation en points (entier positif ou nul ; null : pas d'estimation)"},
    )


def irritant_numbers(typed: str) -> list[int] | None:
    """Irritant numbers typed in a form (« 12, 34 ; n° 56 »), in order, each once; None if anything else is typed."""
    if re.search(r"[^\d\s,;n°º#]", typed):
        return None
    return list(dict.fromkeys(int(n) for n in re.findall(r"\d{1,10}", typed)))


class _ItemForm(InputSchema):
    FORM_NAMES: ClassVar[dict[str, str]] = {"cluster_ids": "irritants", "sprint_id": "sprint"}
    _bad_numbers = False

    def read_form(self, form: MultiDict) -> dict[str, Any]:
        data = super().read_form(MultiDict([(k, v) for k, v in form.items(multi=True) if k != "irritants"]))
        if "sprint_id" in self.load_fields and form.get("sprint", "").strip() == BACKLOG:
            data["sprint_id"] = None
        if "cluster_ids" in self.load_fields and form.get("irritants", "").strip():
            numbers = irritant_numbers(form["irritants"])
            self._bad_numbers = numbers is None
            if numbers:
                data["cluster_ids"] = numbers
        return data

    @ma.validates_schema(skip_on_field_errors=False)
    def _numbers_only(self, _data: dict[str, Any], **_: Any) -> None:
        # Said with the other fields' messages, not instead of them.
        if self._bad_numbers:
            raise ma.ValidationError(NUMBERS_ONLY, "cluster_ids")


class ItemCreateSchema(_ItemForm):
    title = fields.String(
        required=True,
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": "Un texte est attendu."},
        metadata={"description": f"Titre ({TITLE_MAX} caractères au plus)"},
    )
    description = text_field("Description", DESCRIPTION_MAX)
    points = _points()
    sprint_id = _id("Sprint de la start-up d'État (absent ou null : backlog produit)", allow_none=True)
    cluster_ids = _cluster_ids()


class ItemPatchSchema(_ItemForm):
    title = fields.String(
        error_messages={"null": REQUIRED, "invalid": "Un texte est attendu."}, metadata={"description": "Titre"}
    )
    description = text_field("Description", DESCRIPTION_MAX)
    state = fields.Enum(
        ItemState,
        by_value=True,
        error_messages={"unknown": "État inconnu. Attendu : todo, in_progress ou done.", "null": REQUIRED},
        metadata={"description": "todo (à faire), in_progress (en cours), done (fait)"},
    )
    points = _points()
    sprint_id = _id("Sprint ouvert de la start-up d'État ; null : retour au backlog produit", allow_none=True)
    rank = fields.Integer(
        strict=True,
        validate=validate.Range(min=-(2**30) + 1, max=2**30 - 1, error="Rang invalide."),
        error_messages={"invalid": "Le rang est un nombre entier.", "null": REQUIRED},
        metadata={"description": "Rang dans le backlog (plus petit d'abord) ; celui qui l'occupait descend d'un cran"},
    )
    cluster_ids = _cluster_ids()
    expected_version = version_field(
        "Version vue (champ version) : 409 si l'objet a changé entre-temps, rien n'est fait"
    )

    def read_form(self, form: MultiDict) -> dict[str, Any]:
        data = super().read_form(form)
        # The edit form sends every field: a blank one is « none » (no estimate, no description, no title: refused).
        for name, blank in (("points", None), ("description", ""), ("title", "")):
            if name in form and not form[name].strip():
                data[name] = blank
        return data


class ItemMoveSchema(InputSchema):
    """The board's and product backlog's « Monter », « Descendre », « En haut » buttons (the API sets ``rank``)."""

    move = fields.String(
        required=True,
        validate=validate.OneOf(("up", "down", "top"), error="Déplacement inconnu : monter, descendre ou en haut."),
        error_messages={"required": "Choisissez où déplacer l'élément.", "null": REQUIRED},
    )
    expected_version = version_field("Version vue de l'élément : 409 s'il a changé entre-temps")
