"""Export requests: who may export what, the queue of background exports, their files and their purge.

An export small enough (``ExportSettings.stream_max`` rows) streams at once from the door; a larger one becomes an
``ExportRequest`` that the background runner builds (``jobs.py``) into the exports folder, offered for download to
its requester (and to admins) until ``expires_at``, then purged with its file.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import IO

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from irritants.auth.models import Role
from irritants.auth.policy import Agent
from irritants.db import utcnow
from irritants.errors import NotFoundError, ValidationFailed
from irritants.exports import tables, writers
from irritants.exports.models import ExportRequest, ExportState
from irritants.exports.tables import What
from irritants.exports.writers import Format
from irritants.insights.filters import InsightFilters, check_known, load_filters
from irritants.progress import Progress, no_progress
from irritants.settings import ExportSettings, FixEffectSettings

LEASE = dt.timedelta(minutes=30)  # a runner that has not finished by then is taken for dead...
SLOWEST_ROWS_PER_SECOND = 100  # ...plus the time its rows would take at a tenth of the measured pace
LISTED = 20  # the most recent requests listed on one's page


def check_filters(session: Session, filters: InsightFilters) -> None:
    """Refuse filters that name something unknown (``ValidationFailed``, French messages by parameter)."""
    problems = check_known(session, filters)
    if problems:
        raise ValidationFailed("Filtres invalides.", errors=problems)


def check_size(what: What, fmt: Format, rows: int) -> None:
    """Refuse an XLSX file past a worksheet's rows."""
    if fmt == Format.XLSX and rows > writers.XLSX_MAX_ROWS:
        message = f"{rows} lignes : trop pour un classeur XLSX (1 048 575 au plus). Choisissez CSV ou Parquet."
        raise ValidationFailed(message, errors={"format": [message]})


def file_name(what: What, fmt: Format, filters: InsightFilters | dict[str, str]) -> str:
    """The name offered for download: ``signalements-2026-09-06-2026-12-04.csv`` (filters, or their query)."""
    query = filters if isinstance(filters, dict) else filters.as_query()
    stem = {What.REPORTS: "signalements", What.IRRITANTS: "irritants", What.SQUADS: "startups"}[what]
    return f"{stem}-{query.get('from', '')}-{query.get('to', '')}.{fmt.value}"


def write_export(
    session: Session,
    what: What,
    fmt: Format,
    filters: InsightFilters,
    out: IO[bytes],
    fix_settings: FixEffectSettings,
    *,
    progress: Progress = no_progress,
) -> int:
    """Write the export of ``what`` in ``fmt`` into ``out``, chunk by chunk; returns the rows written."""
    total = tables.count(session, what, filters)
    check_size(what, fmt, total)
    done = 0
    progress("export", 0, total)

    def counted():  # type: ignore[no-untyped-def]
        nonlocal done
        for chunk in tables.frames(session, what, filters, fix_settings):
            yield chunk
            done += len(chunk)
            progress("export", done, max(total, done))

    return writers.write(fmt, tables.COLUMNS[what], counted(), out, sheet=tables.WHAT_LABELS[what][:31])


# --- background exports --------------------------------------------------------------------------------------------


def request_export(
    session: Session, agent: Agent, what: What, fmt: Format, filters: InsightFilters, rows: int
) -> ExportRequest:
    """Queue an export for the background runner (the view commits, then wakes the runner)."""
    check_size(what, fmt, rows)
    request = ExportRequest(
        requested_by_id=agent.user_id, what=str(what), format=str(fmt), filters=filters.as_query(), rows=rows
    )
    session.add(request)
    session.flush()
    return request


