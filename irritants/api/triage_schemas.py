"""Schemas of ``/api/v1/triage``: JSON bodies of the decisions (French messages, unknown fields refused)
and the back-office views of irritants, reports, events and reply templates."""

from __future__ import annotations

from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import fields, validate

from irritants.api.schemas import KnownAdministrationMixin
from irritants.intake.models import Moderation, Severity, StatusKind
from irritants.paging import page_schema
from irritants.triage.backlog import BacklogQuerySchema
from irritants.triage.decisions import BULK_OPERATIONS, STATUS_LABELS_AGENT
from irritants.triage.merges import MERGE_MAX
from irritants.triage.models import Cluster
from irritants.triage.splits import SPLIT_MAX
from irritants.triage.workflow import LABEL_MAX, LABEL_MIN, REASON_MAX

MAX_ID = 2**31 - 1
REQUIRED = "Ce champ est obligatoire."


def _id(description: str, *, required: bool = False, allow_none: bool = False, **kwargs: Any) -> fields.Integer:
    return fields.Integer(
        required=required,
        allow_none=allow_none,
        strict=True,
        validate=validate.Range(min=1, max=MAX_ID, error="Identifiant invalide."),
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": "Un identifiant entier est attendu."},
        metadata={"description": description},
        **kwargs,
    )


def _ids(description: str, most: int) -> fields.List:
    return fields.List(
        _id("Identifiant"),
        required=True,
        validate=validate.Length(min=1, max=most, error=f"Entre 1 et {most} identifiants."),
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": "Une liste d'identifiants est attendue."},
        metadata={"description": description},
    )


def _text(description: str, most: int, *, required: bool = False, least: int = 0) -> fields.String:
    message = f"Entre {least} et {most} caractères." if least else f"{most} caractères au plus."
    return fields.String(
        required=required,
        allow_none=not required,
        load_default=None if not required else ma.missing,
        validate=validate.Length(min=least, max=most, error=message),
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": "Un texte est attendu."},
        metadata={"description": description},
    )


class _Body(ma.Schema):
    """A JSON object; a field the API does not know is an error (422), never silently ignored."""

    error_messages: ClassVar[dict[str, str]] = {"unknown": "Champ inconnu.", "type": "Un objet JSON est attendu."}


class _Decision(_Body):
    reason = _text("Motif, gardé dans l'historique de l'irritant", REASON_MAX)
    template_id = _id("Modèle de réponse dont le texte sert de motif (suivi du motif s'il y en a un)", allow_none=True)


class _Versioned(_Decision):
    expected_version = _id(
        "Version de l'irritant sur laquelle l'agent a décidé (ou en-tête If-Match) : 409 si elle a changé",
        allow_none=True,
    )


class TriageReasonBodySchema(_Decision):
    """Unmerge: nothing but the reason."""


class TriageStatusBodySchema(_Versioned):
    to = fields.Enum(
        StatusKind,
        by_value=True,
        required=True,
        error_messages={"required": "Choisissez le nouveau statut.", "null": REQUIRED, "unknown": "Statut inconnu."},
        metadata={"description": "Nouveau statut (voir `allowed_transitions` du détail)"},
    )
    routed_to = _text("Service à qui l'irritant a été transmis (obligatoire pour not_our_scope)", 500)
    duplicate_of = _id("Irritant dont celui-ci est le doublon (obligatoire pour duplicate)", allow_none=True)
    public_note = _text(
        "Note publique, montrée aux usagers sur la page de suivi de leurs signalements (le motif ne l'est jamais) ; "
        "sans donnée personnelle",
        1000,
    )


class TriageMergeBodySchema(_Versioned):
    source_ids = _ids("Irritants fusionnés dans celui-ci (ils deviennent ses doublons)", MERGE_MAX)
    expected_versions = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\d{1,10}$", error="Identifiant invalide.")),
        values=fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID, error="Version invalide.")),
        load_default=None,
        allow_none=True,
        error_messages={"invalid": "Un objet {{ identifiant : version }} est attendu."},  # format() braces
        metadata={"description": "Version vue de chaque irritant fusionné, par identifiant"},
    )


