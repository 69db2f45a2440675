"""« Est-ce résolu pour vous ? »: citizens' answers once an irritant is fixed, and the perceived resolution rate.

The pages and the API that ask the question live in the doors (public, api, triage, teams); this package owns the
answers (``resolution_answers``), the rates and the links that mails carry (``survey_links``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, url_for

from irritants.feedback.models import Answer
from irritants.feedback.schemas import ANSWER_PARAMS
from irritants.feedback.signing import support_token

if TYPE_CHECKING:
    from flask import Flask


def survey_links(tracking_token: str) -> dict[Answer, str]:
    """The three absolute links « oui », « non », « en partie » for a report's tracking token, for the « corrigé »
    mail. Opening one changes nothing (mail scanners follow links): it shows the tracking page with that answer
    chosen and one button to confirm. Needs a request or an app context with ``SERVER_NAME``."""
    return {
        value: url_for("survey.report_link", token=tracking_token, reponse=param, _external=True)
        for value, param in ANSWER_PARAMS.items()
    }


def support_survey_links(support_id: int) -> dict[Answer, str]:
    """The same three links for a « moi aussi » (signed with the app's secret: ``/resolu/<signed>``)."""
    signed = support_token(current_app.config["SECRET_KEY"], support_id)
    return {
        value: url_for("survey.support_link", signed=signed, reponse=param, _external=True)
        for value, param in ANSWER_PARAMS.items()
    }


def init_app(app: Flask) -> None:
    """Nothing to plug in: the doors serve the question (see the package's docstring)."""
