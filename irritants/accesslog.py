"""Access logs without secrets nor forged lines: tracking tokens in URLs are masked, control characters escaped."""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

from irritants.sanitize import escape_for_log

_TOKEN_PATHS = re.compile(r"(/suivi/|/api/v1/reports/)[^/?\s\"]+")


def redact_path(path: str) -> str:
    """Replace tracking tokens in a path by ``***``."""
    return _TOKEN_PATHS.sub(r"\1***", path)


class RedactingLogger(Logger):
    """gunicorn logger whose access lines never contain tracking tokens nor query strings, and stay one line each.

    ``%(U)s`` is the *decoded* path: ``%0A`` in a URL is a real line feed there, which wrote a forged line in the
    log. Every atom (headers included) is escaped: ``\\n``, ``\\r``, ``\\t``, other invisible characters as
    ``\\xNN``/``\\uNNNN``, backslashes doubled so an escape cannot be faked either.
    """

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_path(atoms.get("U") or "")
        atoms["r"] = redact_path((atoms.get("r") or "").split("?", 1)[0])
        atoms["q"] = ""
        atoms["f"] = "-"
        return {key: escape_for_log(value) if isinstance(value, str) else value for key, value in atoms.items()}
