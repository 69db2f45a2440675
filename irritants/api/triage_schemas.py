"""Schemas of ``/api/v1/triage``: the back-office views of irritants, reports, events and reply templates. The
decisions' bodies are the triage domain's schemas (``irritants.triage.schemas``), one per input with the
back-office forms."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields

from irritants.api.deprecation import OldSpelling, described
from irritants.api.schemas import KnownAdministrationMixin
from irritants.audit.services import EVENT_SORTS
from irritants.clusters.models import Cluster
from irritants.intake.models import Moderation, Severity
from irritants.paging import PageQuerySchema, page_schema, sort_field
from irritants.status import STATUS_LABELS_AGENT, StatusKind
from irritants.triage.services import LEGACY_SORTS, REPORT_SORTS, SORT_FIELDS, BacklogQuerySchema

# The backlog's sort values before the one rule of every list, still accepted until their sunset.
LEGACY_BACKLOG_SORTS = tuple(OldSpelling("sort", old, f"sort={new}") for old, new in LEGACY_SORTS.items())


class TriageBacklogQuerySchema(KnownAdministrationMixin, BacklogQuerySchema):
    """The backlog's query string (one schema with the back-office page), unknown administration in the same 422."""

    sort = sort_field(SORT_FIELDS, "-score", legacy=LEGACY_SORTS, note="Dépréciés : " + described(LEGACY_BACKLOG_SORTS))


class TriageReportQuerySchema(PageQuerySchema):
    sort = sort_field(REPORT_SORTS, "-created_at")


class TriageEventQuerySchema(PageQuerySchema):
    sort = sort_field(EVENT_SORTS, "-created_at")


# --- answers ----------------------------------------------------------------------------------------------


class TriageStatusChoiceSchema(ma.Schema):
    status = fields.Enum(StatusKind, by_value=True)
    label = fields.String()


class TriageLinkedClusterSchema(ma.Schema):
    id = fields.Integer()
    label = fields.String()
    status = fields.Enum(StatusKind, by_value=True)


class TriageSquadRefSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()


class TriageClusterItemSchema(ma.Schema):
    id = fields.Integer()
    version = fields.Integer(metadata={"description": "À renvoyer en expected_version (ou If-Match)"})
    label = fields.String()
    label_locked = fields.Boolean()
    keywords = fields.List(fields.String())
    status = fields.Enum(StatusKind, by_value=True)
    status_label = fields.String(metadata={"description": "Libellé du statut pour les agents"})
    size = fields.Integer()
    supporters = fields.Integer()
    people = fields.Integer(metadata={"description": "Personnes distinctes, comptées une fois"})
    territories = fields.Integer()
    administrations = fields.Integer()
    score = fields.Float()
    pinned = fields.Boolean()
    squad = fields.Nested(TriageSquadRefSchema, allow_none=True)
    updated_at = fields.DateTime()


TriageClusterPageSchema = page_schema(TriageClusterItemSchema, "TriageClusterPage", "Irritants dans l'ordre demandé")


class TriageTerritoryShareSchema(ma.Schema):
    code = fields.String()
    name = fields.String()
    region = fields.String()
    reports = fields.Integer()
    share = fields.Float()


class TriageClusterDetailSchema(TriageClusterItemSchema):
    routed_to = fields.String(allow_none=True)
    duplicate_of = fields.Nested(TriageLinkedClusterSchema, allow_none=True)
    duplicates = fields.List(
        fields.Nested(TriageLinkedClusterSchema),
        metadata={"description": "Irritants marqués doublons de celui-ci (dont ceux fusionnés ici)"},
    )
    allowed_transitions = fields.List(fields.Nested(TriageStatusChoiceSchema))
    score_breakdown = fields.Dict()
    territorial_breakdown = fields.List(fields.Nested(TriageTerritoryShareSchema))
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    fixed_at = fields.DateTime(allow_none=True)
    fixed_on = fields.Date(
        allow_none=True,
        metadata={"description": "Jour de livraison du dernier correctif déclaré (« correctif livré »)"},
    )


class TriageSkippedSchema(ma.Schema):
    id = fields.Integer(metadata={"description": "Irritant laissé tel quel"})
    reason = fields.String(metadata={"description": "Pourquoi il n'a pas reçu la décision (en français)"})


class TriageBulkResultSchema(ma.Schema):
    changed = fields.List(
        fields.Nested(TriageClusterItemSchema),
        metadata={"description": "Irritants modifiés, dans l'ordre de la demande (un événement d'historique chacun)"},
    )
    skipped = fields.List(
        fields.Nested(TriageSkippedSchema),
        metadata={"description": "Irritants laissés tels quels, chacun avec sa raison (aucun événement)"},
    )


