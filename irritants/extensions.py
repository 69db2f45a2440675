"""Unbound extension objects, bound to an app in ``create_app``."""

from __future__ import annotations

import logging

from flask import current_app, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

from irritants import ratelimit_store  # noqa: F401 - registers the irritants+sqlite:// limiter storage
from irritants.people import network_of


def client_address() -> str:
    """The client's IP, used only as a rate-limit key (never stored with reports)."""
    return request.remote_addr or "unknown"


def client_network() -> str:
    """The client's network (IPv4 address, IPv6 /64): the key of per-source limits on « moi aussi » and flags."""
    return network_of(request.remote_addr)


def submit_limit() -> str:
    return current_app.config["RATELIMIT_SUBMIT"]


def read_limit() -> str:
    return current_app.config["RATELIMIT_READ"]


def support_limit() -> str:
    return current_app.config["RATELIMIT_SUPPORT"]


def flag_limit() -> str:
    return current_app.config["RATELIMIT_FLAG"]


def lost_link_limit() -> str:
    return current_app.config["RATELIMIT_LOST_LINK"]


def lost_link_address_limit() -> str:
    return current_app.config["RATELIMIT_LOST_LINK_ADDRESS"]


def reporter_message_limit() -> str:
    return current_app.config["RATELIMIT_REPORTER_MESSAGE"]


def partner_submit_limit() -> str:
    return current_app.config["RATELIMIT_PARTNER_SUBMIT"]


csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=client_address, default_limits=[])
talisman = Talisman()


class _WithoutClientAddress(logging.Filter):
    """Flask-Limiter logs each refused request with its key, the client's address: that line is dropped (no client
    address in the logs); its lines about the counters' storage (unreachable, recovered) are kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("ratelimit ")


_without_client_address = _WithoutClientAddress()


def keep_client_addresses_out_of_the_limiter_logs() -> None:
    """Install the filter above on Flask-Limiter's logger (once, whatever the number of apps)."""
    logging.getLogger("flask-limiter").addFilter(_without_client_address)
