"""GET /metrics: the Prometheus text, for the bearer of IRRITANTS_METRICS_TOKEN only.

Never public: a missing or wrong token gets a 401 (problem+json, ``WWW-Authenticate: Bearer``) before anything is
read; the token is compared in constant time (digests of equal length). No CSRF (a GET that changes nothing) and no
rate limit: the scraper calls every 15 to 60 seconds from one address, and a wrong token costs one hash.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, current_app, request

from irritants.db import get_session
from irritants.errors import problem_response
from irritants.monitoring import services
from irritants.monitoring.instruments import CONTENT_TYPE, instruments_of
from irritants.settings import settings_of

bp = Blueprint("monitoring", __name__)

CHALLENGE = 'Bearer realm="metrics"'


@bp.get("/metrics")
def metrics() -> Response:
    """Counters of every worker and the queues of the database, in Prometheus' text format."""
    token = settings_of(current_app).monitoring.token
    if token is None or not _bears(token):
        wrong = bool(request.headers.get("Authorization"))
        return problem_response(
            401,
            title="Jeton requis",
            detail="Les métriques ne sont servies qu'avec le jeton de supervision (Authorization: Bearer …).",
            headers={"WWW-Authenticate": CHALLENGE + (', error="invalid_token"' if wrong else "")},
        )
    body = instruments_of(current_app).exposition(services.read_backlog(get_session()))
    response = Response(body, status=200, content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _bears(token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    digest = hashlib.sha256(given.strip().encode("utf-8", "surrogateescape")).digest()
    return hmac.compare_digest(digest, hashlib.sha256(token.encode("utf-8")).digest())