class TriageSplitBodySchema(_Versioned):
    report_ids = _ids("Signalements qui forment le nouvel irritant", SPLIT_MAX)
    label = _text("Libellé du nouvel irritant (sinon, calculé)", LABEL_MAX)


def _confirm_transfer() -> fields.Boolean:
    return fields.Boolean(
        load_default=False,
        error_messages={"invalid": "true ou false attendu."},
        metadata={
            "description": "true pour confier l'irritant à une start-up d'État dont l'agent n'est pas membre : il n'y "
            "pourra plus rien décider (seuls ses responsables produit et les administrateurs le pourront, ou le lui "
            "rendre). Sans lui, une telle demande répond 422 et ne change rien."
        },
    )


class TriageAssignBodySchema(_Versioned):
    squad_id = _id("Start-up d'État (null : plus aucune)", required=True, allow_none=True)
    confirm_transfer = _confirm_transfer()


class TriagePinBodySchema(_Versioned):
    pinned = fields.Boolean(
        required=True,
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": "true ou false attendu."},
        metadata={"description": "Épinglé : le regroupement automatique garde ses signalements ensemble"},
    )


class TriageLabelBodySchema(_Versioned):
    label = _text("Nouveau libellé (verrouillé ensuite)", LABEL_MAX, required=True, least=LABEL_MIN)
    keywords = fields.List(
        fields.String(validate=validate.Length(min=1, max=60, error="Entre 1 et 60 caractères.")),
        load_default=list,
        validate=validate.Length(max=12, error="12 mots-clés au plus."),
        error_messages={"invalid": "Une liste de mots-clés est attendue."},
    )


class TriageMoveBodySchema(_Decision):
    to_cluster_id = _id("Irritant qui reçoit le signalement", required=True)


class TriageBulkBodySchema(_Decision):
    cluster_ids = _ids("Irritants concernés : la décision s'applique à ceux qui peuvent la recevoir", 200)
    operation = fields.String(
        required=True,
        validate=validate.OneOf(BULK_OPERATIONS, error="Action inconnue : " + ", ".join(BULK_OPERATIONS) + "."),
        error_messages={"required": REQUIRED, "null": REQUIRED},
    )
    to = fields.Enum(
        StatusKind, by_value=True, load_default=None, allow_none=True, error_messages={"unknown": "Statut inconnu."}
    )
    squad_id = _id("Start-up d'État (assign)", allow_none=True, load_default=None)
    routed_to = _text("Service destinataire (status → not_our_scope)", 500)
    confirm_transfer = _confirm_transfer()


class TriageTemplateCreateSchema(_Body):
    title = _text("Titre du modèle", 200, required=True, least=1)
    body = _text("Texte du modèle", REASON_MAX, required=True, least=1)
    squad_id = _id("Start-up d'État (absent ou null : modèle partagé)", allow_none=True, load_default=None)


class TriageTemplatePatchSchema(_Body):
    title = _text("Titre du modèle", 200, least=1)
    body = _text("Texte du modèle", REASON_MAX, least=1)


class TriageBacklogQuerySchema(KnownAdministrationMixin, BacklogQuerySchema):
    """The backlog's query string (one schema with the back-office page), unknown administration in the same 422."""


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


TriageReportPageSchema = page_schema(TriageReportRowSchema, "TriageReportPage", "Du plus récent au plus ancien")


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


TriageEventPageSchema = page_schema(TriageEventSchema, "TriageEventPage", "Du plus récent au plus ancien")


class TriageTemplateSchema(ma.Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    squad_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


TriageTemplatePageSchema = page_schema(
    TriageTemplateSchema, "TriageTemplatePage", "Modèles partagés, puis ceux des start-ups d'État, par titre"
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
