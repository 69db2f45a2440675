"""Unbound extension objects, bound to an app in ``create_app``."""

from __future__ import annotations

from flask import current_app, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

from irritants.api.spec import ProblemApi


def client_address() -> str:
    """The client's IP, used only as a rate-limit key (never stored with reports)."""
    return request.remote_addr or "unknown"


def submit_limit() -> str:
    return current_app.config["RATELIMIT_SUBMIT"]


def read_limit() -> str:
    return current_app.config["RATELIMIT_READ"]


csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=client_address, default_limits=[])
talisman = Talisman()
api = ProblemApi()
