"""``/api/v1/triage/recluster``: administrators start a re-clustering of every report in the background and follow
its job (a blueprint that api/triage.py nests in its own). One at a time across every machine: asking while one is
waiting or running answers with that job, not a second one."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from marshmallow import fields

from irritants import jobs
from irritants.api.spec import LOCATION, Blueprint
from irritants.api.triage_access import MAX_ID, NO_STORE, PREFIX, SECURITY, commit
from irritants.auth.access import require
from irritants.auth.policy import Action
from irritants.background.models import BackgroundJob, JobState
from irritants.clusters import recluster_job
from irritants.db import get_session

bp = Blueprint("recluster", __name__)


class ReclusterProgressSchema(ma.Schema):
    stage = fields.String(metadata={"description": "Étape : vectors (vecteurs), clustering (regroupement), saving"})
    done = fields.Integer(metadata={"description": "Éléments faits dans cette étape"})
    total = fields.Integer(metadata={"description": "Éléments de cette étape"})


class ReclusterResultSchema(ma.Schema):
    reports = fields.Integer(metadata={"description": "Signalements regroupés"})
    clusters = fields.Integer(metadata={"description": "Irritants après le regroupement"})
    kept = fields.Integer(metadata={"description": "Irritants qui gardent leur numéro"})
    created = fields.Integer(metadata={"description": "Irritants nouveaux"})
    emptied = fields.Integer(metadata={"description": "Irritants vides supprimés"})
    vectorised = fields.Integer(metadata={"description": "Vecteurs calculés"})


class ReclusterJobSchema(ma.Schema):
    id = fields.Integer(metadata={"description": "Numéro du travail"})
    state = fields.String(
        metadata={
            "description": "pending (en attente), running (en cours), done (terminé), failed (échec, nouvel essai "
            "prévu à next_attempt_at), dead (abandonné après max_attempts essais)",
            "enum": [s.value for s in JobState],
        }
    )
    state_label = fields.String(metadata={"description": "L'état en français"})
    attempts = fields.Integer(metadata={"description": "Essais commencés"})
    max_attempts = fields.Integer(metadata={"description": "Essais au plus avant abandon"})
    next_attempt_at = fields.DateTime(
        allow_none=True, metadata={"description": "Prochain essai (en attente ou en échec), sinon null"}
    )
    progress = fields.Nested(ReclusterProgressSchema, allow_none=True, metadata={"description": "Où il en est"})
    result = fields.Nested(ReclusterResultSchema, allow_none=True, metadata={"description": "Bilan, une fois terminé"})
    error = fields.String(
        allow_none=True, metadata={"description": "Dernière erreur : sa classe et l'endroit du code, jamais de donnée"}
    )
    requested_by = fields.Integer(allow_none=True, metadata={"description": "Numéro de l'agent qui l'a demandé"})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


def job_body(job: BackgroundJob) -> dict[str, Any]:
    """A re-clustering job as the API shows it."""
    waiting = job.state in (JobState.PENDING, JobState.FAILED)
    return {
        "id": job.id,
        "state": job.state.value,
        "state_label": job.state_label,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "next_attempt_at": job.run_after if waiting else None,
        "progress": job.progress,
        "result": job.result if job.state == JobState.DONE else None,
        "error": job.last_error,
        "requested_by": job.created_by_id,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def job_location(job_id: int) -> str:
    return f"{PREFIX}/recluster/{job_id}"


@bp.route("/recluster", methods=["POST"])
@bp.response(202, ReclusterJobSchema, headers=LOCATION)
@bp.problem(400, "Jeton CSRF manquant (appel avec une session de navigateur)")
@bp.problem(401, "Jeton ou session d'agent requis")
@bp.problem(403, "Réservé aux administrateurs")
@bp.doc(security=SECURITY)
def start_recluster() -> Any:
    """Relancer le regroupement de tous les signalements, en arrière-plan (administrateurs). Répond 202 avec le
    travail et son adresse (Location) à consulter. Un seul à la fois sur toutes les machines : si un regroupement
    est déjà en attente ou en cours, la réponse est ce travail-là, et aucun autre n'est créé. Le regroupement
    remplace l'ancien en une seule transaction : interrompu, il laisse les irritants tels qu'ils étaient."""
    agent = require(Action.RECLUSTER)
    job, created = recluster_job.request_recluster(get_session(), agent.user_id)
    commit()
    body = job_body(job)  # before the wake-up: the state the request left it in
    if created:
        jobs.wake(current_app._get_current_object())
    return body, 202, {**NO_STORE, "Location": job_location(job.id)}


@bp.route("/recluster/<int:job_id>", methods=["GET"])
@bp.response(200, ReclusterJobSchema)
@bp.problem(401, "Jeton ou session d'agent requis")
@bp.problem(403, "Réservé aux administrateurs")
@bp.problem(404, "Travail de regroupement inconnu")
@bp.doc(security=SECURITY)
def recluster_status(job_id: int) -> Any:
    """Où en est un regroupement : état, progression, bilan une fois terminé, dernière erreur."""
    require(Action.RECLUSTER)
    job = recluster_job.recluster_job(get_session(), min(job_id, MAX_ID))
    return job_body(job), 200, NO_STORE
