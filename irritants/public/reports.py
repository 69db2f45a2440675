"""Public pages: the report form, its confirmation and the tracking page (blueprint ``intake``, as its endpoints
have always been named)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from marshmallow.fields import Boolean
from sqlalchemy.exc import DBAPIError

from irritants.db import get_session
from irritants.errors import (
    DATABASE_RETRY_AFTER,
    ValidationFailed,
    database_error,
    is_database_unavailable,
    note_database_unavailable,
)
from irritants.extensions import limiter, submit_limit
from irritants.inputs import checks_own_form
from irritants.intake import antiabuse, services
from irritants.intake.accept import accept_report, report_schema
from irritants.intake.models import SEVERITY_LABELS, Source
from irritants.intake.schemas import FIELD_LABELS, ReportCreateSchema
from irritants.people import person_key
from irritants.public.browser import browser_id, remember_browser
from irritants.public.tracking_page import render_tracking
from irritants.referential import services as referential
from irritants.sanitize import strip_forbidden

bp = Blueprint("intake", __name__)

# The form posts the schema's fields; a checkbox is absent when unticked, so booleans are read by presence.
_CHECKBOXES = tuple(name for name, field in ReportCreateSchema().fields.items() if isinstance(field, Boolean))
_FORM_FIELDS = tuple(name for name in ReportCreateSchema().fields if name not in _CHECKBOXES)


_TOO_FAST = (
    "Votre formulaire a été envoyé trop vite après son affichage. Vos réponses sont conservées : vérifiez-les "
    "puis envoyez à nouveau."
)
_UNAVAILABLE = (
    "Le service est momentanément indisponible : votre signalement n'a pas encore été enregistré. Vos réponses sont "
    "conservées : envoyez à nouveau dans quelques instants."
)
_EXPIRED = (
    "Votre formulaire a expiré ou n'a pas pu être vérifié. Vos réponses sont conservées : vérifiez-les puis "
    "envoyez à nouveau."
)


def _render_form(
    form: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
    *,
    form_token: str | None = None,
    choices: referential.FormChoices | None = None,
) -> tuple[str, int]:
    choices = choices or referential.form_choices(get_session())
    html = render_template(
        "intake/new.html",
        form=form,
        errors=errors,
        labels=FIELD_LABELS,
        administrations=choices.administrations,
        territories=choices.territories,
        channels=choices.channels,
        severities=[(s.value, label) for s, label in SEVERITY_LABELS.items()],
        form_token=form_token or antiabuse.issue_form_token(current_app.config["SECRET_KEY"]),
        honeypot_field=antiabuse.HONEYPOT_FIELD,
    )
    return html, status


def _form_payload(form: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {name: form.get(name, "") for name in _FORM_FIELDS}
    for name in _CHECKBOXES:
        data[name] = name in form
    return data


@bp.get("/")
def new_report() -> Any:
    """The form « Signaler un irritant »."""
    return _render_form({}, {})


@bp.post("/")
@checks_own_form  # the schema refuses control characters field by field, and the form comes back filled in
@limiter.shared_limit(submit_limit, scope="submissions")
def submit() -> Any:
    """Validate, commit, then redirect to the confirmation (post/redirect/get)."""
    typed = request.form.to_dict()
    # What is shown back: what the citizen typed, without the characters refused (never echoed into the page).
    form = {key: strip_forbidden(value) for key, value in typed.items()}
    config = current_app.config
    check = antiabuse.check_form_token(
        typed.get("form_token"),
        config["SECRET_KEY"],
        min_seconds=config["FORM_MIN_FILL_SECONDS"],
        max_seconds=config["FORM_MAX_AGE_SECONDS"],
    )
    # Every re-render carries the token of the first display on: correcting fast is not sending fast.
    token = form.get("form_token") if check.reusable else None
    if typed.get(antiabuse.HONEYPOT_FIELD):
        return _render_form(
            form,
            {
                "_form": [
                    "Votre envoi n'a pas pu être traité. Si vous n'êtes pas un robot, "
                    "laissez vide le champ « Ne pas remplir ce champ » et réessayez."
                ]
            },
            422,
            form_token=token,
        )
    # Fields first: a citizen who sends too soon sees what to correct, not only « trop vite ».
    try:
        data = report_schema().load(_form_payload(typed))
    except ValidationError as err:
        return _render_form(form, _as_field_errors(err.messages), 422, form_token=token)
    if not check.ok:
        return _render_form(form, {"_form": [_TOO_FAST if check.reusable else _EXPIRED]}, 422, form_token=token)
    identifier, new_browser = browser_id()
    try:
        submission = accept_report(
            data,
            source=Source.WEB,
            idempotency_key=f"web:{check.nonce}",
            person_key=person_key(config["SECRET_KEY"], identifier),
        )
    except ValidationFailed as err:
        return _render_form(form, err.errors, 422, form_token=token)
    cookie_session["confirmation"] = {"reference": submission.reference, "token": submission.tracking_token}
    response = redirect(url_for("intake.confirmation"), code=303)
    return remember_browser(response, identifier) if new_browser else response


@bp.errorhandler(CSRFError)
def _session_expired(_error: CSRFError) -> Any:
    """A refused CSRF token (session cookie expired or cleared) must not cost the citizen what they typed."""
    if request.method != "POST":
        return _render_form({}, {}, 400)
    config = current_app.config
    check = antiabuse.check_form_token(
        request.form.get("form_token"), config["SECRET_KEY"], min_seconds=0, max_seconds=config["FORM_MAX_AGE_SECONDS"]
    )
    message = (
        "Votre session a expiré avant l'envoi. Vos réponses sont conservées : vérifiez-les puis envoyez à nouveau."
    )
    token = request.form.get("form_token") if check.reusable else None
    return _render_form(request.form.to_dict(), {"_form": [message]}, 400, form_token=token)


@bp.errorhandler(DBAPIError)
def _database_unavailable(error: DBAPIError) -> Any:
    """The database failed while a citizen sent the form: a 503 that gives the form back as it was filled in, with
    the same form token (sending again cannot record the report twice), rather than a page that loses the text."""
    if request.endpoint != "intake.submit" or not is_database_unavailable(error):
        return database_error(error)
    note_database_unavailable(error)
    config = current_app.config
    check = antiabuse.check_form_token(
        request.form.get("form_token"), config["SECRET_KEY"], min_seconds=0, max_seconds=config["FORM_MAX_AGE_SECONDS"]
    )
    token = request.form.get("form_token") if check.reusable else None
    form = {key: strip_forbidden(value) for key, value in request.form.to_dict().items()}
    choices = _choices_while_unavailable()
    html, status = _render_form(form, {"_form": [_UNAVAILABLE]}, 503, form_token=token, choices=choices)
    return html, status, {"Retry-After": str(DATABASE_RETRY_AFTER)}


def _choices_while_unavailable() -> referential.FormChoices:
    """The form's lists from the database if it still reads (a full disk refuses writes only), else the bundled ones."""
    db = get_session()
    try:
        return referential.form_choices(db)
    except DBAPIError as error:
        if not is_database_unavailable(error):
            raise
        db.rollback()
        return referential.bundled_form_choices()


def _as_field_errors(messages: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = "_form" if key == "_schema" else key
            errors[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return errors


@bp.get("/confirmation")
def confirmation() -> Any:
    """Shown once after a submission: the reference and the secret tracking link."""
    data = cookie_session.pop("confirmation", None)
    if not data:
        return redirect(url_for("intake.new_report"))
    report = services.report_by_token(get_session(), data["token"])
    tracking_url = url_for("intake.tracking", token=data["token"], _external=True)
    response = current_app.make_response(
        render_template("intake/confirmation.html", report=report, tracking_url=tracking_url)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/suivi/<token>")
def tracking(token: str) -> Any:
    """The tracking page of one report, reached only with its secret token."""
    return render_tracking(token)
