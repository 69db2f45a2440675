"""How ``/api/v1`` retires a spelling without breaking the clients that still use it: the old spelling keeps working
until its sunset day (from then on, a 422 naming its replacement), and every answer to a request that uses it says
so with ``Deprecation`` (RFC 9745: since when), ``Sunset`` (RFC 8594: until when) and ``Link`` headers
(``rel="deprecation"`` and ``rel="sunset"``: the policy, docs/api.md). The replaced spellings are declared next to
their routes (``OldSpelling``), documented in the OpenAPI document and in docs/api-changelog.md."""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import after_this_request, request, url_for

from irritants.db import utcnow
from irritants.errors import ValidationFailed

# The first spellings retired under the policy (one list rule for every list): announced on that day, kept six
# months. A later retirement declares its own dates.
LISTS_DEPRECATED_ON = dt.date(2026, 12, 4)
LISTS_SUNSET_ON = dt.date(2027, 6, 30)


@dataclass(frozen=True)
class OldSpelling:
    """A query parameter (``value`` None: whatever its value) or one value of it that a newer spelling replaces."""

    parameter: str
    value: str | None
    replacement: str
    deprecated_on: dt.date = LISTS_DEPRECATED_ON
    sunset_on: dt.date = LISTS_SUNSET_ON

    def used_in(self, args: Mapping[str, Any]) -> bool:
        """Whether this query string uses the old spelling (a blank parameter is a missing one)."""
        given = args.get(self.parameter)
        if given is None or not str(given).strip():
            return False
        return self.value is None or str(given).strip() == self.value

    @property
    def spelling(self) -> str:
        """``parameter`` or ``parameter=value``, as the documentation writes it."""
        return self.parameter if self.value is None else f"{self.parameter}={self.value}"


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def headers(deprecated_on: dt.date, sunset_on: dt.date, docs_url: str) -> dict[str, str]:
    """RFC 9745 ``Deprecation`` (a structured date: ``@`` and Unix seconds), RFC 8594 ``Sunset`` (an HTTP-date) and
    the ``Link`` to the policy under both relations."""
    return {
        "Deprecation": f"@{int(_midnight(deprecated_on).timestamp())}",
        "Sunset": email.utils.format_datetime(_midnight(sunset_on), usegmt=True),
        "Link": f'<{docs_url}>; rel="deprecation"; type="text/html", <{docs_url}>; rel="sunset"; type="text/html"',
    }


def docs_url() -> str:
    """Where the policy and the changelog are read (the API's documentation page)."""
    return url_for("pages.api_docs", _external=True)


def headers_for(args: Mapping[str, Any], spellings: Iterable[OldSpelling]) -> dict[str, str]:
    """The headers owed to a request using some of ``spellings`` (the earliest dates when several), else none."""
    used = [s for s in spellings if s.used_in(args)]
    if not used:
        return {}
    return headers(min(s.deprecated_on for s in used), min(s.sunset_on for s in used), docs_url())


def refuse_after_sunset(args: Mapping[str, Any], spellings: Iterable[OldSpelling], today: dt.date) -> None:
    """From its sunset day, an old spelling is a 422 naming its parameter and replacement, never a silent change."""
    ended = [s for s in spellings if s.used_in(args) and today >= s.sunset_on]
    if ended:
        errors = {
            s.parameter: [
                f"{s.spelling} n'est plus accepté depuis le {s.sunset_on:%d/%m/%Y} : utilisez {s.replacement}."
            ]
            for s in ended
        }
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)


def deprecates(*spellings: OldSpelling) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A route decorator: answers to a request that uses one of ``spellings`` carry the deprecation headers; from
    its sunset day, such a request is refused (422)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refuse_after_sunset(request.args, spellings, utcnow().date())
            owed = headers_for(request.args, spellings)
            if owed:

                @after_this_request
                def _announce(response: Any) -> Any:
                    # A list's own Link header (pages) comes first; the policy's links are added to it.
                    link = response.headers.get("Link")
                    response.headers.update({k: v for k, v in owed.items() if k != "Link"})
                    response.headers["Link"] = f"{link}, {owed['Link']}" if link else owed["Link"]
                    return response

            return view(*args, **kwargs)

        return wrapper

    return decorate


def described(spellings: Iterable[OldSpelling]) -> str:
    """One sentence for the OpenAPI document: which spellings are retired, by what, until when."""
    return " ; ".join(
        f"{s.spelling} : remplacé par {s.replacement}, accepté jusqu'au {s.sunset_on.isoformat()}" for s in spellings
    )


# The response headers of a route that may answer with the deprecation notice (OpenAPI).
DOCUMENTED_HEADERS: dict[str, Any] = {
    "Deprecation": {
        "description": "Seulement si la requête emploie une écriture dépréciée : depuis quand (RFC 9745, "
        "@ suivi de secondes Unix)",
        "schema": {"type": "string", "example": "@1796342400"},
    },
    "Sunset": {
        "description": "Seulement si la requête emploie une écriture dépréciée : date après laquelle elle ne sera "
        "plus acceptée (RFC 8594)",
        "schema": {"type": "string", "example": "Wed, 30 Jun 2027 00:00:00 GMT"},
    },
}
