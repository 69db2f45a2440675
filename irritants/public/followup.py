"""A reporter's own follow-up: « Lien de suivi perdu », withdrawing a report, erasing its address, and writing to
the team (replies to questions, added details) from the tracking page (blueprint ``followup``).

Everything but « lien perdu » is reached with the secret tracking token, which is the only proof of authorship a
citizen without an account has. Each change is a POST (CSRF checked by the app) after a page that says what it does.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from marshmallow import ValidationError

from irritants import events, jobs
from irritants.audit import services as audit
from irritants.conversations import services as conversations
from irritants.conversations.schemas import AddressSchema, MessageSchema
from irritants.db import get_session
from irritants.errors import ValidationFailed
from irritants.extensions import (
    client_network,
    limiter,
    lost_link_address_limit,
    lost_link_limit,
    reporter_message_limit,
)
from irritants.intake import antiabuse, services
from irritants.privacy import services as privacy
from irritants.public.tracking_page import render_tracking
from irritants.settings import settings_of
from irritants.tokens import email_hmac, hash_token

bp = Blueprint("followup", __name__)


def _no_store(html: str, status: int = 200) -> Any:
    response = current_app.make_response((html, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _address_key() -> str:
    """The posted address's keyed hash (never the address): the key of the per-address limit."""
    email = request.form.get("email", "").strip()[:254]
    if not email:
        return f"net:{client_network()}"
    return email_hmac(current_app.config["SECRET_KEY"], email)


def _token_key() -> str:
    return hash_token((request.view_args or {}).get("token", ""))


# --- « Lien de suivi perdu » -------------------------------------------------------------------------------------


@bp.get("/suivi/retrouver")
def lost_link() -> Any:
    """The form: one address, to receive the tracking links of the reports followed with it."""
    return _no_store(render_template("intake/lost_link.html", form={}, errors={}))


@bp.post("/suivi/retrouver")
@limiter.shared_limit(lost_link_limit, scope="lost-link", key_func=client_network)
@limiter.shared_limit(lost_link_address_limit, scope="lost-link-address", key_func=_address_key)
def send_links() -> Any:
    """Always the same answer, known address or not; only a known one queues a mail (sent in the background)."""
    try:
        data = AddressSchema().load({"email": request.form.get("email", "")})
    except ValidationError as err:
        errors = {key: [str(m) for m in value] for key, value in err.messages_dict.items()}
        form = {"email": request.form.get("email", "")[:254]}
        return _no_store(render_template("intake/lost_link.html", form=form, errors=errors), 422)
    db = get_session()
    # The lookup runs whatever the address (and for robots too): the answer and its time say nothing of it.
    report_ids = services.reports_followed_by(db, current_app.config["SECRET_KEY"], data["email"])
    robot = bool(request.form.get(antiabuse.HONEYPOT_FIELD))
    # Every request writes and commits (one audit event, without the address), known or not: only the mail's row
    # differs, so the answer's time does not tell whether the address is known (the mail is sent in the background).
    audit.record(db, None, "links.requested", "report_contacts", None, after={"found": len(report_ids), "robot": robot})
    if report_ids and not robot:
        events.tracking_links_requested.send(db, report_ids=report_ids)
    db.commit()
    if report_ids and not robot:
        jobs.wake(current_app._get_current_object())  # the mail goes in the background
    return redirect(url_for("followup.links_sent"), 303)


@bp.get("/suivi/retrouver/envoye")
def links_sent() -> Any:
    """The one answer to « lien perdu »."""
    return _no_store(render_template("intake/lost_link_sent.html"))


# --- withdrawing a report, erasing its address ------------------------------------------------------------------


@bp.get("/suivi/<token>/retirer")
def confirm_withdrawal(token: str) -> Any:
    """What withdrawing does, and the button that does it."""
    report = services.report_by_token(get_session(), token)
    return _no_store(render_template("intake/withdraw.html", report=report, token=token))


@bp.post("/suivi/<token>/retirer")
def withdraw(token: str) -> Any:
    """Delete the report (it leaves every count, its irritant is re-scored), its address and queued messages."""
    db = get_session()
    report = services.report_by_token(db, token)
    reference = report.reference
    privacy.withdraw_report(db, report.id, ranking=settings_of(current_app).ranking)
    db.commit()
    cookie_session["withdrawn"] = reference
    return redirect(url_for("followup.withdrawn"), 303)


@bp.get("/suivi/retire")
def withdrawn() -> Any:
    """Shown once after a withdrawal."""
    reference = cookie_session.pop("withdrawn", None)
    if not reference:
        return redirect(url_for("intake.new_report"))
    return _no_store(render_template("intake/withdrawn.html", reference=reference))


@bp.get("/suivi/<token>/effacer-adresse")
def confirm_erasure(token: str) -> Any:
    """What erasing the address does (the report stays), and the button that does it."""
    report = services.report_by_token(get_session(), token)
    if report.contact is None:
        return redirect(url_for("intake.tracking", token=token))
    return _no_store(render_template("intake/erase_address.html", report=report, token=token))


@bp.post("/suivi/<token>/effacer-adresse")
def erase_address(token: str) -> Any:
    """Forget the report's address and the messages waiting for it; the report stays in the counts."""
    db = get_session()
    report = services.report_by_token(db, token)
    if privacy.erase_contact(db, report.id):
        db.commit()
        flash("Votre adresse électronique a été effacée. Votre signalement est conservé.", "success")
    return redirect(url_for("intake.tracking", token=token), 303)


# --- writing to the team ----------------------------------------------------------------------------------------


@bp.post("/suivi/<token>/messages")
@limiter.limit(reporter_message_limit, key_func=_token_key)
def write(token: str) -> Any:
    """A reply to the team's question, or details added unasked; shown to agents screened for personal data."""
    db = get_session()
    report = services.report_by_token(db, token)
    try:
        data = MessageSchema().load(request.form)
        conversations.write(db, report, data["body"], question_id=data["question"])
    except (ValidationError, ValidationFailed) as err:
        db.rollback()
        messages = err.messages_dict if isinstance(err, ValidationError) else err.errors
        errors = {key: [str(m) for m in value] for key, value in messages.items()}
        return render_tracking(token, message_errors=errors, typed=request.form.get("body", "")[:4000], status=422)
    db.commit()
    flash("Votre message a été transmis à l’équipe.", "success")
    return redirect(url_for("intake.tracking", token=token, _anchor="echanges"), 303)
