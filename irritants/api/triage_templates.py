"""``/api/v1/triage/templates``: reply templates, under the same policy and audit log as the rest of
``/api/v1/triage``: a blueprint that api/triage.py nests in its own (split only to keep modules short)."""

from __future__ import annotations

from typing import Any

from irritants.api import triage_schemas as sch
from irritants.api.listing import paged
from irritants.api.spec import LOCATION, Blueprint
from irritants.api.triage_access import MAX_ID, NO_STORE, PREFIX, commit, current_agent, deciding, reading
from irritants.db import get_session
from irritants.paging import Page, PageQuerySchema, sort_field
from irritants.triage import schemas as inputs
from irritants.triage import services as triage
from irritants.triage.models import ReplyTemplate

bp = Blueprint("templates", __name__)


class TemplateQuerySchema(PageQuerySchema):
    sort = sort_field(triage.TEMPLATE_SORTS, "title")


@bp.route("/templates", methods=["GET"])
@bp.arguments(TemplateQuerySchema, location="query")
@paged(bp, sch.TriageTemplatePageSchema)
@bp.problem(422, "Tri ou pagination invalide")
@reading(bp)
def list_templates(args: dict[str, Any]) -> Any:
    """Modèles de réponse utilisables : partagés, puis ceux des start-ups d'État de l'agent, chaque groupe par titre
    par défaut."""
    usable = triage.list_templates(get_session(), current_agent(), sort=args["sort"])
    return Page.of(usable, page=args["page"], page_size=args["page_size"]), 200, NO_STORE


@bp.route("/templates", methods=["POST"])
@bp.arguments(
    inputs.TriageTemplateCreateSchema, example={"title": "Transmis", "body": "Nous avons transmis votre signalement."}
)
@bp.response(201, sch.TriageTemplateSchema, headers=LOCATION)
@deciding(bp)
def create_template(data: dict[str, Any]) -> Any:
    """Créer un modèle de réponse, partagé ou pour une de ses start-ups d'État."""
    template = triage.create_template(
        get_session(), current_agent(), data["title"], data["body"], squad_id=data.get("squad_id")
    )
    commit()
    return template, 201, {"Location": f"{PREFIX}/templates/{template.id}"}


@bp.route("/templates/<int:template_id>", methods=["PATCH"])
@bp.arguments(inputs.TriageTemplatePatchSchema, example={"body": "Merci : nous avons transmis votre signalement."})
@bp.response(200, sch.TriageTemplateSchema)
@deciding(bp)
def update_template(data: dict[str, Any], template_id: int) -> Any:
    """Modifier le titre ou le texte d'un modèle."""
    agent, db = current_agent(), get_session()
    current: ReplyTemplate = triage.get_template(db, agent, min(template_id, MAX_ID))
    template = triage.update_template(
        db, agent, current.id, data.get("title") or current.title, data.get("body") or current.body
    )
    commit()
    return template


@bp.route("/templates/<int:template_id>", methods=["DELETE"])
@bp.response(204)
@deciding(bp)
def delete_template(template_id: int) -> Any:
    """Supprimer un modèle (les motifs déjà écrits restent dans l'historique)."""
    triage.delete_template(get_session(), current_agent(), min(template_id, MAX_ID))
    commit()
    return "", 204
