"""``/api/v1/triage``: merge suggestions (« Irritants qui se ressemblent ») and « Ce ne sont pas les mêmes »: a
blueprint that api/triage.py nests in its own (split only to keep modules short). Merging a suggested pair is the
one merge decision, ``POST /api/v1/triage/clusters/{keep.id}/merge`` with ``source_ids: [merge.id]`` and both
versions in ``expected_versions``."""

from __future__ import annotations

from typing import Any

from irritants.api import triage_schemas as sch
from irritants.api.listing import whole
from irritants.api.spec import Blueprint
from irritants.api.triage_access import MAX_ID, NO_STORE, commit, current_agent, deciding, reading
from irritants.db import get_session
from irritants.triage import schemas as inputs
from irritants.triage import services as triage

bp = Blueprint("suggestions", __name__)


@bp.route("/suggestions", methods=["GET"])
@bp.arguments(sch.TriageSuggestionQuerySchema, location="query")
@whole(
    bp,
    sch.TriageSuggestionSchema(many=True),
    "Les paires les plus proches, 50 au plus : une liste de propositions, pas à parcourir",
)
@bp.problem(422, "Paramètres invalides")
@reading(bp)
def backlog_suggestions(args: dict[str, Any]) -> Any:
    """Irritants qui se ressemblent : les paires d'irritants ouverts que l'agent peut fusionner, les plus proches
    d'abord (paires écartées exclues). Pour fusionner : POST …/clusters/{keep.id}/merge."""
    found = triage.backlog_suggestions(get_session(), current_agent(), limit=args["limit"])
    return [sch.suggestion(s) for s in found], 200, NO_STORE


@bp.route("/clusters/<int:cluster_id>/similar", methods=["GET"])
@bp.arguments(sch.TriageSuggestionQuerySchema, location="query")
@whole(bp, sch.TriageSuggestionSchema(many=True), "Les irritants les plus proches de celui-ci, 50 au plus")
@bp.problem(404, "Irritant inconnu")
@bp.problem(422, "Paramètres invalides")
@reading(bp)
def similar(args: dict[str, Any], cluster_id: int) -> Any:
    """Les irritants ouverts qui ressemblent à celui-ci au point d'être proposés à la fusion, les plus proches
    d'abord (vide si l'agent ne peut pas le fusionner)."""
    db = get_session()
    cluster = triage.cluster_detail(db, min(cluster_id, MAX_ID))
    found = triage.suggestions_for(db, current_agent(), cluster, limit=args["limit"])
    return [sch.suggestion(s) for s in found], 200, NO_STORE


@bp.route("/clusters/<int:cluster_id>/not-same", methods=["POST"])
@bp.arguments(inputs.TriageDismissBodySchema, example={"other_id": 12, "reason": "Deux démarches différentes"})
@bp.response(204)
@deciding(bp)
def not_same(data: dict[str, Any], cluster_id: int) -> Any:
    """« Ce ne sont pas les mêmes » : la paire n'est plus proposée à la fusion (un événement dans l'historique de
    chacun des deux irritants ; redire la même chose ne change rien)."""
    agent = current_agent()
    reason = triage.reason_with_template(get_session(), agent, data.get("template_id"), data.get("reason"))
    triage.dismiss_pair(get_session(), agent, min(cluster_id, MAX_ID), data["other_id"], reason=reason)
    commit()
    return "", 204
