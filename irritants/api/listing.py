"""What every list of ``/api/v1`` answers besides its envelope (``irritants.paging``): the ``X-Total-Count`` header and
the RFC 8288 ``Link`` header to its first, previous, next and last pages — the request's own URL with another
``page``, so its filters, sort and page size carry over. ``paged`` is the one decorator of a paged list's answer;
``whole`` that of a short list given entire (``X-Total-Count`` only: it has one page)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from flask import request

from irritants.api import deprecation
from irritants.paging import Page, unpaged

LINK_HEADER = {
    "description": "Pages voisines (RFC 8288) : first, prev (sauf en page 1), next (sauf en dernière page), last ; "
    "chaque adresse reprend la requête, filtres, tri et taille de page compris",
    "schema": {"type": "string"},
    "example": '<https://irritants.beta.gouv.fr/api/v1/clusters?page=1>; rel="first", '
    '<https://irritants.beta.gouv.fr/api/v1/clusters?page=3>; rel="next"',
}
TOTAL_HEADER = {
    "description": "Nombre total d'éléments, toutes pages comprises (le total de l'enveloppe)",
    "schema": {"type": "integer", "minimum": 0},
}
PAGE_HEADERS: dict[str, Any] = {"Link": LINK_HEADER, "X-Total-Count": TOTAL_HEADER}
WHOLE_HEADERS: dict[str, Any] = {"X-Total-Count": {**TOTAL_HEADER, "description": "Nombre d'éléments de la liste"}}


def _url(page: int) -> str:
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    return f"{request.base_url}?{urlencode([*args, ('page', str(page))])}"


def link_header(page: Page[Any]) -> str:
    """``Link`` of this page of the list the current request asked for."""
    relations = [("first", 1)]
    if page.page > 1:
        relations.append(("prev", min(page.page - 1, page.pages)))
    if page.page < page.pages:
        relations.append(("next", page.page + 1))
    relations.append(("last", page.pages))
    return ", ".join(f'<{_url(number)}>; rel="{rel}"' for rel, number in relations)


def page_headers(page: Page[Any]) -> dict[str, str]:
    """``Link`` and ``X-Total-Count`` of one page of a list."""
    return {"Link": link_header(page), "X-Total-Count": str(page.total)}


def _split(result: Any) -> tuple[Any, int, dict[str, str]]:
    """A view's answer as body, status and headers (Flask's tuples: body, status, headers; body, headers)."""
    if not isinstance(result, tuple):
        return result, 200, {}
    if len(result) == 2 and not isinstance(result[1], int):
        return result[0], 200, dict(result[1])
    body, status, *rest = result
    return body, status, dict(rest[0]) if rest else {}


def paged(
    bp: Any, schema: Any, *, deprecated: Iterable[deprecation.OldSpelling] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The 200 of a paged list: ``schema`` (an envelope of ``page_schema``) with ``Link`` and ``X-Total-Count``; the
    view returns a :class:`Page` (or a page, a status and headers). ``deprecated``: the old spellings it still
    accepts, announced with ``Deprecation`` and ``Sunset``."""
    old = tuple(deprecated)
    documented = {**PAGE_HEADERS, **(deprecation.DOCUMENTED_HEADERS if old else {})}

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            body, status, headers = _split(view(*args, **kwargs))
            return body, status, {**headers, **page_headers(body)}

        answered = bp.response(200, schema, headers=documented)(wrapper)
        return deprecation.deprecates(*old)(answered) if old else answered

    return decorate


def whole(bp: Any, schema: Any, reason: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The 200 of a short list given entire (``schema`` with ``many``): ``X-Total-Count``, and ``reason`` (why it
    needs no pages) in the OpenAPI document."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            body, status, headers = _split(view(*args, **kwargs))
            return body, status, {**headers, "X-Total-Count": str(len(body))}

        return bp.doc(**unpaged(reason))(bp.response(200, schema, headers=WHOLE_HEADERS)(wrapper))

    return decorate
