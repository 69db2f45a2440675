"""``POST /api/v1/clusters/<id>/answers``: an administration's public answer on an irritant, from a correspondant's
(or an administrator's) tool — the same service, checks and mails as the irritant's back-office form."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from irritants import jobs
from irritants.answers import services as answers
from irritants.answers.schemas import AnswerSchema
from irritants.api.clusters import AnswerOutSchema
from irritants.api.spec import BEARER_AUTH, Blueprint
from irritants.api.triage_access import MAX_ID, NO_STORE, commit
from irritants.auth.access import protect_api_write, require
from irritants.auth.policy import Action
from irritants.db import get_session
from irritants.triage import services as triage

bp = Blueprint(
    "api_answers", __name__, url_prefix="/api/v1", description="Réponses publiques des administrations (agents)"
)


@bp.before_request
def _answerers_only() -> None:
    """Correspondants and administrators, before any body is read; a browser session proves it is this site."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        require(Action.ANSWER_PUBLICLY)
        protect_api_write()


@bp.route("/clusters/<int:cluster_id>/answers", methods=["POST"])
@bp.arguments(
    AnswerSchema,
    example={"text": "La CAF ouvre des créneaux supplémentaires de rendez-vous dès le mois prochain."},
)
@bp.response(200, AnswerOutSchema)
@bp.problem(401, "Jeton ou session d'agent requis")
@bp.problem(403, "Seuls les correspondants de l'administration et les administrateurs répondent")
@bp.problem(404, "Irritant inconnu, ou qui ne concerne pas l'administration du correspondant")
@bp.problem(409, "Réponse modifiée entre-temps (expected_version) : rien n'a été changé")
@bp.problem(422, "Texte invalide ou contenant des données personnelles, administration non concernée")
@bp.doc(security=[{BEARER_AUTH: []}])
def publish(data: dict[str, Any], cluster_id: int) -> Any:
    """Publier ou corriger la réponse d'une administration sur un irritant.

    Un correspondant répond au nom de son administration ; un administrateur indique `administration` parmi celles
    que l'irritant concerne. La réponse s'affiche sur la page publique de l'irritant ; la première réponse d'une
    administration est envoyée par courriel aux personnes qui suivent l'irritant."""
    agent = require(Action.ANSWER_PUBLICLY)
    db = get_session()
    cluster = triage.cluster_detail(db, min(cluster_id, MAX_ID))
    written = answers.publish(
        db,
        agent,
        cluster,
        data["text"],
        administration=data["administration"],
        expected_version=data["expected_version"],
    )
    answer_id = written.id
    commit()
    jobs.wake(current_app._get_current_object())  # the mails go in the background
    shown = next(a for a in answers.answers_of(db, cluster.id) if a.id == answer_id)
    return vars(shown), 200, NO_STORE
