"""Bodies and answers of the sprints and backlog items API (``irritants.api.sprints``): one schema per input, French
errors naming the field."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from irritants.api.deprecation import OldSpelling, described
from irritants.paging import PageQuerySchema, page_schema, sort_field
from irritants.squads.backlog import ITEM_SORTS, SPRINT_SORTS
from irritants.squads.schemas import MAX_VERSION
from irritants.squads.sprints import ItemState, SprintState, Unfinished

# --- inputs -----------------------------------------------------------------------------------------------------


# The items' filters before the one rule of every list (a squad's backlog says « none » as the backlog's squad
# filter does): still understood, and announced as deprecated until their sunset.
LEGACY_ITEM_FILTERS = (
    OldSpelling("sprint_id", None, "sprint=<id>"),
    OldSpelling("backlog", None, "sprint=none"),
)
_SPRINT_MESSAGE = "Un identifiant de sprint ou none est attendu."


class ItemQuerySchema(PageQuerySchema):
    sprint = fields.String(
        validate=validate.Regexp(r"^(none|[1-9][0-9]{0,9})$", error=_SPRINT_MESSAGE),
        metadata={"description": "Les éléments de ce sprint seulement (son identifiant), ou none : le backlog produit "
                  "(éléments sans sprint)"},
    )  # fmt: skip
    sprint_id = fields.Integer(
        validate=validate.Range(min=1, max=MAX_VERSION, error="Identifiant invalide."),
        error_messages={"invalid": "Un identifiant de sprint est attendu."},
        metadata={"description": "Déprécié : " + described(LEGACY_ITEM_FILTERS[:1]), "deprecated": True},
    )
    backlog = fields.Boolean(
        error_messages={"invalid": "true ou false attendu."},
        metadata={"description": "Déprécié : " + described(LEGACY_ITEM_FILTERS[1:]), "deprecated": True},
    )
    state = fields.Enum(
        ItemState,
        by_value=True,
        error_messages={"unknown": "État inconnu. Attendu : todo, in_progress ou done."},
        metadata={"description": "Les éléments dans cet état seulement"},
    )
    sort = sort_field(ITEM_SORTS, "rank")

    @ma.post_load
    def _sprint(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """``sprint`` as the service reads it (``sprint_id``, ``backlog``), the former spellings too."""
        sprint = data.pop("sprint", None)
        if sprint is not None and ("sprint_id" in data or "backlog" in data):
            raise ma.ValidationError("sprint remplace sprint_id et backlog : donnez-en un seul.", "sprint")
        if sprint == "none":
            data["backlog"] = True
        elif sprint is not None:
            if int(sprint) > MAX_VERSION:
                raise ma.ValidationError(_SPRINT_MESSAGE, "sprint")
            data["sprint_id"] = int(sprint)
        data.setdefault("backlog", False)
        return data


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


class VelocitySprintSchema(ma.Schema):
    id = fields.Integer()
    number = fields.Integer(metadata={"description": "Numéro du sprint dans la start-up d'État"})
    starts_on = fields.Date(metadata={"description": "Premier jour"})
    ends_on = fields.Date(metadata={"description": "Dernier jour"})
    closed_at = fields.DateTime(allow_none=True, metadata={"description": "Fin effective (clôture du sprint)"})
    points_done = fields.Integer(metadata={"description": "Points des éléments du sprint faits à sa clôture"})
    irritants_fixed = fields.Integer(
        metadata={"description": "Irritants liés à ses éléments déclarés corrigés pendant le sprint"}
    )


class VelocitySchema(ma.Schema):
    squad = fields.String(metadata={"description": "Identifiant de la start-up d'État"})
    sprints = fields.List(
        fields.Nested(VelocitySprintSchema),
        metadata={"description": "Ses derniers sprints terminés (6 au plus), le plus ancien d'abord"},
    )


SprintPageSchema = page_schema(SprintOutSchema, "SprintPage", "Sprints, dans l'ordre demandé")
ItemPageSchema = page_schema(ItemOutSchema, "BacklogItemPage", "Éléments de backlog, dans l'ordre demandé")


class SprintQuerySchema(PageQuerySchema):
    sort = sort_field(SPRINT_SORTS, "-number")
