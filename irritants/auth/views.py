"""Agents' sign-in (password or ProConnect), sign-out, session time limits and the « Espace agents » page."""

from __future__ import annotations

import math
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_login import current_user, login_user, logout_user
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from irritants.auth import accounts, api_tokens, oidc, password_views, services, sign_in, throttle
from irritants.auth.access import bearer_token, current_agent, session_user
from irritants.auth.exceptions import Unauthenticated
from irritants.auth.models import Role, User
from irritants.auth.policy import Action, decide
from irritants.auth.schemas import (
    LOGIN_LABELS,
    TOKEN_DAY_LABELS,
    TOKEN_LABELS,
    LoginSchema,
    TokenCreateSchema,
)
from irritants.db import get_db, get_session, utcnow
from irritants.errors import wants_problem_json
from irritants.extensions import limiter
from irritants.logs import security_event
from irritants.settings import settings_of

bp = Blueprint("auth", __name__, url_prefix="/agents")

ID_TOKEN_KEY = "proconnect_id_token"  # noqa: S105 - a session key, not a secret
NEXT_KEY = "login_next"
MAX_ID = 2**31 - 1
# seen_at is rewritten at most once a minute: a Set-Cookie on every request would buy no precision.
SEEN_AT_GRANULARITY_SECONDS = 60
BAD_CREDENTIALS = "Adresse électronique ou mot de passe incorrect."


def login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _failed_sign_in(response: Response) -> bool:
    # Only failed attempts count against an address: an office behind one IP may sign in all morning.
    return response.status_code != 303


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path of this site; None for anything that could leave it (open redirect)."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def start_session(user: User, *, id_token: str | None = None) -> None:
    """A brand-new session for ``user``: nothing planted in the cookie before sign-in survives it."""
    cookie_session.clear()
    login_user(user)
    cookie_session["login_at"] = cookie_session["seen_at"] = time.time()
    if id_token:
        cookie_session[ID_TOKEN_KEY] = id_token


#: Roles whose work is their squad's: they land on « mon équipe » after signing in (when they are in a squad).
SQUAD_ROLES = frozenset({"squad_member", "product_owner"})


def landing(db: Any, user: User) -> str:
    """Where an agent lands after signing in without a ``next``: « mon équipe » for the people of a squad (squad
    members and product owners in one, with no other role), a correspondant's irritants, else « Espace agents »."""
    roles = set(user.roles or [])
    if roles and roles <= SQUAD_ROLES and services.squads_of(db, user.id):
        return url_for("board.my_team_page")
    return url_for("backoffice.backlog_page" if roles == {Role.CORRESPONDANT.value} else "auth.home")


@bp.before_app_request
def enforce_session_limits() -> Any:
    """End browser sessions idle for AGENT_IDLE_MINUTES or older than AGENT_SESSION_HOURS."""
    if request.endpoint == "static" or "_user_id" not in cookie_session or bearer_token() is not None:
        return None
    config = current_app.config
    now = time.time()
    login_at, seen_at = cookie_session.get("login_at"), cookie_session.get("seen_at")
    if not isinstance(login_at, int | float) or now - login_at > config["AGENT_SESSION_HOURS"] * 3600:
        message = (
            f"Par sécurité, une session dure au plus {config['AGENT_SESSION_HOURS']} heures : "
            "reconnectez-vous pour continuer."
        )
    elif not isinstance(seen_at, int | float) or now - seen_at > config["AGENT_IDLE_MINUTES"] * 60:
        message = (
            f"Vous avez été déconnecté(e) après {config['AGENT_IDLE_MINUTES']} minutes d'inactivité : "
            "reconnectez-vous pour continuer."
        )
    else:
        if now - seen_at >= SEEN_AT_GRANULARITY_SECONDS:
            cookie_session["seen_at"] = now
        return None
    logout_user()
    cookie_session.clear()
    if wants_problem_json():
        raise Unauthenticated(message)
    flash(message, "warning")
    back = request.method == "GET" and request.endpoint not in ("auth.login", "auth.login_post")
    next_path = safe_next(request.full_path.rstrip("?")) if back else None
    return redirect(url_for("auth.login", next=next_path), code=303)


