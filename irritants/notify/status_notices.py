"""Status changes citizens are told of, written down in the decision's own transaction (``events.status_changed``,
the session as sender): committed with the decision, or rolled back with it. Nothing is composed nor sent here;
the grouping job (grouping.py) does it once the change has waited MAIL_GROUP_MINUTES."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from irritants.clusters.models import Cluster
from irritants.db import utcnow
from irritants.notify.models import PendingNotice
from irritants.status import StatusKind

#: The changes a reporter or supporter hears of: a squad took it, fixed, sent elsewhere, closed without a fix, back.
TOLD = frozenset(
    {
        StatusKind.PLANNED,
        StatusKind.FIXED,
        StatusKind.NOT_OUR_SCOPE,
        StatusKind.CLOSED_NOT_FIXED,
        StatusKind.REGRESSED,
    }
)


def record_status_change(
    session: Session, *, cluster_id: int, after: StatusKind | str, public_note: str | None = None, **_: Any
) -> None:
    """Receiver of ``events.status_changed``: one pending notice when the new status is one citizens are told of
    (the agent's internal reason is not even handed to it)."""
    status = StatusKind(after)
    if status not in TOLD:
        return
    routed_to = None
    if status == StatusKind.NOT_OUR_SCOPE:
        cluster = session.get(Cluster, cluster_id)
        routed_to = cluster.routed_to if cluster is not None else None
    session.add(
        PendingNotice(
            cluster_id=cluster_id, status=status, public_note=public_note, routed_to=routed_to, created_at=utcnow()
        )
    )
