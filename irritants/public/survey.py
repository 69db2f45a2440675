"""« Est-ce résolu pour vous ? » for citizens (blueprint ``survey``): from the tracking page of a report, and from the
signed link a supporter gets by mail. The links that mails carry only show the question with their answer chosen
(mail scanners follow links): answering is always a POST with its CSRF token."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from irritants.clusters import services as clusters
from irritants.db import get_session
from irritants.errors import NotFoundError, ValidationFailed
from irritants.extensions import client_network, limiter, support_limit
from irritants.feedback import services as feedback
from irritants.feedback.models import ANSWER_LABELS, Answer
from irritants.feedback.schemas import PARAM_ANSWERS, ResolutionAnswerSchema
from irritants.feedback.signing import support_id_of
from irritants.intake import services as intake
from irritants.public.tracking_page import private_page, question_for, render_tracking

bp = Blueprint("survey", __name__)


def _posted_answer() -> Answer:
    try:
        return ResolutionAnswerSchema().load({"answer": request.form.get("reponse", "")})["answer"]
    except ValidationError as err:
        raise ValidationFailed(
            "Choisissez « oui », « non » ou « en partie ».", errors={"reponse": err.messages.get("answer", [])}
        ) from None


def _thanks(value: Answer) -> None:
    flash(
        f"Merci : votre réponse « {ANSWER_LABELS[value]} » est enregistrée. Vous pouvez la changer ici à tout moment.",
        "success",
    )


@bp.get("/suivi/<token>/resolu")
def report_link(token: str) -> Any:
    """A mail's link: the tracking page with that answer chosen and a button to confirm it (nothing written)."""
    return render_tracking(token, proposed=PARAM_ANSWERS.get(request.args.get("reponse", "")))


@bp.post("/suivi/<token>/resolu")
@limiter.shared_limit(support_limit, scope="survey", key_func=client_network)
def answer_report(token: str) -> Any:
    """Record (or change) the report's answer, then back to its tracking page."""
    db = get_session()
    report = intake.report_by_token(db, token)
    value = _posted_answer()
    feedback.answer(db, value, report=report)
    db.commit()
    _thanks(value)
    return redirect(url_for("intake.tracking", token=token, _anchor="resolu"), code=303)


def _support(signed: str) -> Any:
    support_id = support_id_of(current_app.config["SECRET_KEY"], signed)
    if support_id is None:
        raise NotFoundError("Ce lien ne correspond à aucune réponse attendue.")
    return feedback.support_by_id(get_session(), support_id)


@bp.get("/resolu/<signed>")
def support_link(signed: str) -> Any:
    """A supporter's page: the irritant they said « moi aussi » to, and the question once it is fixed."""
    db = get_session()
    support = _support(signed)
    question = question_for(
        db,
        support.cluster_id,
        PARAM_ANSWERS.get(request.args.get("reponse", "")),
        action=url_for("survey.answer_support", signed=signed),
        back=url_for("survey.support_link", signed=signed, _anchor="resolu"),
        support_id=support.id,
    )
    if question is not None:
        cluster = question.cluster
    else:
        cluster = clusters.root_of(db, clusters.get_public_cluster(db, support.cluster_id))
    return private_page(render_template("feedback/support.html", cluster=cluster, question=question))


@bp.post("/resolu/<signed>")
@limiter.shared_limit(support_limit, scope="survey", key_func=client_network)
def answer_support(signed: str) -> Any:
    """Record (or change) a supporter's answer, then back to their page."""
    db = get_session()
    support = _support(signed)
    value = _posted_answer()
    feedback.answer(db, value, support=support)
    db.commit()
    _thanks(value)
    return redirect(url_for("survey.support_link", signed=signed, _anchor="resolu"), code=303)
