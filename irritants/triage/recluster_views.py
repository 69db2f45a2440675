"""« Regrouper à nouveau les signalements »: the administrators' button on the backlog page and the page that follows
the job (routes on the back-office blueprint, apart to keep modules short; the job is ``clusters.recluster_job``,
run in the background by the workers, one at a time across every machine)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from sqlalchemy.orm import Session

from irritants import jobs
from irritants.auth.access import require
from irritants.auth.policy import Action, Agent, decide
from irritants.background.models import JobState
from irritants.clusters import recluster_job
from irritants.db import get_session
from irritants.french import plural
from irritants.progress import STAGES

MAX_ID = 2**31 - 1


def panel(session: Session, agent: Agent) -> dict[str, Any] | None:
    """What the backlog page shows administrators about the re-clustering (None for other agents)."""
    if not decide(agent, Action.RECLUSTER):
        return None
    return {"latest": recluster_job.latest_recluster(session)}


def summary(result: dict[str, Any] | None) -> str:
    """The outcome of a finished run, in French."""
    if not result:
        return ""
    return (
        f"{plural(result.get('reports', 0), 'signalement regroupé', 'signalements regroupés')} en "
        f"{plural(result.get('clusters', 0), 'irritant', 'irritants')} : "
        f"{plural(result.get('kept', 0), 'conservé', 'conservés')}, "
        f"{plural(result.get('created', 0), 'nouveau', 'nouveaux')}, "
        f"{plural(result.get('emptied', 0), 'vide supprimé', 'vides supprimés')}."
    )


def add_routes(bp: Blueprint) -> None:
    """Hang the button's POST and the job's page on the back-office blueprint."""

    def start() -> Any:
        agent = require(Action.RECLUSTER)  # anonymous: to the login page; other agents: 403
        db = get_session()
        job, created = recluster_job.request_recluster(db, agent.user_id)
        db.commit()
        if created:
            jobs.wake(current_app._get_current_object())
            flash("Regroupement demandé : il s’exécute en arrière-plan, les irritants restent consultables.", "success")
        else:
            flash(f"Un regroupement est déjà {'en cours' if job.state == JobState.RUNNING else 'en attente'} : "
                  "en voici l’avancement, il n’en a pas été lancé de second.", "info")  # fmt: skip
        return redirect(url_for("backoffice.recluster_page", job_id=job.id), 303)

    def page(job_id: int) -> Any:
        require(Action.RECLUSTER)
        job = recluster_job.recluster_job(get_session(), min(job_id, MAX_ID))
        stage = STAGES.get((job.progress or {}).get("stage", ""), ("", None))[0]
        return render_template(
            "backoffice/recluster.html", job=job, stage=stage, summary=summary(job.result), states=JobState
        )

    bp.add_url_rule("/regroupements", view_func=start, methods=["POST"], endpoint="recluster")
    bp.add_url_rule("/regroupements/<int:job_id>", view_func=page, methods=["GET"], endpoint="recluster_page")
