"""irritants: citizens report blockages with public services; State start-ups fix them."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from irritants import settings
from irritants.config import load_config
from irritants.french import to_paris_time

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application: configuration, extensions, blueprints, CLI and error handlers."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(load_config(config))
    settings.init_app(app)

    # Every domain's models, so that foreign keys between domains resolve in any process.
    import irritants.models  # noqa: F401
    from irritants import db, errors, inputs, jobs, status
    from irritants.api import triage_templates  # noqa: F401  (its routes are on the api_triage blueprint)
    from irritants.api.clusters import bp as api_clusters_bp
    from irritants.api.me import bp as api_me_bp
    from irritants.api.moderation import bp as api_moderation_bp
    from irritants.api.spec import api
    from irritants.api.triage import bp as api_triage_bp
    from irritants.api.views import bp as api_bp
    from irritants.auth import access, oidc
    from irritants.auth.views import bp as auth_bp
    from irritants.clusters import loading as encoder_loading
    from irritants.clusters.jobs import on_report_accepted
    from irritants.events import report_accepted
    from irritants.extensions import csrf, limiter, talisman
    from irritants.moderation.views import bp as moderation_bp
    from irritants.pages.views import bp as pages_bp
    from irritants.public.irritants import bp as triage_bp
    from irritants.public.reports import bp as intake_bp
    from irritants.triage import templates_views  # noqa: F401  (its routes are on the back-office blueprint)
    from irritants.triage.backoffice import bp as backoffice_bp

    if app.config["PROXY_FIX_COUNT"]:
        n = app.config["PROXY_FIX_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    db.init_app(app)
    csrf.init_app(app)
    access.init_app(app)
    oidc.init_app(app)
    limiter.init_app(app)
    inputs.init_app(app)  # after the limiter: refused requests still count against the limits
    csp = dict(CSP)
    if oidc.provider_origin(app.config):
        # Sign-in and sign-out forms end in a redirect to ProConnect, and form-action also governs redirects.
        csp["form-action"] = ["'self'", oidc.provider_origin(app.config)]
    talisman.init_app(
        app,
        content_security_policy=csp,
        content_security_policy_nonce_in=["script-src"],
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        referrer_policy="same-origin",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )
    api.init_app(app)

    app.register_blueprint(intake_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(triage_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(backoffice_bp)
    api.register_blueprint(api_bp)
    api.register_blueprint(api_clusters_bp)
    api.register_blueprint(api_me_bp)
    api.register_blueprint(api_moderation_bp)
    api.register_blueprint(api_triage_bp)
    csrf.exempt(api_bp)
    csrf.exempt(api_clusters_bp)
    csrf.exempt(api_moderation_bp)  # protect_api_write(): CSRF for browser sessions, not for tokens
    csrf.exempt(api_triage_bp)  # its before_request calls protect_api_write()

    jobs.init_app(app)
    encoder_loading.init_app(app)  # in the background: never delays the start nor a request
    report_accepted.connect(on_report_accepted, sender=app, weak=False)

    errors.register_error_handlers(app)
    app.jinja_env.globals["localtime"] = to_paris_time
    app.jinja_env.globals["status_badge"] = status.badge
    app.jinja_env.globals["citizen_status"] = status.citizen_label

    from irritants.cli import register_commands

    register_commands(app)
    return app
