"""The open dataset for download, without login, at stable addresses under ``/statistiques/donnees/``:
``irritants.csv``, ``signalements.csv``, ``datapackage.json``, ``schema-irritants.json``, ``schema-signalements.json``
(blueprint ``opendata``; the ``/statistiques`` page links them with ``url_for("opendata.download", name=…)``).

The files are the ``opendata`` command's bytes. They are built on the first request and kept in memory for
``CACHE_SECONDS`` (each process its own copy, built again when the day changes), so a burst of downloads costs one
build; answers carry ``Cache-Control`` for the same time and an ``ETag``, so a client that has them gets a 304.
Rate-limited per network like the other public reads.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request

from irritants.db import get_session
from irritants.extensions import client_network, limiter, read_limit
from irritants.french import today
from irritants.opendata import files
from irritants.settings import settings_of

bp = Blueprint("opendata", __name__)

#: How long a build is served (and may be cached by clients and proxies): the figures move slowly.
CACHE_SECONDS = 15 * 60
_EXTENSION = "irritants.opendata"
_lock = threading.Lock()


def _dataset(app: Flask) -> files.Dataset:
    """This process's build, made again once ``CACHE_SECONDS`` have passed or the Paris day changed."""
    day = today()
    with _lock:
        cached = app.extensions.get(_EXTENSION)
        if cached is not None and cached[0] > time.monotonic() and cached[1].day == day:
            return cached[1]
        found = files.build(get_session(), settings_of(app).fix_effect, today=day, public_url=app.config["PUBLIC_URL"])
        app.extensions[_EXTENSION] = (time.monotonic() + CACHE_SECONDS, found)
        return found


@bp.get("/statistiques/donnees/<name>")
@limiter.shared_limit(read_limit, scope="opendata", key_func=client_network)
def download(name: str) -> Any:
    """One file of the dataset (404 for any other name)."""
    if name not in files.FILES:
        abort(404)
    content = _dataset(current_app._get_current_object()).files[name]  # type: ignore[attr-defined]
    response = Response(content, content_type=files.FILES[name])
    disposition = "attachment" if name.endswith(".csv") else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data: readable by any page or notebook
    response.set_etag(hashlib.sha256(content).hexdigest())
    return response.make_conditional(request)
