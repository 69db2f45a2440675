"""``/api/v1/moderation``: reports held for moderation, and the moderators' decisions (agents only)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from irritants.api.listing import paged
from irritants.api.spec import BEARER_AUTH, Blueprint
from irritants.auth.access import protect_api_write, require
from irritants.auth.policy import Action
from irritants.db import get_session
from irritants.intake.models import Moderation, Report
from irritants.intake.redaction import detect, redact
from irritants.moderation import masking
from irritants.moderation import services as moderation
from irritants.moderation.schemas import ModerationDecisionSchema
from irritants.paging import PageQuerySchema, page_schema, sort_field

bp = Blueprint(
    "api_moderation", __name__, url_prefix="/api/v1", description="Modération des signalements (responsables produit)"
)

MAX_ID = 2**31 - 1
_SECURITY = [{BEARER_AUTH: []}]


@bp.before_request
def _moderators_only() -> None:
    # Who calls is checked before the view parses its body: an anonymous or unauthorised caller gets 401/403, never
    # a JSON error, and nothing of the body is read for them.
    require(Action.MODERATE)
    protect_api_write()


class FindingSchema(ma.Schema):
    kind = ma.fields.String(metadata={"description": "Type de donnée : email, phone, nir, iban, address, name…"})
    label = ma.fields.String(metadata={"description": "Libellé en français"})
    start = ma.fields.Integer(metadata={"description": "Début dans `description` (indice de caractère)"})
    end = ma.fields.Integer(metadata={"description": "Fin (exclue) dans `description`"})


class ReasonSchema(ma.Schema):
    code = ma.fields.String()
    label = ma.fields.String()


class ModerationReportSchema(ma.Schema):
    id = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    moderation = ma.fields.Enum(Moderation, by_value=True)
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema), metadata={"description": "Pourquoi il est retenu"})
    description = ma.fields.String(metadata={"description": "Texte brut, avec ses données personnelles"})
    redacted = ma.fields.String(metadata={"description": "Le texte tel qu'il serait publié"})
    findings = ma.fields.List(ma.fields.Nested(FindingSchema))
    abuse_flags = ma.fields.Integer(metadata={"description": "Signalements « contenu abusif » depuis la publication"})
    masked = ma.fields.Boolean(metadata={"description": "Des passages ont été masqués par la modération"})
    cluster_id = ma.fields.Integer(allow_none=True)
    administration = ma.fields.String(metadata={"description": "Identifiant de l'administration"})
    territory = ma.fields.String(metadata={"description": "Code du département"})


ModerationPageSchema = page_schema(
    ModerationReportSchema, "ModerationPage", "Signalements en attente, dans l'ordre demandé"
)


def _out(report: Report) -> dict[str, Any]:
    return {
        "id": report.id,
        "created_at": report.created_at,
        "moderation": report.moderation,
        "reasons": [{"code": c, "label": label} for c, label in moderation.reason_labels(report.moderation_reasons)],
        "description": report.description,
        "redacted": redact(report.description),
        "findings": [
            {"kind": f.kind, "label": moderation.REASON_LABELS.get(f.kind, f.kind), "start": f.start, "end": f.end}
            for f in detect(report.description)
        ],
        "abuse_flags": report.abuse_flags,
        "masked": report.masked_at is not None,
        "cluster_id": report.cluster_id,
        "administration": report.administration.slug,
        "territory": report.territory_code,
    }


class ModerationQuerySchema(PageQuerySchema):
    sort = sort_field(moderation.PENDING_SORTS, "created_at")


@bp.route("/moderation/reports", methods=["GET"])
@bp.arguments(ModerationQuerySchema, location="query")
@paged(bp, ModerationPageSchema)
@bp.problem(401, "Jeton ou session d'agent requis")
@bp.problem(403, "Réservé aux responsables produit et aux administrateurs")
@bp.problem(422, "Tri ou pagination invalide")
@bp.doc(security=_SECURITY)
def list_pending(args: dict[str, Any]) -> Any:
    """Signalements en attente de modération, du plus ancien au plus récent par défaut, avec leur texte brut.

    Seulement ceux que l'appelant peut modérer : hors irritant, d'un irritant sans start-up d'État ou d'une de ses
    start-ups d'État (tous pour les administrateurs).

    Les passages détectés comme données personnelles sont donnés par leurs positions (`findings`).
    """
    agent = require(Action.MODERATE)
    listed = moderation.pending_reports(
        get_session(), agent, page=args["page"], page_size=args["page_size"], sort=args["sort"]
    )
    return listed.map(_out), 200, {"Cache-Control": "no-store"}


@bp.route("/moderation/reports/<int:report_id>/decision", methods=["POST"])
@bp.arguments(
    ModerationDecisionSchema,
    example={"decision": "publish", "mask": ["Jean Dupont"], "reason": "Nom du conseiller masqué à la publication"},
)
@bp.response(200, ModerationReportSchema)
@bp.problem(401, "Jeton ou session d'agent requis")
@bp.problem(400, "Jeton CSRF manquant ou invalide (appel avec une session de navigateur, sans jeton d'API)")
@bp.problem(
    403,
    "Réservé aux responsables produit (signalements des irritants de leurs start-ups d'État ou sans "
    "start-up d'État) et aux administrateurs",
)
@bp.problem(404, "Signalement inconnu")
@bp.problem(409, "Déjà traité entre-temps par quelqu'un d'autre : rien n'a été changé")
@bp.problem(422, "Champs invalides")
@bp.doc(security=_SECURITY)
def decide(data: dict[str, Any], report_id: int) -> Any:
    """Publier (en masquant au besoin des passages) ou rejeter un signalement en attente.

    La décision est inscrite à l'historique de l'irritant, avec le nombre de passages masqués (jamais les passages).
    Le texte d'origine d'un signalement masqué n'est gardé que pendant la durée de conservation.
    """
    agent = require(Action.MODERATE)
    db = get_session()
    report = moderation.decide(
        db,
        agent,
        min(report_id, MAX_ID),
        moderation.Decision(data["decision"]),
        expected=Moderation(data["expected"]),
        reason=(data["reason"] or "").strip() or None,
        masks=masking.parse_passages(data["mask"]),
    )
    db.commit()
    return _out(report), 200, {"Cache-Control": "no-store"}
