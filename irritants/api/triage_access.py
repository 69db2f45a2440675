"""What the route modules of ``/api/v1/triage`` share: its decisions (``triage.py``) and its reply templates
(``triage_templates.py``, a blueprint nested in the first): who may call them, how their answers are documented,
and the commit that turns a concurrent change into a 409."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from sqlalchemy.orm.exc import StaleDataError

from irritants.api.spec import BEARER_AUTH, Blueprint
from irritants.auth.access import protect_api_write, require
from irritants.auth.exceptions import StaleObject
from irritants.auth.policy import Action, Agent
from irritants.db import get_session
from irritants.triage import services as triage

PREFIX = "/api/v1/triage"
MAX_ID = 2**31 - 1
NO_STORE = {"Cache-Control": "no-store"}
SECURITY = [{BEARER_AUTH: []}]


def reading(bp: Blueprint) -> Callable[[Any], Any]:
    """Errors every read may answer, and the security scheme, in the documentation of ``bp``'s route."""

    def document(func: Any) -> Any:
        for decorator in (
            bp.problem(401, "Jeton ou session d'agent requis"),
            bp.problem(403, "Aucun rôle d'agent"),
            bp.doc(security=SECURITY),
        ):
            func = decorator(func)
        return func

    return document


def deciding(bp: Blueprint) -> Callable[[Any], Any]:
    """Errors every decision may answer, and the security scheme, in the documentation of ``bp``'s route."""

    def document(func: Any) -> Any:
        for decorator in (
            bp.problem(400, "Jeton CSRF manquant (appel avec une session de navigateur) ou en-tête If-Match invalide"),
            bp.problem(401, "Jeton ou session d'agent requis"),
            bp.problem(403, "Décision refusée à cet agent (rôle, start-up d'État) : rien n'a été changé"),
            bp.problem(404, "Irritant, signalement ou modèle inconnu"),
            bp.problem(409, "Modifié entre-temps par quelqu'un d'autre (version) : rien n'a été changé"),
            bp.problem(422, "Champs invalides ou décision impossible (ex. passage de statut non prévu)"),
            bp.doc(security=SECURITY),
        ):
            func = decorator(func)
        return func

    return document


def agents_only() -> None:
    """``before_request``: signed-in agents only; a browser session writing must prove it is this site (CSRF), a
    token need not. All of it before any body is read: a caller who may decide nothing gets 401/403 whatever they
    sent."""
    require(Action.VIEW_BACKLOG)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        require(Action.DECIDE)
    protect_api_write()


def current_agent() -> Agent:
    """The calling agent (``agents_only`` already let them in)."""
    return require(Action.VIEW_BACKLOG)


def commit() -> None:
    """The request's transaction; a concurrent change of a versioned irritant becomes a 409."""
    try:
        get_session().commit()
    except StaleDataError as exc:
        get_session().rollback()
        raise StaleObject(triage.STALE_MESSAGE) from exc
