"""« Mes notifications » (/agents/notifications): an agent's daily digest subscriptions, and the signed one-click
unsubscribe link of the digest mails (POST for mail clients, RFC 8058; GET shows a button for people)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from irritants.db import get_session
from irritants.extensions import login_manager
from irritants.notify import digest

bp = Blueprint("notifications", __name__, url_prefix="/agents")


def _ids(name: str) -> list[int]:
    return [int(value) for value in request.form.getlist(name) if value.isdigit() and len(value) < 10]


@bp.get("/notifications")
def page() -> Any:
    """The agent's digest choices: each of their squads, each administration."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    return render_template("notify/notifications.html", choices=digest.choices(get_session(), user))


@bp.post("/notifications")
def save() -> Any:
    """Subscribe to exactly the ticked squads and administrations."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    db = get_session()
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    chosen = digest.set_subscriptions(db, user, _ids("squads"), _ids("administrations"))
    db.commit()
    if chosen.squad_ids or chosen.administration_ids:
        flash("Vos choix sont enregistrés : chaque matin, les nouveaux irritants de ces périmètres.", "success")
    else:
        flash("Vos choix sont enregistrés : vous ne recevrez pas de résumé quotidien.", "success")
    return redirect(url_for("notifications.page"), code=303)


@bp.get("/notifications/desabonnement/<token>")
def unsubscribe_page(token: str) -> Any:
    """A button to confirm (a GET changes nothing: link scanners follow links)."""
    return render_template("notify/unsubscribe.html", token=token, done=False)


@bp.post("/notifications/desabonnement/<token>")
def unsubscribe(token: str) -> Any:
    """End every digest subscription of the agent the link was made for."""
    db = get_session()
    if not digest.unsubscribe(db, current_app.config["SECRET_KEY"], token):
        abort(404)
    db.commit()
    return render_template("notify/unsubscribe.html", token=token, done=True)
