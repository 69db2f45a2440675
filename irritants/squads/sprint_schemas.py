"""The inputs of a squad's sprints, one schema each, shared by the API (``api/sprints.py``) and the squads' pages
(``teams/sprints.py``): French errors naming the field; a posted form is read into the same fields."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields

from irritants.forms import InputSchema
from irritants.squads.schemas import REQUIRED, text_field, version_field
from irritants.squads.sprints import SprintState, Unfinished

GOAL_MAX = 2000
NOTES_MAX = 10_000
DATE_ERRORS = {"invalid": "Date invalide : AAAA-MM-JJ attendu.", "required": REQUIRED, "null": REQUIRED}


class SprintCreateSchema(InputSchema):
    starts_on = fields.Date(required=True, error_messages=DATE_ERRORS, metadata={"description": "Premier jour"})
    ends_on = fields.Date(required=True, error_messages=DATE_ERRORS, metadata={"description": "Dernier jour"})
    goal = text_field("Objectif du sprint", GOAL_MAX)


class SprintPatchSchema(InputSchema):
    starts_on = fields.Date(error_messages=DATE_ERRORS, metadata={"description": "Premier jour (pas une fois terminé)"})
    ends_on = fields.Date(error_messages=DATE_ERRORS, metadata={"description": "Dernier jour (pas une fois terminé)"})
    goal = text_field("Objectif du sprint", GOAL_MAX)
    review_notes = text_field("Notes de revue", NOTES_MAX)
    state = fields.Enum(
        SprintState,
        by_value=True,
        error_messages={
            "unknown": "État inconnu. Attendu : active (commencer) ou closed (terminer).",
            "null": REQUIRED,
        },
        metadata={"description": "active : commencer le sprint ; closed : le terminer (avec unfinished)"},
    )
    unfinished = fields.Enum(
        Unfinished,
        by_value=True,
        error_messages={"unknown": "Attendu : next_sprint ou backlog.", "null": REQUIRED},
        metadata={"description": "À la clôture : où vont les éléments non terminés (sprint suivant ou backlog)"},
    )
    expected_version = version_field(
        "Version vue (champ version) : 409 si l'objet a changé entre-temps, rien n'est fait"
    )

    @ma.validates_schema
    def _closing(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("state") == SprintState.CLOSED and "unfinished" not in data:
            raise ma.ValidationError(
                "Dites où vont les éléments non terminés : le sprint suivant (next_sprint) ou le backlog produit "
                "(backlog).",
                "unfinished",
            )
        if "unfinished" in data and data.get("state") != SprintState.CLOSED:
            raise ma.ValidationError("Seulement à la clôture du sprint (state: closed).", "unfinished")
