"""Flask side of sign-in and authorisation: who is calling (session or Bearer token) and ``require``.

Every back-office view and API endpoint calls ``require(action, target)``; the rules live in ``policy.py``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask import session as cookie_session
from flask_login import current_user
from werkzeug.wrappers import Response

from irritants.auth import api_tokens, services
from irritants.auth.exceptions import Forbidden, Unauthenticated, raise_for
from irritants.auth.models import User
from irritants.auth.policy import Action, Agent, decide
from irritants.db import get_db, get_session
from irritants.errors import wants_problem_json
from irritants.extensions import csrf, login_manager
from irritants.logs import security_event


def init_app(app: Flask) -> None:
    """Bind Flask-Login: session ids carry the account's epoch, API calls may send a Bearer token."""
    login_manager.init_app(app)
    # "basic": a changed IP or browser marks the session not fresh (mobile agents change IP all the time).
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    login_manager.request_loader(_load_bearer)
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(_tokens_are_for_the_api)
    app.after_request(_no_store_for_agents)


API_PREFIX = "/api/"
BACK_OFFICE_PREFIX = "/agents"
# API paths whose answers are for agents only (raw texts, names, decisions): never cached, whoever asks.
AGENT_API_PREFIXES = ("/api/v1/triage", "/api/v1/moderation", "/api/v1/me")
PAGES_NEED_A_SESSION = "Un jeton d'API ne donne accès qu'à l'API (/api/v1/…) : pour l'espace agents, connectez-vous."


def _tokens_are_for_the_api() -> None:
    """The HTML back-office is for signed-in browser sessions: a request carrying a Bearer token is refused there.

    A token is a long-lived secret kept in scripts and tools; it must not open the pages a person uses (and whose
    forms are protected by a CSRF token a script never has to fetch).
    """
    if bearer_token() is not None and _is_back_office_page(request.path):
        raise Forbidden(PAGES_NEED_A_SESSION)


def _is_back_office_page(path: str) -> bool:
    return path == BACK_OFFICE_PREFIX or path.startswith(BACK_OFFICE_PREFIX + "/")


def _no_store_for_agents(response: Response) -> Response:
    """Every answer to a signed-in agent, and every back-office page or agents' API answer, is ``no-store``.

    Agents' pages show raw report texts, names and one-time secrets: no browser history, back button after sign-out
    or shared proxy may keep a copy. Static files stay cacheable (the same for everyone).
    """
    if request.endpoint == "static":
        return response
    path = request.path
    if (
        _is_back_office_page(path)
        or path.startswith(AGENT_API_PREFIXES)
        or bearer_token() is not None
        or "_user_id" in cookie_session
    ):
        response.headers["Cache-Control"] = "no-store"
    return response


def _load_user(session_id: str) -> User | None:
    if bearer_token() is not None:
        return None  # a request carrying a token is judged on the token alone
    return services.load_session_user(get_session(), session_id)


def session_user() -> User:
    """The agent signed in with a browser session (API tokens are refused on every page: see above)."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    return current_user._get_current_object()  # type: ignore[attr-defined, no-any-return]


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _load_bearer(_request: Any) -> User | None:
    raw = bearer_token()
    if raw is None or not request.path.startswith(API_PREFIX):
        return None  # tokens authenticate API calls only (see _tokens_are_for_the_api)
    found = api_tokens.user_for_token(get_session(), raw)
    if found is None:
        g.bad_token = True
        return None
    user, token = found
    g.api_token_name = token.name
    if api_tokens.token_needs_touch(token):
        _touch(token.id)
    return user


def _touch(token_id: int) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        # Reads run in a read-only session that is never committed: the note gets a short transaction of its own.
        with get_db().session_scope() as own:
            api_tokens.touch_token(own, token_id)
            own.commit()
    else:
        # Writes already hold the request's transaction (on SQLite, the write lock): the view's commit saves it.
        api_tokens.touch_token(get_session(), token_id)


def _unauthorized() -> Response:
    if wants_problem_json():
        raise Unauthenticated(
            "Jeton d'API invalide, expiré ou révoqué." if g.get("bad_token") else "Connexion ou jeton d'API requis."
        )
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def current_agent() -> Agent | None:
    """The agent calling, as the policy sees it (cached for the request)."""
    if "agent" not in g:
        user = current_user if current_user and current_user.is_authenticated else None
        g.agent = services.agent_for(get_session(), user, token_name=g.get("api_token_name")) if user else None
    return g.agent


def require(action: Action, target: Any = None, **context: Any) -> Agent:
    """The calling agent if the policy allows ``action``; else 401 (not signed in), 403 or 404."""
    agent = current_agent()
    if agent is None:
        # Raises the 401 problem for API calls; for people, a redirect to the sign-in page, sent as is.
        abort(login_manager.unauthorized())
    decision = decide(agent, action, target, **context)
    if not decision:
        log_refusal(agent, str(action), decision.status)
        raise_for(decision)
    return agent


def log_refusal(agent: Agent, action: str, status: int) -> None:
    """A security line for an authorisation the policy refused: who (id, roles, token), what, on which endpoint."""
    g.refusal_logged = True  # errors.py logs the 403s that did not come through here
    security_event(
        "authz.refused",
        "authorisation refused (%s): agent %s with roles %s may not %s on %s %s%s",
        status,
        agent.user_id,
        ",".join(sorted(agent.roles)) or "none",
        action,
        request.method,
        request.endpoint,
        " (API token)" if agent.token_name is not None else "",
        level=logging.WARNING,
        agent_id=agent.user_id,
        roles=sorted(agent.roles),
        action=action,
        endpoint=request.endpoint,
    )


def protect_api_write() -> None:
    """API writes by a signed-in browser session need the CSRF token; Bearer-token calls do not."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return  # as for the forms: CSRFProtect's own switch
    if request.method not in ("GET", "HEAD", "OPTIONS") and g.get("api_token_name") is None:
        csrf.protect()
