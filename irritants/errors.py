"""Domain error root, and the one place exceptions become HTML pages or RFC 9457 problem+json."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from irritants import errorreport, logs
from irritants.sanitize import escape_for_log

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "/api/v1/problems/"

FRENCH_TITLES = {
    400: "Requête invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    409: "Conflit",
    413: "Contenu trop volumineux",
    415: "Type de contenu non pris en charge",
    422: "Données invalides",
    429: "Trop de demandes",
    500: "Erreur interne",
    503: "Service momentanément indisponible",
}

FRENCH_DETAILS = {
    400: "La requête n'a pas pu être comprise.",
    403: "Vous n'avez pas accès à cette page.",
    401: "Vous devez vous connecter pour accéder à cette page.",
    404: "La page que vous cherchez est introuvable. L'adresse a peut-être été mal saisie ou la page supprimée.",
    405: "Cette méthode n'est pas autorisée sur cette adresse.",
    413: "Le contenu envoyé est trop volumineux.",
    429: "Vous avez fait trop de demandes en peu de temps. Merci de patienter avant de réessayer.",
    500: "Une erreur inattendue s'est produite.",
    503: "Le service est momentanément indisponible. Votre demande n'a pas été enregistrée : merci de réessayer "
    "dans quelques instants.",
}


# Seconds a client should wait before sending again what the database could not take.
DATABASE_RETRY_AFTER = 5


class IrritantsError(Exception):
    """Root of the domain's errors; each carries its HTTP status and a problem type slug."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Requête invalide"
    # Seconds a client should wait before asking again, sent as Retry-After on a 503.
    retry_after: int = 5

    def __init__(self, detail: str | None = None, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or {}


class NotFoundError(IrritantsError):
    status, slug, title = 404, "not-found", "Ressource introuvable"


class ValidationFailed(IrritantsError):
    status, slug, title = 422, "validation-error", "Données invalides"


class IdempotencyConflict(IrritantsError):
    status, slug, title = 422, "idempotency-key-reused", "Clé d'idempotence déjà utilisée pour une autre requête"


class StaleObject(IrritantsError):
    """Another agent changed the object since the page was loaded (optimistic versions: triage, sprints, items)."""

    status, slug, title = 409, "changed-meanwhile", "Modifié entre-temps"


class ServiceUnavailable(IrritantsError):
    status, slug, title = 503, "service-unavailable", "Service momentanément indisponible"


class InvalidJson(IrritantsError):
    status, slug, title = 400, "invalid-json", "JSON invalide"


PROBLEM_TYPES = {
    cls.slug: cls.title
    for cls in (NotFoundError, ValidationFailed, IdempotencyConflict, ServiceUnavailable, InvalidJson)
}


# A door that speaks another standard than problem+json (Open311's ``<errors>``) renders its own errors: it is given
# the HTTP status, the descriptions (the detail, then one per refused field) and the headers to send.
ErrorRenderer = Callable[[int, list[str], dict[str, str]], Response]
_FORMATS_KEY = "irritants.error_formats"


def register_error_format(app: Flask, prefix: str, render: ErrorRenderer) -> None:
    """Errors of requests under ``prefix`` are rendered by ``render`` rather than as problem+json or HTML pages."""
    app.extensions.setdefault(_FORMATS_KEY, {})[prefix] = render


def _door_format() -> ErrorRenderer | None:
    formats: dict[str, ErrorRenderer] = current_app.extensions.get(_FORMATS_KEY, {})
    for prefix, render in formats.items():
        if request.path.startswith(prefix):
            return render
    return None


def field_descriptions(errors: dict[str, Any]) -> list[str]:
    """« field : message » for each message of marshmallow-shaped ``errors`` (nested keys joined by dots)."""
    out: list[str] = []
    for entry in flatten_messages(errors):
        name = entry["pointer"].lstrip("#/").replace("/", ".")
        out.append(f"{name} : {entry['detail']}" if name else entry["detail"])
    return out


def wants_problem_json() -> bool:
    """API paths (and clients that ask for it) get problem+json; people get HTML pages."""
    if request.path.startswith("/api/") and not request.path.startswith("/api/v1/docs"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", PROBLEM_JSON])
    return best in ("application/json", PROBLEM_JSON)


def flatten_messages(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn marshmallow's nested messages into RFC 9457 ``errors`` entries with JSON pointers."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            # RFC 6901: "~" and "/" inside a member name are escaped.
            name = "" if key == "_schema" else str(key).replace("~", "~0").replace("/", "~1")
            out.extend(flatten_messages(value, f"{prefix}/{name}" if name else prefix))
    elif isinstance(messages, list | tuple):
        for item in messages:
            if isinstance(item, dict | list | tuple):
                out.extend(flatten_messages(item, prefix))
            else:
                out.append({"pointer": f"#{prefix}" if prefix else "#", "detail": str(item)})
    else:
        out.append({"pointer": f"#{prefix}" if prefix else "#", "detail": str(messages)})
    return out


def problem_response(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    slug: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build an ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": f"{PROBLEM_BASE}{slug}" if slug else "about:blank",
        "title": title or FRENCH_TITLES.get(status, "Erreur"),
        "status": status,
        "detail": detail or FRENCH_DETAILS.get(status, ""),
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def html_error(
    status: int, *, title: str | None = None, detail: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    body = render_template(
        "errors/error.html",
        status=status,
        title=title or FRENCH_TITLES.get(status, "Erreur"),
        detail=detail or FRENCH_DETAILS.get(status, ""),
    )
    response = Response(body, status=status, mimetype="text/html")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def unexpected_error_detail() -> str:
    """What a 500 says, and only what is true: the team was told only when errors are reported to it; the request's
    id, to quote when writing to the team, either way."""
    rid = logs.request_id() or "-"
    if errorreport.is_reporting():
        return f"{FRENCH_DETAILS[500]} L'équipe a été prévenue. Référence de la demande : {rid}."
    return (
        f"{FRENCH_DETAILS[500]} Si le problème persiste, écrivez à l'équipe en indiquant la référence de la demande : "
        f"{rid}."
    )


def _http_exception(error: HTTPException, *, logged: bool = False) -> Response:
    status = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    data = getattr(error, "data", None) or {}
    headers.update(data.get("headers") or {})
    if status == 429:
        headers.setdefault("Retry-After", str(_retry_after(error)))
        logs.security_event(
            "ratelimit.refused", "rate limit reached on %s %s", request.method, request.endpoint,
            level=logging.WARNING, endpoint=request.endpoint,
        )  # fmt: skip
    if isinstance(error, CSRFError):
        logs.security_event(
            "csrf.refused", "request refused without a valid CSRF token on %s %s", request.method, request.endpoint,
            level=logging.WARNING, endpoint=request.endpoint,
        )  # fmt: skip
    if status >= 500 and not logged:
        log.error("HTTP %s on %s %s", status, request.method, escape_for_log(logs.redact_path(request.path)))
    detail_500 = unexpected_error_detail() if status == 500 else None
    render = _door_format()
    if render is not None:
        return render(
            status, [detail_500 or FRENCH_DETAILS.get(status) or FRENCH_TITLES.get(status, "Erreur")], headers
        )
    if wants_problem_json():
        messages = data.get("messages") or data.get("errors")
        errors = None
        if messages:
            # webargs nests by location ("json", "query"…); pointers are relative to the body.
            if (
                isinstance(messages, dict)
                and len(messages) == 1
                and next(iter(messages)) in ("json", "query", "headers", "form")
            ):
                messages = next(iter(messages.values()))
            errors = flatten_messages(messages)
        slug = "validation-error" if status == 422 else None
        detail = detail_500
        if status == 422:
            detail = "Certains champs sont invalides : voir « errors »."
        elif status == 400 and messages:
            detail = "Le corps de la requête n'est pas un JSON valide (UTF-8 attendu)."
            errors = None
        return problem_response(status, slug=slug, detail=detail, errors=errors, headers=headers)
    return html_error(status, detail=detail_500, headers=headers)


def _retry_after(error: HTTPException) -> int:
    limit = getattr(error, "limit", None)
    try:
        return max(1, int(limit.limit.get_expiry())) if limit is not None else 60
    except Exception:
        return 60


def _log_forbidden(error: IrritantsError) -> None:
    """A security line for a 403 that the policy's ``require`` did not log already (rules checked in services)."""
    if error.status != 403 or g.get("refusal_logged"):
        return
    agent = g.get("agent")  # the policy's view of the caller, when the request asked for it
    roles = sorted(getattr(agent, "roles", ()) or ())
    logs.security_event(
        "authz.refused",
        "authorisation refused (403) on %s %s",
        request.method,
        request.endpoint,
        level=logging.WARNING,
        roles=roles or None,
        endpoint=request.endpoint,
    )


def _domain_error(error: IrritantsError) -> Response:
    _log_forbidden(error)
    render = _door_format()
    if render is not None:
        headers = {"Retry-After": str(error.retry_after)} if error.status == 503 else {}
        return render(error.status, [error.detail, *field_descriptions(error.errors)], headers)
    if wants_problem_json():
        errors = flatten_messages(error.errors) if error.errors else None
        headers = {"Retry-After": str(error.retry_after)} if error.status == 503 else {}
        if error.status == 401:
            # RFC 6750: name the scheme API clients must use, and say when the token they sent was refused.
            refused = ', error="invalid_token"' if g.get("bad_token") else ""
            headers["WWW-Authenticate"] = f'Bearer realm="irritants"{refused}'
        return problem_response(
            error.status, title=error.title, detail=error.detail, slug=error.slug, errors=errors, headers=headers
        )
    return html_error(error.status, title=error.title, detail=error.detail)


def is_database_unavailable(error: DBAPIError) -> bool:
    """Whether the database failed to serve (unreachable, connection lost, disk full, locked) rather than refused the
    statement: the request may succeed once it is back, with nothing to change."""
    return bool(error.connection_invalidated) or isinstance(error, OperationalError)


def note_database_unavailable(error: DBAPIError) -> None:
    """Log the outage (the error's class only) and roll back the request's work, so that the answer can be built."""
    # Never leak SQL or parameters (they may hold personal data): log the class only.
    log.error(
        "database unavailable on %s %s: %s",
        request.method,
        escape_for_log(logs.redact_path(request.path)),
        type(error.orig).__name__,
    )
    _roll_back_the_failed_work()


def _database_unavailable(error: DBAPIError) -> Response:
    note_database_unavailable(error)
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
    render = _door_format()
    if render is not None:
        return render(503, [FRENCH_DETAILS[503]], headers)
    if wants_problem_json():
        return problem_response(503, slug="service-unavailable", headers=headers)
    return html_error(503, headers=headers)


def _roll_back_the_failed_work() -> None:
    """The request's session after a failed flush refuses every query until rolled back: the error page itself
    (who is signed in, the menu) must be able to read."""
    session = g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except DBAPIError:
            # The connection is gone: the session lets it go and opens another on its next query.
            log.warning("rollback failed: the database connection is gone")


def _unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return _http_exception(error)
    _roll_back_the_failed_work()
    # One line (one error report) per unhandled error: the exception's, not a second « HTTP 500 » line.
    log.exception("unhandled error on %s %s", request.method, escape_for_log(logs.redact_path(request.path)))
    return _http_exception(InternalServerError(), logged=True)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; called after extensions so these override theirs."""
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(IrritantsError, _domain_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(DBAPIError, database_error)
    app.register_error_handler(Exception, _unexpected)
    # Flask runs after_request hooks in reverse order of registration. Registered after the extensions, the
    # first runs before Flask-Limiter's header hook; inserted first in the list, the second runs after it.
    app.after_request(_remember_own_retry_after)
    app.after_request_funcs.setdefault(None, []).insert(0, _restore_own_retry_after)


def _remember_own_retry_after(response: Response) -> Response:
    g.own_retry_after = response.headers.get("Retry-After")
    return response


def _restore_own_retry_after(response: Response) -> Response:
    """Keep the Retry-After the app chose (5 s on a 503, the lock on a 429…) and none where it chose none.

    Flask-Limiter's header hook sets Retry-After on every response of a rate-limited route, to the later of the
    existing value and the end of the current window: a 503 "database unavailable" then said 60 instead of 5,
    and a 201 said when the window resets.
    """
    own = g.pop("own_retry_after", None)
    if own is None:
        response.headers.pop("Retry-After", None)
    else:
        response.headers["Retry-After"] = own
    return response


def database_error(error: DBAPIError) -> Response:
    """The answer to a database error: 503 (with Retry-After) when the database is unavailable, else a 500."""
    if is_database_unavailable(error):
        return _database_unavailable(error)
    return _unexpected(error)
