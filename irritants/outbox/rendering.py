"""Messages rendered from templates (``templates/mail/<name>.txt`` and ``.html``, extending ``mail/_base``), and the
absolute links they carry, built from PUBLIC_URL so that a job or a command writes the same links as a request."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context, render_template

from irritants.settings import settings_of


def absolute_url(endpoint: str, /, *, app: Flask | None = None, **values: Any) -> str:
    """The absolute URL of ``endpoint`` under PUBLIC_URL, inside or outside a request (``_anchor`` allowed)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    base = urlsplit(settings_of(app).outbox.public_url)
    anchor = values.pop("_anchor", None)
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def render_mail(template: str, /, *, app: Flask | None = None, **context: Any) -> tuple[str, str]:
    """The plain text and the HTML of ``mail/<template>`` (HTML autoescaped). ``unsubscribe_url`` in ``context``
    puts the one-click unsubscribe link in the footer."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    context.setdefault("unsubscribe_url", None)
    context.setdefault("service_name", app.config["SERVICE_NAME"])
    context.setdefault("home_url", settings_of(app).outbox.public_url + "/")
    # Inside a request of this app, its own context; elsewhere (a job, a command, another app's request) this app's.
    own = has_app_context() and current_app._get_current_object() is app  # type: ignore[attr-defined]
    with contextlib.nullcontext() if own else app.app_context():
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    return _tidy(text), html


def _tidy(text: str) -> str:
    # Template blocks leave runs of blank lines: at most one between paragraphs.
    lines: list[str] = []
    for line in (raw.rstrip() for raw in text.splitlines()):
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip() + "\n"
