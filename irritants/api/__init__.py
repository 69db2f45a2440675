"""JSON API (``/api/v1``) over the domain services, documented with OpenAPI 3."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Bind the OpenAPI object and register its blueprints; CSRF is the API's own business (``protect_api_write``:
    required of browser sessions, not of tokens), so Flask-WTF's global check leaves it alone."""
    from irritants.api import (
        answers,
        clusters,
        me,
        moderation,
        sprints,
        squads,
        triage,
        triage_recluster,
        triage_suggestions,
        triage_templates,
        views,
        webhooks,
    )
    from irritants.api.spec import api
    from irritants.extensions import csrf

    api.init_app(app)
    for bp in (views.bp, clusters.bp, me.bp, moderation.bp, triage.bp, squads.bp, sprints.bp, webhooks.bp, answers.bp):
        api.register_blueprint(bp)
    exempt = (
        triage_templates.bp,
        triage_suggestions.bp,
        triage_recluster.bp,
        squads.bp,
        sprints.bp,
        webhooks.bp,
        answers.bp,
    )
    for bp in (views.bp, clusters.bp, me.bp, moderation.bp, triage.bp, *exempt):
        csrf.exempt(bp)
