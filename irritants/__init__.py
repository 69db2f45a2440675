"""irritants: citizens report blockages with public services; State start-ups fix them."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from irritants import settings
from irritants.config import load_config
from irritants.french import to_paris_time

if TYPE_CHECKING:
    import click


@dataclass(frozen=True)
class Domain:
    """A domain package: its ``init_app(app)`` plugs it in (blueprints, signal receivers, template globals,
    background jobs); ``commands`` names the module whose ``COMMANDS`` it adds, which the ``irritants`` command
    lists without building the app (so without importing the domain's views)."""

    package: str
    commands: str | None = None


# Every domain, listed once, from the citizens' and agents' doors down to the reference data (docs/architecture.md).
DOMAINS = (
    Domain("irritants.public"),
    Domain("irritants.pages"),
    Domain("irritants.monitoring", commands="irritants.monitoring.cli"),
    Domain("irritants.api"),
    Domain("irritants.open311"),
    Domain("irritants.teams", commands="irritants.teams.cli"),
    Domain("irritants.opendata", commands="irritants.opendata.cli"),
    Domain("irritants.exports", commands="irritants.exports.cli"),
    Domain("irritants.insights", commands="irritants.insights.cli"),
    Domain("irritants.notify", commands="irritants.notify.cli"),
    Domain("irritants.webhooks"),
    Domain("irritants.moderation"),
    Domain("irritants.privacy", commands="irritants.privacy.cli"),
    Domain("irritants.triage", commands="irritants.triage.cli"),
    Domain("irritants.answers"),
    Domain("irritants.feedback"),
    Domain("irritants.conversations"),
    Domain("irritants.clusters", commands="irritants.clusters.cli"),
    Domain("irritants.intake", commands="irritants.intake.cli"),
    Domain("irritants.auth", commands="irritants.auth.cli"),
    Domain("irritants.squads"),
    Domain("irritants.referential", commands="irritants.referential.cli"),
    Domain("irritants.outbox", commands="irritants.outbox.cli"),
    Domain("irritants.audit"),
    Domain("irritants.partners", commands="irritants.partners.cli"),
)
APP_COMMANDS = "irritants.commands"  # db upgrade, setup: the app's own, over every domain

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
    """Build the Flask application: configuration, what every request goes through, then each domain."""
    checked = load_config(config)
    # Flask's own instance folder is the settings' one (never inside site-packages for an installed wheel).
    app = Flask(__name__, instance_path=checked["INSTANCE_PATH"], instance_relative_config=False)
    app.config.from_mapping(checked)
    settings.init_app(app)
    from irritants import background, errorreport, errors, jobs, logs

    logs.init_app(app)  # first: what follows may log, and every answer carries its X-Request-ID
    errorreport.init_app(app)
    import irritants.models  # noqa: F401  (every domain's models: foreign keys between domains resolve)

    _init_web(app)
    jobs.init_app(app)
    background.init_app(app)
    for domain in DOMAINS:
        importlib.import_module(domain.package).init_app(app)
    for command in project_commands():
        app.cli.add_command(command)
    errors.register_error_handlers(app)  # last: overrides the extensions' handlers
    return app


def project_commands() -> list[click.Command]:
    """Every command of the project (the app's own, then the domains'), without building the app."""
    modules = [APP_COMMANDS, *(domain.commands for domain in DOMAINS if domain.commands)]
    return [command for module in modules for command in importlib.import_module(module).COMMANDS]


def _init_web(app: Flask) -> None:
    """What every request goes through, in this order: proxy headers, the database session, CSRF, who is asking,
    rate limits, input checks, security headers; and the template globals every page uses."""
    from irritants import charts, db, inputs, status
    from irritants.auth import access, oidc
    from irritants.extensions import csrf, keep_client_addresses_out_of_the_limiter_logs, limiter, talisman

    if app.config["PROXY_FIX_COUNT"]:
        n = app.config["PROXY_FIX_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    db.init_app(app)
    csrf.init_app(app)
    access.init_app(app)
    limiter.init_app(app)
    keep_client_addresses_out_of_the_limiter_logs()
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
    app.jinja_env.globals["localtime"] = to_paris_time
    app.jinja_env.globals["status_badge"] = status.badge
    app.jinja_env.globals["number_fr"] = charts.number_fr
    app.jinja_env.globals["citizen_status"] = status.citizen_label