# --- password sign-in -------------------------------------------------------------------------------------------


def _render_login(form: dict[str, Any], errors: dict[str, list[str]], status: int = 200, **headers: str) -> Any:
    html = render_template(
        "auth/login.html",
        form=form,
        errors=errors,
        labels=LOGIN_LABELS,
        next=safe_next(form.get("next")),
        proconnect=oidc.enabled(current_app.config),
    )
    return html, status, headers


@bp.get("/connexion")
def login() -> Any:
    """The sign-in page."""
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated and bearer_token() is None:
        return redirect(target or url_for("auth.home"), code=303)
    return _render_login({"next": target or ""}, {})


@bp.post("/connexion")
@limiter.limit(login_limit, deduct_when=_failed_sign_in)
def login_post() -> Any:
    """Check the password (Argon2id) unless this address × network or browser must wait, start a new session."""
    form = {"email": request.form.get("email", ""), "next": request.form.get("next", "")}
    try:
        data = LoginSchema().load({"email": form["email"], "password": request.form.get("password", "")})
    except ValidationError as err:
        errors = {key: [str(m) for m in messages] for key, messages in err.messages_dict.items()}
        return _render_login(form, errors, 422)
    account, keys = sign_in.throttle_keys(data["email"])
    db = get_session()
    attempt = throttle.password_sign_in(
        db, data["email"], data["password"], keys, settings_of(current_app).login, utcnow()
    )
    db.commit()
    if attempt.user is None:
        sign_in.log_failure(db, data["email"], account, waiting=attempt.wait is not None)
    if attempt.user is None and attempt.wait is not None:
        # Said the same way whether the address has an account or not: both are counted alike.
        seconds = math.ceil(attempt.wait.total_seconds())
        return _render_login(form, {"_form": [sign_in.wait_message(seconds)]}, 429, **{"Retry-After": str(seconds)})
    if attempt.user is None:
        return _render_login(form, {"_form": [BAD_CREDENTIALS]}, 422)
    start_session(attempt.user)
    security_event(
        "auth.password.success", "agent %s signed in with a password", attempt.user.id, agent_id=attempt.user.id
    )
    response = redirect(safe_next(form["next"]) or landing(db, attempt.user), code=303)
    _remember_device(response, account)
    return response


