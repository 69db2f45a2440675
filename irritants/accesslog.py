"""gunicorn's lines in the app's format (irritants/logs.py): its error log, and access lines without secrets nor forged
lines — tracking tokens and signed links in URLs masked, no query string, control characters escaped."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from irritants.config import log_settings
from irritants.logs import formatter, redact_path
from irritants.sanitize import escape_for_log
from irritants.settings import LogFormat

__all__ = ["RedactingLogger", "redact_path"]


class RedactingLogger(Logger):
    """gunicorn logger whose access lines never contain tracking tokens nor query strings, and stay one line each.

    ``%(U)s`` is the *decoded* path: ``%0A`` in a URL is a real line feed there, which wrote a forged line in the
    log. Every atom (headers included) is escaped: ``\\n``, ``\\r``, ``\\t``, other invisible characters as
    ``\\xNN``/``\\uNNNN``, backslashes doubled so an escape cannot be faked either.

    With IRRITANTS_LOG_FORMAT=json (gunicorn.conf.py's default), the error log's lines are the app's JSON objects
    and each access line is one too: time, method, path, status, duration_ms, bytes and the request_id the app
    answered with (``X-Request-ID``); never the client's address, user agent nor referrer.
    """

    json_lines = False

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        kind = log_settings().format
        self.json_lines = kind is LogFormat.JSON
        if self.json_lines and not (cfg.logconfig_dict or cfg.logconfig_json or cfg.logconfig):
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(formatter(kind))

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_path(atoms.get("U") or "")
        atoms["r"] = redact_path((atoms.get("r") or "").split("?", 1)[0])
        atoms["q"] = ""
        atoms["f"] = "-"
        return {key: escape_for_log(value) if isinstance(value, str) else value for key, value in atoms.items()}

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if not self.json_lines:
            super().access(resp, req, environ, request_time)
            return
        cfg = self.cfg  # gunicorn's own test, which its versions spell differently
        if not (cfg.accesslog or cfg.logconfig or cfg.logconfig_dict or cfg.logconfig_json or cfg.syslog):
            return
        atoms = self.atoms(resp, req, environ, request_time)
        rid = atoms.get("{x-request-id}o")
        fields = {
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "bytes": atoms["B"],
            "request_id": rid if rid and rid != "-" else None,
        }
        self.access_log.info("%s %s %s", fields["method"], fields["path"], fields["status"], extra=fields)
