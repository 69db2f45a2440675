"""Public information pages, API documentation page, and liveness/readiness probes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template

from irritants.db import get_db
from irritants.errors import PROBLEM_TYPES
from irritants.pages import health

bp = Blueprint("pages", __name__)


@bp.get("/accessibilite")
def accessibility() -> str:
    """Déclaration d'accessibilité."""
    return render_template("pages/accessibility.html")


@bp.get("/mentions-legales")
def legal() -> str:
    """Mentions légales."""
    return render_template("pages/legal.html")


@bp.get("/donnees-personnelles")
def privacy() -> str:
    """Données personnelles et cookies."""
    return render_template("pages/privacy.html")


@bp.get("/plan-du-site")
def sitemap() -> str:
    """Plan du site."""
    return render_template("pages/sitemap.html")


@bp.get("/api/v1/docs")
def api_docs() -> str:
    """Interactive API documentation, served from local static files."""
    return render_template("pages/api_docs.html", spec_url="/api/v1/openapi.json")


@bp.get("/api/v1/problems/<slug>")
def problem_type(slug: str) -> Any:
    """Human description of a problem type URI used in problem+json answers."""
    title = PROBLEM_TYPES.get(slug)
    if title is None:
        return jsonify({"type": "about:blank", "title": "Type de problème inconnu", "status": 404}), 404
    return jsonify({"type": f"/api/v1/problems/{slug}", "title": title})


@bp.get("/healthz")
def healthz() -> Any:
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Any:
    """Readiness: the database answers and its schema is at the migrations' head."""
    state = health.readiness(get_db(current_app))
    return jsonify(state), (200 if state["status"] == "ok" else 503)