def _remember_device(response: Response, account: str) -> None:
    """Mark this browser as one the agent signed in from: other people's failures never slow it down."""
    value = sign_in.device_serializer().dumps({"a": account[:32], "n": secrets.token_urlsafe(16)})
    response.set_cookie(
        current_app.config["DEVICE_COOKIE_NAME"],
        value,
        max_age=sign_in.DEVICE_COOKIE_DAYS * 86400,
        path=bp.url_prefix or "/",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


@bp.post("/deconnexion")
def logout() -> Any:
    """End this session and every other copy of it (session epoch), then ProConnect's if it was used."""
    id_token = cookie_session.get(ID_TOKEN_KEY)
    if current_user.is_authenticated and bearer_token() is None:
        db = get_session()
        services.end_sessions(db, current_user._get_current_object())  # type: ignore[attr-defined]
        db.commit()
    logout_user()
    cookie_session.clear()
    if id_token and oidc.enabled(current_app.config):
        return oidc.logout_redirect(id_token, url_for("auth.proconnect_logged_out", _external=True))
    flash("Vous êtes déconnecté(e).", "success")
    return redirect(url_for("auth.login"), code=303)


# --- ProConnect ---------------------------------------------------------------------------------------------------


def _proconnect_on() -> None:
    if not oidc.enabled(current_app.config):
        abort(404)


@bp.post("/proconnect")
def proconnect_start() -> Any:
    """Send the agent to ProConnect (state, nonce and PKCE kept in the session)."""
    _proconnect_on()
    target = safe_next(request.form.get("next"))
    if target:
        cookie_session[NEXT_KEY] = target
    return oidc.authorize_redirect(url_for("auth.proconnect_callback", _external=True))


@bp.get("/proconnect/retour")
def proconnect_callback() -> Any:
    """Back from ProConnect: verify everything, then sign in the agent it identifies — if they have an account."""
    _proconnect_on()
    identity = oidc.finish_login()
    # A GET, so the request's session would be a read-only one: this sign-in writes in a transaction of its own.
    with get_db().session_scope() as db:
        user = services.agent_for_oidc(
            db, identity.subject, identity.email, identity.email_verified, name=identity.name
        )
        if user is None:
            db.rollback()
            current_app.logger.info("ProConnect sign-in refused: no open account for this identity")
            html = render_template("auth/not_opened.html", email=identity.email)
            return html, 403
        services.record_login(db, user)
        db.commit()
        home = landing(db, user)
    target = cookie_session.get(NEXT_KEY)
    start_session(user, id_token=identity.id_token)
    current_app.logger.info("agent %s signed in with ProConnect", user.id)
    return redirect(safe_next(target) or home, code=303)


@bp.get("/proconnect/deconnecte")
def proconnect_logged_out() -> Any:
    """Where ProConnect sends the browser back after its own logout."""
    _proconnect_on()
    if oidc.check_logout_state():
        flash("Vous êtes déconnecté(e) de ce service et de ProConnect.", "success")
    return redirect(url_for("auth.login"), code=303)


# --- « Espace agents » and personal API tokens ------------------------------------------------------------------


def _render_home(
    user: User,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    new_token: str | None = None,
    status: int = 200,
) -> Any:
    db = get_session()
    tokens = [(token, api_tokens.token_state(token)) for token in api_tokens.list_tokens(db, user.id)]
    html = render_template(
        "auth/home.html",
        user=user,
        roles=accounts.role_labels(user.roles or []),
        squads=accounts.user_squads(db, user.id),
        tokens=tokens,
        form=form or {"days": str(current_app.config["API_TOKEN_DEFAULT_DAYS"])},
        errors=errors or {},
        labels=TOKEN_LABELS,
        token_days=TOKEN_DAY_LABELS,
        new_token=new_token,
        may_moderate=bool(decide(current_agent(), Action.MODERATE)),
        may_export=bool(decide(current_agent(), Action.EXPORT)),
    )
    return html, status


@bp.get("/")
def home() -> Any:
    """« Espace agents »: who I am, where to go, my API tokens."""
    return _render_home(session_user())


@bp.post("/jetons")
def create_token() -> Any:
    """Create a personal API token; its value is shown on this answer only."""
    user = session_user()
    form = {key: request.form.get(key, "") for key in ("name", "days")}
    try:
        data = TokenCreateSchema().load({k: v for k, v in form.items() if v.strip()})
    except ValidationError as err:
        errors = {key: [str(m) for m in messages] for key, messages in err.messages_dict.items()}
        return _render_home(user, form=form, errors=errors, status=422)
    db = get_session()
    _token, raw = api_tokens.issue_token(db, user, data["name"], days=data["days"], agent=current_agent())
    db.commit()
    return _render_home(user, new_token=raw, status=201)


@bp.post("/jetons/<int:token_id>/revocation")
def revoke_token(token_id: int) -> Any:
    """Revoke one of my tokens: API calls with it are refused from now on."""
    user = session_user()
    db = get_session()
    changed = api_tokens.revoke_token(db, min(token_id, MAX_ID), owner_id=user.id, agent=current_agent())
    db.commit()
    if changed:
        flash("Le jeton est révoqué : il ne permet plus d'appeler l'API.", "success")
    else:
        flash("Ce jeton était déjà révoqué.", "info")
    return redirect(url_for("auth.home"), code=303)


password_views.add_routes(bp)
