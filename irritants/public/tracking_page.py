"""The tracking page as the report's views render it, with « Est-ce résolu pour vous ? » once its irritant is fixed."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, current_app, render_template, url_for
from sqlalchemy.orm import Session

from irritants.clusters import services as clusters
from irritants.clusters.models import Cluster
from irritants.conversations import services as conversations
from irritants.db import get_session
from irritants.feedback import services as feedback
from irritants.feedback.models import ANSWER_LABELS, Answer
from irritants.feedback.schemas import ANSWER_PARAMS
from irritants.intake import services as intake
from irritants.triage import services as triage


@dataclass(frozen=True)
class Question:
    """« Est-ce résolu pour vous ? » as a page asks it: about which irritant, the answer already given, the answer a
    mail's link proposes (to confirm), and where the form posts."""

    cluster: Cluster
    action: str
    current: Answer | None = None
    proposed: Answer | None = None
    back: str | None = None  # a link to choose another answer than the proposed one

    @property
    def choices(self) -> list[tuple[str, str, bool]]:
        """(value posted, label, whether it is the current answer) for each answer."""
        return [(ANSWER_PARAMS[a], ANSWER_LABELS[a], a == self.current) for a in Answer]

    def label(self, answer: Answer | None) -> str:
        return ANSWER_LABELS[answer] if answer else ""

    def param(self, answer: Answer | None) -> str:
        return ANSWER_PARAMS[answer] if answer else ""


def question_for(
    session: Session,
    cluster_id: int | None,
    proposed: Answer | None,
    *,
    action: str,
    back: str,
    report_id: int | None = None,
    support_id: int | None = None,
) -> Question | None:
    """The question for a report or a support of ``cluster_id``, None while its irritant is not fixed."""
    asked = feedback.asked_about(session, cluster_id)
    if asked is None:
        return None
    current = feedback.answer_of(session, report_id=report_id, support_id=support_id)
    return Question(asked, action, current, proposed, back if proposed else None)


def private_page(html: str, status: int = 200) -> Response:
    """A page reached only through a secret link: never kept by a cache, never indexed."""
    response = current_app.make_response((html, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def render_tracking(
    token: str,
    *,
    proposed: Answer | None = None,
    message_errors: dict[str, list[str]] | None = None,
    typed: str = "",
    status: int = 200,
) -> Response:
    """The tracking page of the report whose secret token is ``token`` (404 otherwise); shown again with its errors
    (``message_errors``, ``typed``) when a message to the team was refused."""
    db = get_session()
    report = intake.report_by_token(db, token)
    messages = conversations.conversation(db, report.id)
    question = question_for(
        db,
        report.cluster_id,
        proposed,
        action=url_for("survey.answer_report", token=token),
        back=url_for("intake.tracking", token=token, _anchor="resolu"),
        report_id=report.id,
    )
    html = render_template(
        "intake/tracking.html",
        report=report,
        tracking_token=token,
        token=token,
        steps=triage.public_steps(db, report),
        cluster=clusters.public_cluster_of(db, report),
        question=question,
        messages=messages,
        open_questions=conversations.open_questions(messages),
        message_errors=message_errors or {},
        typed=typed,
    )
    return private_page(html, status)
