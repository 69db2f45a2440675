"""Bodies and answers of the sprints and backlog items API (``irritants.api.sprints``): one schema per input, French
errors naming the field."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from irritants.forms import InputSchema
from irritants.paging import PageQuerySchema, page_schema
from irritants.squads import backlog
from irritants.squads.schemas import MAX_VERSION, REQUIRED, version_field
from irritants.squads.sprint_schemas import text_field
from irritants.squads.sprints import ItemState, SprintState, Unfinished

DESCRIPTION_MAX = 10_000
LINKS_MAX = 50


# --- inputs -----------------------------------------------------------------------------------------------------


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


class ItemCreateSchema(InputSchema):
    title = fields.String(
        required=True,
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": "Un texte est attendu."},
        metadata={"description": f"Titre ({backlog.TITLE_MAX} caractères au plus)"},
    )
    description = text_field("Description", DESCRIPTION_MAX)
    points = _points()
    sprint_id = _id("Sprint de la start-up d'État (absent ou null : backlog produit)", allow_none=True)
    cluster_ids = _cluster_ids()


class ItemPatchSchema(InputSchema):
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


class ItemQuerySchema(PageQuerySchema):
    sprint_id = fields.Integer(
        validate=validate.Range(min=1, max=MAX_VERSION, error="Identifiant invalide."),
        error_messages={"invalid": "Un identifiant de sprint est attendu."},
        metadata={"description": "Les éléments de ce sprint seulement"},
    )
    backlog = fields.Boolean(
        load_default=False,
        error_messages={"invalid": "true ou false attendu."},
        metadata={"description": "true : le backlog produit seulement (éléments sans sprint)"},
    )
    state = fields.Enum(
        ItemState,
        by_value=True,
        error_messages={"unknown": "État inconnu. Attendu : todo, in_progress ou done."},
        metadata={"description": "Les éléments dans cet état seulement"},
    )


# --- answers ----------------------------------------------------------------------------------------------------


class SprintOutSchema(ma.Schema):
    id = fields.Integer()
    squad = fields.String(metadata={"description": "Identifiant court de la start-up d'État"})
    number = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date()
    goal = fields.String()
    review_notes = fields.String()
    state = fields.Enum(SprintState, by_value=True)
    state_label = fields.String()
    started_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    unfinished_to = fields.Enum(Unfinished, by_value=True, allow_none=True)
    version = fields.Integer(metadata={"description": "À renvoyer en expected_version"})


class ItemOutSchema(ma.Schema):
    id = fields.Integer()
    squad = fields.String()
    title = fields.String()
    description = fields.String()
    points = fields.Integer(allow_none=True)
    state = fields.Enum(ItemState, by_value=True)
    state_label = fields.String()
    rank = fields.Integer()
    sprint_id = fields.Integer(allow_none=True)
    cluster_ids = fields.List(fields.Integer())
    updated_at = fields.DateTime()
    version = fields.Integer(metadata={"description": "À renvoyer en expected_version"})


class BurndownDaySchema(ma.Schema):
    date = fields.Date()
    points_remaining = fields.Integer(allow_none=True, metadata={"description": "null : jour à venir"})
    scope = fields.Integer(metadata={"description": "Points de tous les éléments du sprint ce jour-là"})
    ideal = fields.Float()
    people_affected = fields.Integer(
        allow_none=True, metadata={"description": "Personnes touchées par les irritants liés non corrigés"}
    )


class BurndownSchema(ma.Schema):
    sprint = fields.Nested(SprintOutSchema)
    days = fields.List(fields.Nested(BurndownDaySchema), metadata={"description": "Un jour par jour du sprint"})


SprintPageSchema = page_schema(SprintOutSchema, "SprintPage", "Sprints, le plus récent d'abord")
ItemPageSchema = page_schema(ItemOutSchema, "BacklogItemPage", "Éléments de backlog, par rang")
