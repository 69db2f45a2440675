"""The one writer of a report's public status (``Report.status``): a copy of its irritant's status.

Citizens follow their report, but what they are told (tracking page, public API) is where its irritant stands.
Whatever changes an irritant's status or puts reports in another irritant (placement of a new report,
re-clustering, status decisions, merges and their undo, splits, moves) calls ``sync_report_statuses`` once its
own writes are flushed; nothing else writes the column (tests/web/test_report_status.py checks both, and
docs/architecture.md says why a copy rather than a join).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from irritants.clusters.models import Cluster
from irritants.intake.models import Report

_CHUNK = 500  # ids per IN list: under SQLite's bound-parameter limit whatever an irritant's size


def sync_report_statuses(
    session: Session, *, cluster_ids: Iterable[int] | None = None, report_ids: Iterable[int] | None = None
) -> None:
    """Copy their irritant's status onto reports: the reports of ``cluster_ids`` and the reports ``report_ids``,
    or every report in an irritant when neither is given. A report in no irritant keeps « new »."""
    status = select(Cluster.status).where(Cluster.id == Report.cluster_id).scalar_subquery()
    stale = update(Report).where(Report.cluster_id.is_not(None), Report.status != status).values(status=status)
    if cluster_ids is None and report_ids is None:
        statements = [stale]
    else:
        statements = [stale.where(Report.cluster_id.in_(part)) for part in _chunks(cluster_ids)]
        statements += [stale.where(Report.id.in_(part)) for part in _chunks(report_ids)]
    for statement in statements:
        # "fetch": a report loaded in this session (a moved one, say) reads its new status, not the old one.
        session.execute(statement.execution_options(synchronize_session="fetch"))


def _chunks(ids: Iterable[int] | None) -> list[list[int]]:
    ordered = sorted(set(ids or ()))
    return [ordered[i : i + _CHUNK] for i in range(0, len(ordered), _CHUNK)]
