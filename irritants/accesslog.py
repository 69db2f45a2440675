"""Access logs without secrets: tracking tokens in URLs are masked before gunicorn writes them."""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

_TOKEN_PATHS = re.compile(r"(/suivi/|/api/v1/reports/)[^/?\s\"]+")


def redact_path(path: str) -> str:
    """Replace tracking tokens in a path by ``***``."""
    return _TOKEN_PATHS.sub(r"\1***", path)


class RedactingLogger(Logger):
    """gunicorn logger whose access lines never contain tracking tokens nor query strings."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_path(atoms.get("U", ""))
        atoms["r"] = redact_path(atoms.get("r", "").split("?", 1)[0])
        atoms["q"] = ""
        atoms["f"] = "-"
        return atoms
