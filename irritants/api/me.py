"""``/api/v1/me``: who is calling (agents, with a personal API token or a browser session)."""

from __future__ import annotations

from typing import Any

from irritants.api.spec import BEARER_AUTH, Blueprint
from irritants.auth import services as accounts
from irritants.auth.access import current_agent
from irritants.auth.exceptions import Unauthenticated
from irritants.auth.schemas import MeSchema
from irritants.db import get_session
from irritants.extensions import login_manager

bp = Blueprint("api_me", __name__, url_prefix="/api/v1", description="Agents : identité de l'appelant")


@bp.route("/me", methods=["GET"])
@bp.response(200, MeSchema)
@bp.problem(401, "Jeton absent, inconnu, expiré ou révoqué (en-tête WWW-Authenticate: Bearer)")
@bp.doc(security=[{BEARER_AUTH: []}])
def me() -> Any:
    """L'agent qui appelle : adresse électronique, rôles et start-ups d'État.

    Pratique pour vérifier qu'un jeton d'API fonctionne : `Authorization: Bearer irr_…`.
    """
    agent = current_agent()
    if agent is None:
        login_manager.unauthorized()  # raises the 401 problem for API paths
        raise Unauthenticated()
    db = get_session()
    user = accounts.user_by_id(db, agent.user_id)
    return (
        {
            "email": user.email,
            "name": user.name,
            "roles": sorted(agent.roles),
            "squads": [squad.slug for squad in accounts.user_squads(db, agent.user_id)],
            "token_name": agent.token_name,
        },
        200,
        {"Cache-Control": "no-store"},
    )
