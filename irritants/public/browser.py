"""The citizen's browser, as the public pages know it: a signed random id in a first-party cookie (one person
counted once, anonymously) and the network a request comes from (kept only as a keyed hash)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from irritants import people

PERSON_COOKIE = "irritants_personne"  # its name over plain http; "__Host-irritants_personne" over HTTPS (config)
PERSON_COOKIE_MAX_AGE = 365 * 24 * 3600


def browser_id() -> tuple[str, bool]:
    """This browser's supporter id, signed by the server (and whether it is new): counts a person once,
    anonymously. A cookie the server did not sign — made up, or from before ids were signed — gets a fresh id."""
    value = request.cookies.get(current_app.config["PERSON_COOKIE_NAME"], "")
    secret = current_app.config["SECRET_KEY"]
    if people.is_issued(secret, value):
        return value, False
    return people.issue_supporter_id(secret), True


def request_source() -> str:
    """Keyed hash of the client's network (never the address itself), to count one network once."""
    return people.source_key(current_app.config["SECRET_KEY"], request.remote_addr)


def remember_browser(response: Any, value: str) -> Any:
    """Set the browser identifier cookie (first-party, HttpOnly, one year)."""
    response.set_cookie(
        current_app.config["PERSON_COOKIE_NAME"],
        value,
        max_age=PERSON_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        path="/",
    )
    return response
