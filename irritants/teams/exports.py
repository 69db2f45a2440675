"""Exports for managers and admins (``Action.EXPORT``): the page « Exporter » (``/agents/exports``: a form of the
dashboard's filters with what and which format, and one's exports prepared in the background) and the files.

- ``exports.download`` (``GET /agents/exports/fichier?what=…&format=…&from=…``, the dashboard's filter parameters):
  the file at once, streamed, when it has at most ``EXPORT_STREAM_MAX`` rows; larger, the page again with the form
  filled in, to ask for it in the background. The dashboard links here with its own filters.
- ``exports.request_export`` (``POST /agents/exports``, the form): a small export → the file; a large one → queued
  for the background runner, then the page, which lists it with its state.
- ``exports.background_file`` (``GET /agents/exports/<id>/fichier``): a prepared file, for its requester or an
  admin (404 for anyone else), while it is kept.
"""

from __future__ import annotations

import logging
import tempfile
from typing import IO, Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for

from irritants import jobs
from irritants.auth.access import require
from irritants.auth.policy import Action, Agent, forced_administration
from irritants.db import get_db, get_session, utcnow
from irritants.errors import ValidationFailed
from irritants.exports import services, tables, writers
from irritants.exports.tables import What
from irritants.exports.writers import Format
from irritants.insights.filters import PARAMS, InsightFilters, load_filters
from irritants.settings import settings_of

log = logging.getLogger(__name__)
bp = Blueprint("exports", __name__, url_prefix="/agents/exports")
SPOOL_BYTES = 8 * 1024 * 1024  # an XLSX or Parquet file of a small export is built in memory up to this size
SEND_BYTES = 64 * 1024
LABELS = {
    "what": "Données", "format": "Format", "from": "Du", "to": "Au", "administration": "Administration",
    "territory": "Département", "region": "Région", "channel": "Canal", "severity": "Gravité",
    "squad": "Start-up d’État",
}  # fmt: skip
FORMAT_LABELS = {Format.CSV: "CSV (tableur, « ; »)", Format.XLSX: "XLSX (Excel)", Format.PARQUET: "Parquet (analyse)"}


def _choice(values: Any) -> tuple[What, Format]:
    errors: dict[str, list[str]] = {}
    what = values.get("what", "")
    fmt = values.get("format", "")
    if what not in {str(w) for w in What}:
        errors["what"] = ["Choisissez les données à exporter."]
    if fmt not in {str(f) for f in Format}:
        errors["format"] = ["Choisissez un format : CSV, XLSX ou Parquet."]
    if errors:
        raise ValidationFailed("Export impossible.", errors=errors)
    return What(what), Format(fmt)


def _read(agent: Agent, values: Any) -> tuple[What, Format, InsightFilters, int]:
    """What, which format, the filters (forced administration included) and the rows, or ``ValidationFailed``."""
    errors: dict[str, list[str]] = {}
    what = fmt = filters = None
    try:
        what, fmt = _choice(values)
    except ValidationFailed as error:
        errors.update(error.errors)
    try:
        filters = load_filters({param: values.get(param) for param in PARAMS})
        filters = filters.within(forced_administration(agent))
        services.check_filters(get_session(), filters)
    except ValidationFailed as error:
        errors.update(error.errors)
    if errors or what is None or fmt is None or filters is None:
        raise ValidationFailed("Export impossible.", errors=errors)
    rows = tables.count(get_session(), what, filters)
    services.check_size(what, fmt, rows)
    return what, fmt, filters, rows


def _page(agent: Agent, values: Any, errors: dict[str, list[str]] | None = None, *, status: int = 200,
          large: int | None = None) -> Any:  # fmt: skip
    session = get_session()
    settings = settings_of(current_app).exports
    return render_template(
        "exports/exports.html",
        values=values,
        errors=errors or {},
        labels=LABELS,
        choices=services.choices(session),
        whats=[(str(w), label) for w, label in tables.WHAT_LABELS.items()],
        formats=[(str(f), label) for f, label in FORMAT_LABELS.items()],
        requests=services.requests_of(session, agent),
        stream_max=settings.stream_max,
        keep_days=settings.keep_days,
        large=large,
        now=utcnow(),
    ), status


def _attachment(file: IO[bytes], fmt: Format, name: str) -> Response:
    """A file to download, sent in pieces and closed once sent (or once the client went away)."""

    def pieces() -> Any:
        try:
            while piece := file.read(SEND_BYTES):
                yield piece
        finally:
            file.close()

    response = Response(pieces(), content_type=writers.MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _stream(what: What, fmt: Format, filters: InsightFilters) -> Response:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    fix_settings = settings_of(app).fix_effect
    name = services.file_name(what, fmt, filters)
    if fmt != Format.CSV:  # a zip (XLSX) or a footer (Parquet) is written last: the file is built, then sent
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed once sent
        try:
            services.write_export(get_session(), what, fmt, filters, spool, fix_settings)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return _attachment(spool, fmt, name)

    def pieces() -> Any:
        # Its own read session: the response outlives the view; each chunk is read as the client takes the last one.
        with get_db(app).read_sessions() as session:
            yield from writers.csv_chunks(tables.COLUMNS[what], tables.frames(session, what, filters, fix_settings))

    response = Response(pieces(), content_type=writers.MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
def page() -> Any:
    """The form (filled in from the address: the dashboard's filters) and one's exports."""
    agent = require(Action.EXPORT)
    return _page(agent, request.args)


@bp.get("/fichier")
def download() -> Any:
    """The file at once when small enough; else the page, to ask for it in the background."""
    agent = require(Action.EXPORT)
    try:
        what, fmt, filters, rows = _read(agent, request.args)
    except ValidationFailed as error:
        return _page(agent, request.args, error.errors, status=422)
    if rows > settings_of(current_app).exports.stream_max:
        return _page(agent, request.args, large=rows)
    log.info("export streamed: %s %s, %s rows, agent %s", what, fmt, rows, agent.user_id)
    return _stream(what, fmt, filters)


@bp.post("")
def request_export() -> Any:
    """The form: a small export → its file; a large one → prepared in the background, listed on the page."""
    agent = require(Action.EXPORT)
    try:
        what, fmt, filters, rows = _read(agent, request.form)
    except ValidationFailed as error:
        return _page(agent, request.form, error.errors, status=422)
    if rows <= settings_of(current_app).exports.stream_max:
        return redirect(url_for("exports.download", what=what, format=fmt, **filters.as_query()), 303)
    queued = services.request_export(get_session(), agent, what, fmt, filters, rows)
    get_session().commit()
    jobs.wake(current_app._get_current_object())  # type: ignore[attr-defined]
    log.info("export queued: %s (%s %s, %s rows), agent %s", queued.id, what, fmt, rows, agent.user_id)
    flash(f"Export n° {queued.id} demandé : il est préparé en arrière-plan et apparaîtra ci-dessous une fois prêt.",
          "success")  # fmt: skip
    return redirect(url_for("exports.page", _anchor="mes-exports"), 303)


@bp.get("/<int:export_id>/fichier")
def background_file(export_id: int) -> Any:
    """A file prepared in the background: its requester or an admin; 404 for anyone else."""
    agent = require(Action.EXPORT)
    settings = settings_of(current_app).exports
    export, path = services.downloadable(get_session(), agent, export_id, settings)
    name = services.file_name(What(export.what), Format(export.format), export.filters)
    return _attachment(path.open("rb"), Format(export.format), name)