def claim_next(session: Session, *, now: dt.datetime | None = None) -> ExportRequest | None:
    """Take the oldest queued export (or one whose runner died) for this runner, by a conditional UPDATE; the
    caller commits at once so that no other runner takes it."""
    now = now or utcnow()
    waiting = or_(
        ExportRequest.state == ExportState.QUEUED,
        (ExportRequest.state == ExportState.RUNNING) & (ExportRequest.claimed_until < now),
    )
    candidates = select(ExportRequest.id, ExportRequest.rows).where(waiting).order_by(ExportRequest.id).limit(5)
    for request_id, rows in session.execute(candidates).all():
        lease = LEASE + dt.timedelta(seconds=(rows or 0) / SLOWEST_ROWS_PER_SECOND)
        taken = session.execute(
            update(ExportRequest)
            .where(ExportRequest.id == request_id, waiting)
            .values(state=ExportState.RUNNING, claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken == 1:
            return session.get(ExportRequest, request_id, populate_existing=True)
    return None


def build(
    session: Session, request: ExportRequest, settings: ExportSettings, fix_settings: FixEffectSettings
) -> ExportRequest:
    """Build a claimed export's file into the exports folder and mark it ready (or failed, with why)."""
    settings.directory.mkdir(parents=True, exist_ok=True)
    name = f"{request.id}-{secrets.token_hex(16)}.{request.format}"
    path = settings.directory / name
    try:
        filters = load_filters(request.filters)
        with path.open("wb") as out:
            rows = write_export(session, What(request.what), Format(request.format), filters, out, fix_settings)
    except ValidationFailed as error:
        path.unlink(missing_ok=True)
        request.state, request.error = ExportState.FAILED, error.detail[:300]
    else:
        request.state, request.file_name, request.rows = ExportState.READY, name, rows
        request.expires_at = utcnow() + dt.timedelta(days=settings.keep_days)
    request.finished_at = utcnow()
    request.claimed_until = None
    session.flush()
    return request


def fail(session: Session, request_id: int, message: str) -> None:
    """Mark an export failed after an unexpected error (the runner logs it)."""
    request = session.get(ExportRequest, request_id)
    if request is not None:
        request.state, request.error, request.finished_at = ExportState.FAILED, message[:300], utcnow()
        request.claimed_until = None
        session.flush()


def requests_of(session: Session, agent: Agent) -> list[ExportRequest]:
    """The agent's most recent export requests, newest first."""
    stmt = select(ExportRequest).where(ExportRequest.requested_by_id == agent.user_id)
    return list(session.scalars(stmt.order_by(ExportRequest.id.desc()).limit(LISTED)))


def downloadable(
    session: Session, agent: Agent, request_id: int, settings: ExportSettings
) -> tuple[ExportRequest, Path]:
    """A ready export's request and file, for its requester or an admin; 404 for anyone else (an export's existence
    is its requester's business), and for a file not ready, expired or gone."""
    request = session.get(ExportRequest, request_id)
    if request is None or (request.requested_by_id != agent.user_id and not agent.has(Role.ADMIN)):
        raise NotFoundError("Cet export n'existe pas.")
    expired = request.expires_at is not None and request.expires_at <= utcnow()
    if request.state != ExportState.READY or request.file_name is None or expired:
        raise NotFoundError("Ce fichier n'est pas disponible : il n'est pas prêt ou a expiré.")
    path = settings.directory / request.file_name
    if not path.is_file():
        raise NotFoundError("Ce fichier n'est plus disponible.")
    return request, path


def purge(session: Session, settings: ExportSettings, *, now: dt.datetime | None = None) -> int:
    """Delete the exports past their time, and their files; failed requests go after the same delay."""
    now = now or utcnow()
    old = now - dt.timedelta(days=settings.keep_days)
    gone = or_(
        ExportRequest.expires_at <= now,
        (ExportRequest.state == ExportState.FAILED) & (ExportRequest.created_at <= old),
    )
    expired = list(session.scalars(select(ExportRequest).where(gone)))
    for request in expired:
        if request.file_name:
            (settings.directory / request.file_name).unlink(missing_ok=True)
    if expired:
        session.execute(delete(ExportRequest).where(ExportRequest.id.in_([r.id for r in expired])))
    return len(expired)


# --- the form's choices --------------------------------------------------------------------------------------------


def choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """The options of the export form's lists: administrations, regions, channels, severities, squads."""
    from irritants.intake.models import SEVERITY_LABELS
    from irritants.referential.models import Administration, Channel, Territory
    from irritants.squads.models import Squad

    regions = session.execute(select(Territory.region_code, Territory.region_name).distinct())
    return {
        "administration": [
            (a.slug, a.name) for a in session.scalars(select(Administration).order_by(Administration.name))
        ],
        "region": sorted(((code, name) for code, name in regions), key=lambda r: r[1]),
        "channel": [(c.code, c.label) for c in session.scalars(select(Channel).order_by(Channel.position))],
        "severity": [(str(s), label) for s, label in SEVERITY_LABELS.items()],
        "squad": [(s.slug, s.name) for s in session.scalars(select(Squad).order_by(Squad.name))],
    }