class TriageReportRowSchema(ma.Schema):
    id = fields.Integer()
    reference = fields.String()
    created_at = fields.DateTime()
    text = fields.String(allow_none=True, metadata={"description": "Anonymisé, sauf pour qui peut modérer"})
    raw = fields.Boolean(metadata={"description": "Texte brut (droit de modération sur l'irritant) ou anonymisé"})
    hidden = fields.Boolean(metadata={"description": "Texte en attente de modération, non montré"})
    original = fields.String(
        allow_none=True,
        metadata={
            "description": "Texte d'origine d'un signalement dont la modération a masqué des passages : seulement "
            "pour qui peut modérer, et supprimé après la durée de conservation"
        },
    )
    moderation = fields.Enum(Moderation, by_value=True)
    administration = fields.String()
    procedure = fields.String(allow_none=True)
    territory_code = fields.String()
    territory = fields.String()
    channel = fields.String()
    severity = fields.Enum(Severity, by_value=True)
    severity_label = fields.String()
    assisted = fields.Boolean()
    cluster_locked = fields.Boolean()
    representative = fields.Boolean()


TriageReportPageSchema = page_schema(TriageReportRowSchema, "TriageReportPage", "Dans l'ordre demandé (sort)")


class TriageMovedReportSchema(ma.Schema):
    id = fields.Integer()
    cluster_id = fields.Integer()
    cluster_locked = fields.Boolean()
    status = fields.Enum(StatusKind, by_value=True)


class TriageEventSchema(ma.Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    subject_type = fields.String()
    subject_id = fields.Integer(allow_none=True)
    before = fields.Dict()
    after = fields.Dict()
    reason = fields.String(allow_none=True)


TriageEventPageSchema = page_schema(TriageEventSchema, "TriageEventPage", "Dans l'ordre demandé (sort)")


class TriageTemplateSchema(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    squad_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


TriageTemplatePageSchema = page_schema(
    TriageTemplateSchema,
    "TriageTemplatePage",
    "Modèles partagés, puis ceux des start-ups d'État, chaque groupe dans l'ordre demandé",
)


def cluster_item(cluster: Cluster, squads: dict[int, str]) -> dict[str, Any]:
    """An irritant as the backlog lists it (``squads``: names by id)."""
    return {
        "id": cluster.id,
        "version": cluster.version,
        "label": cluster.label,
        "label_locked": cluster.label_locked,
        "keywords": list(cluster.keywords or []),
        "status": cluster.status,
        "status_label": STATUS_LABELS_AGENT[cluster.status],
        "size": cluster.size,
        "supporters": cluster.supporters,
        "people": cluster.people,
        "territories": cluster.territories,
        "administrations": cluster.administrations,
        "score": cluster.score,
        "pinned": cluster.pinned,
        "squad": {"id": cluster.squad_id, "name": squads.get(cluster.squad_id, "")} if cluster.squad_id else None,
        "updated_at": cluster.updated_at,
    }


def linked(cluster: Cluster) -> dict[str, Any]:
    """A reference to another irritant."""
    return {"id": cluster.id, "label": cluster.label, "status": cluster.status}


# --- merge suggestions ------------------------------------------------------------------------------------


class TriageSuggestedClusterSchema(TriageLinkedClusterSchema):
    version = fields.Integer(metadata={"description": "À renvoyer dans expected_versions de la fusion"})
    size = fields.Integer()


class TriageSuggestionSchema(ma.Schema):
    keep = fields.Nested(
        TriageSuggestedClusterSchema,
        metadata={"description": "Irritant conservé par la fusion : le plus grand, puis le plus ancien"},
    )
    merge = fields.Nested(TriageSuggestedClusterSchema, metadata={"description": "Irritant fusionné dans le premier"})
    similarity = fields.Float(metadata={"description": "Similarité cosinus des deux centroïdes (0 à 1)"})
    closeness = fields.String(metadata={"description": "La même, en mots : très proches, proches, assez proches"})


class TriageSuggestionQuerySchema(ma.Schema):
    limit = fields.Integer(
        load_default=5,
        validate=ma.validate.Range(min=1, max=50, error="limit : de 1 à 50."),
        error_messages={"invalid": "limit : de 1 à 50."},
        metadata={"description": "Nombre de paires au plus (1 à 50)"},
    )


def suggestion(item: Any) -> dict[str, Any]:
    """A merge suggestion (``triage.Suggestion``) as the API shows it."""
    return {
        "keep": item.keep,
        "merge": item.merge,
        "similarity": round(item.similarity, 4),
        "closeness": item.closeness,
    }
