"""``/api/v1/me``: who is calling (agents, with a personal API token or a browser session)."""

from __future__ import annotations

from typing import Any

from flask import request

from irritants.api.spec import BEARER_AUTH, RATE_LIMIT_HEADERS, Blueprint
from irritants.auth import accounts, sign_in
from irritants.auth.access import current_agent, protect_api_write
from irritants.auth.exceptions import Unauthenticated
from irritants.auth.policy import Agent
from irritants.auth.schemas import MeSchema, PasswordChangeSchema
from irritants.db import get_session
from irritants.errors import ValidationFailed, problem_response
from irritants.extensions import login_manager

bp = Blueprint("api_me", __name__, url_prefix="/api/v1", description="Agents : identité de l'appelant")


def _caller() -> Agent:
    """The agent calling; the 401 problem for anyone else."""
    agent = current_agent()
    if agent is None:
        login_manager.unauthorized()  # raises the 401 problem for API paths
        raise Unauthenticated()
    return agent


@bp.before_request
def _writes_need_an_agent() -> None:
    """Writes: an agent first (before any body is read), and a browser session proves it is this site (CSRF)."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        _caller()
        protect_api_write()


@bp.route("/me", methods=["GET"])
@bp.response(200, MeSchema)
@bp.problem(401, "Jeton absent, inconnu, expiré ou révoqué (en-tête WWW-Authenticate: Bearer)")
@bp.doc(security=[{BEARER_AUTH: []}])
def me() -> Any:
    """L'agent qui appelle : adresse électronique, rôles et start-ups d'État.

    Pratique pour vérifier qu'un jeton d'API fonctionne : `Authorization: Bearer irr_…`.
    """
    agent = _caller()
    db = get_session()
    user = accounts.user_by_id(db, agent.user_id)
    return (
        {
            "email": user.email,
            "name": user.name,
            "roles": sorted(agent.roles),
            "squads": [squad.slug for squad in accounts.user_squads(db, agent.user_id)],
            "administration": agent.administration,
            "token_name": agent.token_name,
        },
        200,
        {"Cache-Control": "no-store"},
    )


@bp.route("/me/password", methods=["POST"])
@bp.arguments(PasswordChangeSchema)
@bp.response(204)
@bp.problem(401, "Jeton absent, inconnu, expiré ou révoqué")
@bp.problem(422, "Mot de passe actuel incorrect, ou nouveau mot de passe refusé (raison dans « errors »)")
@bp.problem(
    429,
    "Trop de tentatives infructueuses : patienter (voir Retry-After)",
    headers={"Retry-After": RATE_LIMIT_HEADERS["Retry-After"]},
)
@bp.doc(security=[{BEARER_AUTH: []}])
def change_password(data: dict[str, str]) -> Any:
    """Changer son propre mot de passe (le mot de passe actuel est demandé).

    Toutes les sessions de l'agent dans un navigateur sont fermées, sauf celle qui appelle le cas échéant ; les
    jetons d'API restent valides. Les échecs comptent comme des échecs de connexion.
    """
    user = accounts.user_by_id(get_session(), _caller().user_id)
    outcome = sign_in.change_own_password(user, data["current_password"], data["new_password"], None)
    if outcome.status == 429:
        detail = outcome.errors["current_password"][0]
        return problem_response(429, detail=detail, headers={"Retry-After": str(outcome.retry_after)})
    if outcome.errors:
        raise ValidationFailed("Le mot de passe n'a pas été changé.", errors=outcome.errors)
    return "", 204, {"Cache-Control": "no-store"}
