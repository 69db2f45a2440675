"""flask-smorest Api whose documented errors are RFC 9457 problem+json."""

from __future__ import annotations

import http
import threading
from typing import Any

import flask_smorest
import marshmallow as ma
from apispec import BasePlugin
from flask import Request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from irritants.inputs import request_json
from irritants.paging import PageQuerySchema

PROBLEM_JSON = "application/problem+json"
# Security scheme of agents' personal API tokens; a route documents it with @bp.doc(security=[{BEARER_AUTH: []}]).
BEARER_AUTH = "bearerAuth"


_INTEGER = {"type": "integer", "minimum": 0}
# What Flask-Limiter sends (RATELIMIT_HEADERS_ENABLED) on the answers of a rate-limited route, a 429 included.
RATE_LIMIT_HEADERS = {
    "Retry-After": {"description": "Secondes à attendre avant de redemander", "schema": _INTEGER},
    "X-RateLimit-Limit": {"description": "Demandes permises dans la fenêtre en cours", "schema": _INTEGER},
    "X-RateLimit-Remaining": {"description": "Demandes qui restent dans cette fenêtre", "schema": _INTEGER},
    "X-RateLimit-Reset": {"description": "Fin de la fenêtre (secondes depuis l'epoch Unix)", "schema": _INTEGER},
}

# What every 503 sends (irritants.errors: the database unavailable, nothing recorded).
UNAVAILABLE_HEADERS = {
    "Retry-After": {
        "description": "Secondes à attendre avant de réessayer (5 quand la base de données est indisponible)",
        "schema": _INTEGER,
    }
}


# Response headers of the API's own making, for ``@bp.response(..., headers=...)``.
ETAG = {
    "ETag": {"description": 'Version de la ressource, ex. "3" (à renvoyer dans If-Match)', "schema": {"type": "string"}}
}
LOCATION = {"Location": {"description": "Adresse de la ressource créée", "schema": {"type": "string"}}}

_BODY_LOCATIONS = {"json", "form", "files", "json_or_form"}

# X-Request-ID (irritants.logs): on every answer (a header component every response names), and accepted from the
# client (a parameter written out on every operation: readers of the document look parameters up by name).
REQUEST_ID = "XRequestId"
_REQUEST_ID_HEADER = {
    "description": "Identifiant de la demande, écrit dans chaque ligne de journal qui la concerne : celui envoyé "
    "par le client s'il convient, sinon un nouveau (32 chiffres hexadécimaux). À citer en écrivant à l'équipe.",
    "required": True,
    "schema": {"type": "string", "maxLength": 64},
}
_REQUEST_ID_PARAMETER = {
    "name": "X-Request-ID",
    "in": "header",
    "required": False,
    "description": "Identifiant de la demande choisi par le client ou un mandataire, pour la retrouver dans les "
    "journaux : gardé s'il fait 1 à 64 caractères parmi A-Z a-z 0-9 . _ -, remplacé par un nouveau sinon (jamais "
    "refusé). La réponse le renvoie dans son en-tête X-Request-ID.",
    "schema": {"type": "string"},
}


class RequestIdPlugin(BasePlugin):
    """Names the X-Request-ID parameter on every operation and the X-Request-ID header on each of its responses
    (those that are components get it where they are declared: ``ProblemApi._register_responses``)."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            operation["parameters"] = [*operation.get("parameters", []), dict(_REQUEST_ID_PARAMETER)]
            for code, response in (operation.get("responses") or {}).items():
                if isinstance(response, dict):
                    # A new dict: a route's headers may be a constant shared with other routes.
                    operation["responses"][code] = {
                        **response,
                        "headers": {**response.get("headers", {}), "X-Request-ID": REQUEST_ID},
                    }


def _blank_is_missing(converter: Any, field: ma.fields.Field, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """``allowEmptyValue`` on the query parameters of a list: ``?status=`` is read as no ``status`` at all."""
    if ret.get("in") == "query" and isinstance(field.parent, PageQuerySchema):
        return {"allowEmptyValue": True}
    return {}


class GuardedParser(FlaskParser):
    """webargs parser whose JSON comes from the app's one defensive parse (``irritants.inputs.request_json``).

    webargs would otherwise decode ``request.get_data()`` itself with a bare ``json.loads``: a body nested
    thousands of levels deep, a 5,000-digit integer or a lone surrogate then became a 500.
    """

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req) or not req.get_data(cache=True):
            return core.missing  # an empty body: the schema says which fields are required
        return request_json(req)


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: arguments are parsed by :class:`GuardedParser`; errors are documented with
    :meth:`problem`."""

    ARGUMENTS_PARSER = GuardedParser()

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Any:
        """flask-smorest's ``arguments``; a route that reads a body also documents the 413 of a body over
        ``MAX_CONTENT_LENGTH``, which any of them may answer."""
        parse = super().arguments(schema, location=location, **kwargs)
        if location not in _BODY_LOCATIONS:
            return parse
        too_large = self.problem(413, "Corps trop volumineux")
        return lambda view: too_large(parse(view))

    def problem(self, status: int, description: str, **kwargs: Any) -> Any:
        """Document an error answer of a route as RFC 9457 problem+json (``kwargs``: e.g. its ``headers``; a 429
        comes with the rate-limit headers)."""
        if status == 429:
            kwargs.setdefault("headers", RATE_LIMIT_HEADERS)
        elif status == 503:
            kwargs.setdefault("headers", UNAVAILABLE_HEADERS)
        return self.alt_response(
            status, schema=ProblemSchema, content_type=PROBLEM_JSON, description=description, **kwargs
        )


