"""« Poser une question » on an irritant's back-office page: an agent writes to the author of one of its reports
through the service (routes on the back-office blueprint, apart to keep modules short). The author's address is
never shown: the page says which reports have one, and the mail is queued by a receiver of ``question_asked``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for

from irritants import jobs
from irritants.auth.access import require
from irritants.auth.exceptions import Forbidden
from irritants.auth.policy import Action
from irritants.conversations import services as conversations
from irritants.conversations.schemas import QuestionSchema
from irritants.db import get_session
from irritants.errors import NotFoundError, ValidationFailed
from irritants.intake.models import Report
from irritants.triage import backlog
from irritants.triage import backoffice_forms as forms

FORM = "questions"
ShowCluster = Callable[..., Any]


def add_routes(bp: Blueprint, show_cluster: ShowCluster) -> None:
    """Hang the form on the back-office blueprint; ``show_cluster(agent, cluster_id, failure, status)`` renders the
    irritant's page again with a refused form."""

    def ask(cluster_id: int) -> Any:
        agent = require(Action.VIEW_BACKLOG)  # anonymous: to the login page before anything else
        db = get_session()
        cluster = backlog.cluster_detail(db, cluster_id)
        try:
            require(Action.ASK_REPORTER, cluster)
            data = forms.load(QuestionSchema, request.form)
            report = db.get(Report, data["report_id"]) if data["report_id"] < 2**31 else None
            if report is None or report.cluster_id != cluster.id:
                raise ValidationFailed(
                    "Ce signalement ne fait pas partie de cet irritant.",
                    errors={"report_id": ["Ce signalement ne fait pas partie de cet irritant."]},
                )
            conversations.ask(db, agent, report.id, data["body"])
            db.commit()
            jobs.wake(current_app._get_current_object())  # the mail goes in the background
        except (ValidationFailed, Forbidden, NotFoundError) as err:
            db.rollback()
            return show_cluster(agent, cluster_id, *forms.failure(FORM, err, request.form, QuestionSchema))
        flash(
            f"Question envoyée à la personne qui a fait le signalement {report.reference} : "
            "sa réponse s’affichera dans « Questions aux personnes ».",
            "success",
        )
        return redirect(url_for("backoffice.cluster_page", cluster_id=cluster_id) + "#questions", 303)

    bp.add_url_rule("/irritants/<int:cluster_id>/questions", view_func=ask, methods=["POST"], endpoint="ask_reporter")
