"""« Réponse de l'administration » on an irritant's back-office page: a correspondant (or an administrator) writes
what their administration says about the irritant, shown on its public page and mailed to the people who follow it
(routes on the back-office blueprint, apart to keep modules short; the work is ``answers.services``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from sqlalchemy.orm.exc import StaleDataError

from irritants import jobs
from irritants.answers import services as answers
from irritants.answers.schemas import AnswerSchema
from irritants.auth.access import require
from irritants.auth.exceptions import Forbidden
from irritants.auth.policy import Action
from irritants.db import get_session
from irritants.errors import NotFoundError, StaleObject, ValidationFailed
from irritants.triage import backlog
from irritants.triage import backoffice_forms as forms

FORM = "reponse"
ShowCluster = Callable[..., Any]


def add_routes(bp: Blueprint, show_cluster: ShowCluster) -> None:
    """Hang the form on the back-office blueprint; ``show_cluster(agent, cluster_id, failure, status)`` renders the
    irritant's page again with a refused form."""

    def answer(cluster_id: int) -> Any:
        agent = require(Action.ANSWER_PUBLICLY)  # anonymous: to the login page; other roles: 403
        db = get_session()
        cluster = backlog.cluster_detail(db, cluster_id)
        try:
            data = forms.load(AnswerSchema, request.form)
            written = answers.publish(
                db,
                agent,
                cluster,
                data["text"],
                administration=data["administration"],
                expected_version=data["expected_version"],
            )
            db.commit()
        except NotFoundError:
            db.rollback()
            raise  # an irritant of another administration: it does not exist for a correspondant
        except (ValidationFailed, Forbidden, StaleObject, StaleDataError) as err:
            db.rollback()
            return show_cluster(agent, cluster_id, *forms.failure(FORM, err, request.form, AnswerSchema))
        jobs.wake(current_app._get_current_object())  # the mails go in the background
        flash(
            f"Réponse publiée (version {written.version}) : elle s’affiche sur la page publique de l’irritant.",
            "success",
        )
        return redirect(url_for("backoffice.cluster_page", cluster_id=cluster.id) + "#reponse", 303)

    bp.add_url_rule("/irritants/<int:cluster_id>/reponse", view_func=answer, methods=["POST"], endpoint="answer")
