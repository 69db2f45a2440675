"""The tracking page as the report's views render it, with « Est-ce résolu pour vous ? » once its irritant is fixed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template, url_for

from irritants.clusters import services as clusters
from irritants.clusters.models import Cluster
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


def render_tracking(token: str, *, proposed: Answer | None = None, status: int = 200) -> Any:
    """The tracking page of the report whose secret token is ``token`` (404 otherwise)."""
    db = get_session()
    report = intake.report_by_token(db, token)
    asked = feedback.asked_about(db, report.cluster_id)
    question = None
    if asked is not None:
        question = Question(
            asked,
            url_for("survey.answer_report", token=token),
            feedback.answer_of(db, report_id=report.id),
            proposed,
            url_for("intake.tracking", token=token, _anchor="resolu") if proposed else None,
        )
    response = current_app.make_response(
        (
            render_template(
                "intake/tracking.html",
                report=report,
                steps=triage.public_steps(db, report),
                cluster=clusters.public_cluster_of(db, report),
                question=question,
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
