"""« Ne plus recevoir de messages » (blueprint ``unsubscribe``): the link of every message, and the tracking page's
button.

``/desabonnement/<token>`` shows a confirmation with one button (GET changes nothing: mail scanners open links);
the POST unsubscribes. That POST is also the RFC 8058 one-click target of the messages' ``List-Unsubscribe`` header,
which mail clients send with no session and no CSRF token: the signed token in the path is the only proof it
needs, and the only thing it does is stop messages. The tracking page's button is an ordinary form (CSRF).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for

from irritants.db import get_session, utcnow
from irritants.errors import NotFoundError
from irritants.extensions import csrf
from irritants.intake import services as intake
from irritants.notify import unsubscribe as subscriptions

bp = Blueprint("unsubscribe", __name__)

TOKEN_MAX_LENGTH = 200


def _address(token: str) -> str:
    email_hmac = (
        subscriptions.address_of(current_app.config["SECRET_KEY"], token) if len(token) <= TOKEN_MAX_LENGTH else None
    )
    if email_hmac is None:
        raise NotFoundError("Ce lien de désabonnement n’est pas valide : copiez-le en entier depuis le message reçu.")
    return email_hmac


def _private(html: str, status: int = 200) -> Any:
    response = current_app.make_response((html, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/desabonnement/<token>")
def page(token: str) -> Any:
    """The confirmation: one button, or the news that nothing more is sent."""
    email_hmac = _address(token)
    subscribed = subscriptions.is_subscribed(get_session(), email_hmac)
    return _private(render_template("unsubscribe/page.html", token=token, subscribed=subscribed, done=False))


@bp.post("/desabonnement/<token>")
@csrf.exempt
def confirm(token: str) -> Any:
    """Unsubscribe the address (the page's button, or a mail client's one-click POST): idempotent."""
    email_hmac = _address(token)
    db = get_session()
    subscriptions.unsubscribe(db, email_hmac, now=utcnow())
    db.commit()
    return _private(render_template("unsubscribe/page.html", token=token, subscribed=False, done=True))


@bp.post("/suivi/<token>/desabonnement")
def from_tracking(token: str) -> Any:
    """« Ne plus recevoir de messages » on the tracking page: every contact of the report's address."""
    db = get_session()
    report = intake.report_by_token(db, token)
    if report.contact is not None:
        subscriptions.unsubscribe(db, report.contact.email_hmac, now=utcnow())
        db.commit()
    flash("C’est fait : vous ne recevrez plus de messages par courriel. Cette page reste à jour.", "success")
    return redirect(url_for("intake.tracking", token=token, _anchor="desabonnement"), code=303)
