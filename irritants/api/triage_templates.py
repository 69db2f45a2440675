"""``/api/v1/triage/templates``: reply templates, on the same blueprint, policy and audit log as the rest of
``/api/v1/triage`` (split from api/triage.py only to keep modules short)."""

from __future__ import annotations

from typing import Any

from irritants.api import triage_schemas as sch
from irritants.api.triage import _NO_STORE, MAX_ID, _agent, _commit, bp, deciding, reading
from irritants.db import get_session
from irritants.paging import Page, PageQuerySchema
from irritants.triage import schemas as inputs
from irritants.triage import services as triage
from irritants.triage.models import ReplyTemplate


@bp.route("/templates", methods=["GET"])
@bp.arguments(PageQuerySchema, location="query")
@bp.response(200, sch.TriageTemplatePageSchema)
@bp.problem(422, "Pagination invalide")
@reading
def list_templates(args: dict[str, Any]) -> Any:
    """Modèles de réponse utilisables : partagés, puis ceux des start-ups d'État de l'agent."""
    usable = triage.list_templates(get_session(), _agent())
    return Page.of(usable, page=args["page"], page_size=args["page_size"]), 200, _NO_STORE


@bp.route("/templates", methods=["POST"])
@bp.arguments(
    inputs.TriageTemplateCreateSchema, example={"title": "Transmis", "body": "Nous avons transmis votre signalement."}
)
@bp.response(201, sch.TriageTemplateSchema)
@deciding
def create_template(data: dict[str, Any]) -> Any:
    """Créer un modèle de réponse, partagé ou pour une de ses start-ups d'État."""
    template = triage.create_template(
        get_session(), _agent(), data["title"], data["body"], squad_id=data.get("squad_id")
    )
    _commit()
    return template, 201, {"Location": f"{bp.url_prefix}/templates/{template.id}"}


@bp.route("/templates/<int:template_id>", methods=["PATCH"])
@bp.arguments(inputs.TriageTemplatePatchSchema, example={"body": "Merci : nous avons transmis votre signalement."})
@bp.response(200, sch.TriageTemplateSchema)
@deciding
def update_template(data: dict[str, Any], template_id: int) -> Any:
    """Modifier le titre ou le texte d'un modèle."""
    agent, db = _agent(), get_session()
    current: ReplyTemplate = triage.get_template(db, agent, min(template_id, MAX_ID))
    template = triage.update_template(
        db, agent, current.id, data.get("title") or current.title, data.get("body") or current.body
    )
    _commit()
    return template


@bp.route("/templates/<int:template_id>", methods=["DELETE"])
@bp.response(204)
@deciding
def delete_template(template_id: int) -> Any:
    """Supprimer un modèle (les motifs déjà écrits restent dans l'historique)."""
    triage.delete_template(get_session(), _agent(), min(template_id, MAX_ID))
    _commit()
    return "", 204