def links(targets: dict[str, tuple[str, dict[str, str]]]) -> dict[str, Any]:
    """OpenAPI links of a response: what a client (or schemathesis) may call next with what it was given.

    ``targets`` maps a link name to the ``operationId`` it leads to and that operation's parameters as runtime
    expressions (``$response.body#/id``, ``$request.path.slug``…)."""
    return {
        name: {"operationId": operation, "parameters": parameters, "description": f"Suite possible : {operation}"}
        for name, (operation, parameters) in targets.items()
    }


class ProblemDetailSchema(ma.Schema):
    """One field-level error: where (JSON pointer into the body) and why."""

    pointer = ma.fields.String(metadata={"description": "Pointeur JSON vers le champ en cause, ex. #/description"})
    detail = ma.fields.String(metadata={"description": "Message d'erreur en français"})


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(
        metadata={"description": "URI du type de problème (about:blank pour un statut HTTP simple)"}
    )
    title = ma.fields.String(metadata={"description": "Résumé lisible du type de problème"})
    status = ma.fields.Integer(metadata={"description": "Statut HTTP"})
    detail = ma.fields.String(metadata={"description": "Explication propre à cette occurrence"})
    instance = ma.fields.String(metadata={"description": "Chemin de la requête en cause"})
    errors = ma.fields.List(ma.fields.Nested(ProblemDetailSchema), metadata={"description": "Erreurs par champ (422)"})


class ProblemApi(Api):
    """Documents every error response as ``application/problem+json``.

    Routes are registered at once, their documentation when the OpenAPI document is first read: building it was
    most of ``create_app``'s time (deep copies of every route's doc through apispec), which every test and every
    worker paid while only ``/api/v1/openapi.json``, the docs page and ``flask openapi`` read it.
    """

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._document_lock = threading.Lock()
        self._undocumented: list[tuple[Any, Any, str, Any]] = []
        self._spec: Any = None
        super().__init__(*args, **kwargs)

    @property
    def spec(self) -> Any:
        """The OpenAPI document, with the paths of every blueprint registered so far."""
        if self._undocumented:
            with self._document_lock:  # two first requests at once must not each document half the paths
                while self._undocumented:
                    blp, app, name, parameters = self._undocumented.pop(0)
                    blp.register_views_in_doc(self, app, self._spec, name=name, parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value: Any) -> None:
        # A new document (init_app of another app): what was waiting belonged to the old one.
        self._spec, self._undocumented = value, []

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """Register ``blp``'s routes now; document them when the document is first read (see the class)."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, self._app, name, parameters))

    def _init_spec(self, *args: Any, **kwargs: Any) -> None:
        kwargs["extra_plugins"] = [*(kwargs.get("extra_plugins") or ()), RequestIdPlugin()]
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_parameter_attribute_function(_blank_is_missing)
        self.spec.components.header(REQUEST_ID, _REQUEST_ID_HEADER)
        self.spec.components.security_scheme(
            BEARER_AUTH,
            {
                "type": "http",
                "scheme": "bearer",
                "description": "Jeton d'API personnel d'un agent (« irr_… »), créé dans l'espace agents ou avec "
                "`irritants tokens create`.",
            },
        )

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase, "headers": {"X-Request-ID": REQUEST_ID}}
            if status == http.HTTPStatus.SERVICE_UNAVAILABLE:
                response["headers"].update(UNAVAILABLE_HEADERS)
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_JSON)
            else:
                prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {
            "description": "Erreur (RFC 9457)",
            "schema": self.ERROR_SCHEMA,
            "headers": {"X-Request-ID": REQUEST_ID},
        }
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_error_handlers(self) -> None:
        # irritants.errors installs the one set of handlers for the whole app.
        return None


# The app's one flask-smorest Api (bound in irritants.api.init_app): its blueprints and the OpenAPI document.
api = ProblemApi()
