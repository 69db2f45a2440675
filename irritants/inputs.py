"""Where request input enters: one defensive JSON parse, and control characters refused at the edge.

Every JSON body is parsed by :func:`request_json` (the API's argument parser and ``request.get_json`` both call
it), lazily, so endpoints that need an agent check who calls before the body is read. Query strings, form fields
(names too), path segments and the headers the app reads as input are checked before any view runs: NUL and the
other C0/C1 control characters are refused with a 422 naming the field, on every database alike (PostgreSQL text
cannot hold NUL at all).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Request, current_app, request

from irritants.errors import InvalidJson, NotFoundError, ValidationFailed
from irritants.sanitize import JsonRefused, forbidden_character, parse_json, refusal, strip_forbidden

# Headers the app reads as values (a bearer token is only hashed and compared).
INPUT_HEADERS = ("Idempotency-Key", "If-Match", "X-Supporter-Id")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_UNSET = object()
F = TypeVar("F", bound=Callable[..., Any])


def request_json(req: Request) -> Any:
    """The request's JSON body through the defensive parse (cached): 400 if unreadable, 422 for refused values."""
    cached = req.__dict__.get("_irritants_json", _UNSET)
    if cached is not _UNSET:
        return cached
    try:
        data = parse_json(req.get_data(cache=True))
    except JsonRefused as refused:
        if refused.status == 400:
            raise InvalidJson(refused.detail) from None
        raise ValidationFailed(refused.detail, errors=refused.errors) from None
    req.__dict__["_irritants_json"] = data
    return data


def accepts_upload(max_bytes: int) -> Callable[[F], F]:
    """Mark a view that takes a file: its body may reach ``max_bytes`` (the app's MAX_CONTENT_LENGTH elsewhere)."""

    def mark(view: F) -> F:
        view.max_body_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


class GuardedRequest(Request):
    """``get_json`` goes through :func:`request_json` too, so no JSON body escapes the defensive parse; a view
    marked :func:`accepts_upload` has its own body limit, known before anything (CSRF first) reads the form."""

    def _view_limit(self) -> int | None:
        view = current_app.view_functions.get(self.endpoint or "") if current_app else None
        return getattr(view, "max_body_bytes", None)

    @property  # type: ignore[override]
    def max_content_length(self) -> int | None:
        return self._view_limit() or Request.max_content_length.fget(self)  # type: ignore[attr-defined]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property  # type: ignore[override]
    def max_form_memory_size(self) -> int | None:
        return self._view_limit() or Request.max_form_memory_size.fget(self)  # type: ignore[attr-defined]

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not (force or self.is_json):
            return None if silent else self.on_json_loading_failed(None)
        try:
            return request_json(self)
        except (InvalidJson, ValidationFailed):
            if silent:
                return None
            raise


def checks_own_form(view: F) -> F:
    """Mark a view whose form schema refuses control characters itself (so it can show the form back)."""
    view.checks_own_form = True  # type: ignore[attr-defined]
    return view


def _check(found: dict[str, tuple[str, str]], name: str, value: str) -> None:
    for text, what in ((name, "Nom de champ refusé. "), (value, "")):
        char = forbidden_character(text)
        if char:
            found.setdefault(strip_forbidden(name) or "?", (char, what + refusal(char)))
            return


def _reads_form() -> bool:
    # The API takes JSON only, and reads it after authentication; HTML forms are read by CSRF protection anyway.
    if request.path.startswith("/api/") or request.mimetype not in _FORM_TYPES:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "checks_own_form", False)


def refuse_control_characters() -> None:
    """before_request: 422 naming each query parameter, form field or input header holding a control character."""
    if any(isinstance(v, str) and forbidden_character(v) for v in (request.view_args or {}).values()):
        raise NotFoundError("Cette adresse n'existe pas.")
    found: dict[str, tuple[str, str]] = {}
    for key, value in request.args.items(multi=True):
        _check(found, key, value)
    for name in INPUT_HEADERS:
        header = request.headers.get(name)
        if header is not None:
            _check(found, name, header)
    if _reads_form():
        for key, value in request.form.items(multi=True):
            _check(found, key, value)
    if found:
        where = ", ".join(f"« {name} » (U+{ord(char):04X})" for name, (char, _) in found.items())
        raise ValidationFailed(
            f"Caractère non autorisé dans {where} : retirez-le puis réessayez.",
            errors={name: [message] for name, (_, message) in found.items()},
        )


def init_app(app: Flask) -> None:
    """Install the guarded request class and the control-character check (after the rate limiter's)."""
    app.request_class = GuardedRequest
    app.before_request(refuse_control_characters)
