"""An agent's own password: « Changer mon mot de passe » (signed in) and « Mot de passe oublié ? » (a single-use
link by email), on the agents' blueprint."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_login import logout_user

from irritants import jobs
from irritants.auth import password_reset, services, sign_in
from irritants.auth.access import session_user
from irritants.auth.models import User
from irritants.auth.schemas import PASSWORD_CHANGE_LABELS
from irritants.db import get_session, utcnow
from irritants.extensions import limiter

# --- « Changer mon mot de passe » -------------------------------------------------------------------------------


def _render_password(user: User, errors: dict[str, list[str]], status: int = 200, **headers: str) -> Any:
    html = render_template(
        "auth/password.html",
        user=user,
        errors=errors,
        labels=PASSWORD_CHANGE_LABELS,
        min_length=current_app.config["PASSWORD_MIN_LENGTH"],
    )
    return html, status, headers


def password_page() -> Any:
    """« Changer mon mot de passe »."""
    return _render_password(session_user(), {})


def change_password() -> Any:
    """Change my password: the current one required, the new one twice; my other sessions end."""
    user = session_user()
    outcome = sign_in.change_own_password(
        user,
        request.form.get("current_password", ""),
        request.form.get("new_password", ""),
        request.form.get("new_password_confirmation", ""),
    )
    if outcome.errors:
        headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else {}
        return _render_password(user, outcome.errors, outcome.status, **headers)
    flash("Votre mot de passe est changé. Vos autres sessions sont fermées ; celle-ci reste ouverte.", "success")
    return redirect(url_for("auth.home"), code=303)


# --- « Mot de passe oublié ? » ----------------------------------------------------------------------------------


def password_reset_limit() -> str:
    return current_app.config["RATELIMIT_PASSWORD_RESET"]


def forgot_password() -> Any:
    """Ask for the address to mail a reset link to."""
    return render_template("auth/forgot.html", email="", errors={}, sent=False)


@limiter.limit(password_reset_limit)
def forgot_password_post() -> Any:
    """Mail a reset link when the address is an open account with a password; the same answer in every case."""
    email = request.form.get("email", "").strip()
    if not email or not services.is_valid_email(services.normalise_email(email)):
        errors = {"email": ["Saisissez une adresse électronique valide, par exemple prenom.nom@exemple.gouv.fr."]}
        return render_template("auth/forgot.html", email=email, errors=errors, sent=False), 422
    db = get_session()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    minutes = app.config["PASSWORD_RESET_MINUTES"]
    if password_reset.request_reset(db, app, email, minutes=minutes, now=utcnow()):
        db.commit()
        jobs.wake(app)  # the outbox sends it now, not at the runner's next poll
    else:
        db.commit()
    return render_template("auth/forgot.html", email=email, errors={}, sent=True, minutes=minutes)


def _render_reset(token: str, errors: dict[str, list[str]], status: int = 200) -> Any:
    html = render_template(
        "auth/reset.html",
        token=token,
        errors=errors,
        labels=RESET_LABELS,
        min_length=current_app.config["PASSWORD_MIN_LENGTH"],
    )
    return html, status


RESET_LABELS = {
    "new_password": "Nouveau mot de passe",
    "new_password_confirmation": "Confirmation du nouveau mot de passe",
}


def _dead_link() -> Any:
    return render_template("auth/reset_invalid.html"), 404


def reset_password_page(token: str) -> Any:
    """Choose a new password, from a valid link."""
    if password_reset.valid_link(get_session(), token, utcnow()) is None:
        return _dead_link()
    return _render_reset(token, {})


@limiter.limit(password_reset_limit)
def reset_password(token: str) -> Any:
    """Set the new password (same rules as a change), end every session and link, then sign in again."""
    db = get_session()
    outcome = password_reset.reset_password(
        db,
        token,
        request.form.get("new_password", ""),
        request.form.get("new_password_confirmation", ""),
        min_length=current_app.config["PASSWORD_MIN_LENGTH"],
        secret_key=current_app.config["SECRET_KEY"],
        now=utcnow(),
    )
    if outcome.errors:
        return _render_reset(token, outcome.errors, 422)
    if outcome.user is None:
        return _dead_link()
    db.commit()
    logout_user()
    cookie_session.clear()
    current_app.logger.info("agent %s reset their password by email", outcome.user.id)
    flash(
        "Votre mot de passe est changé et toutes vos sessions sont fermées : connectez-vous avec le nouveau.", "success"
    )
    return redirect(url_for("auth.login"), code=303)


def add_routes(bp: Blueprint) -> None:
    """Hang these pages on the agents' blueprint (``auth/views.py`` calls this once, at its import)."""
    bp.add_url_rule("/mot-de-passe", view_func=password_page, methods=["GET"])
    bp.add_url_rule("/mot-de-passe", view_func=change_password, methods=["POST"])
    bp.add_url_rule("/mot-de-passe-oublie", view_func=forgot_password, methods=["GET"])
    bp.add_url_rule("/mot-de-passe-oublie", view_func=forgot_password_post, methods=["POST"])
    bp.add_url_rule("/mot-de-passe-oublie/<token>", view_func=reset_password_page, methods=["GET"])
    bp.add_url_rule("/mot-de-passe-oublie/<token>", view_func=reset_password, methods=["POST"])
