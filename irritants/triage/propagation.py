"""A backlog item's progress carried to the irritants it works on, whatever the door that changed it.

Every change of an item goes through ``squads.backlog``, which sends ``events.backlog_item_changed`` inside the
caller's transaction; this receiver takes the irritants along the workflow in that same transaction, each step
through triage's own writers (``decisions.apply_assign``/``apply_status``): one audit event naming the item and the
agent, the reports' statuses, ``events.status_changed``, the irritant's version (a concurrent decision: 409, and the
door rolls everything back).

- An item **linked** to an irritant: the irritant gets the item's squad if it has none, then goes ``new`` →
  ``triaged`` → ``planned`` (and on to ``in_progress`` when the item already is). An irritant that is a duplicate,
  spam, routed elsewhere or closed without a fix is refused (422 on ``cluster_ids``): nothing is written.
- An item **going « en cours »**: each irritant it works on goes on to ``in_progress`` (``regressed`` too).
- Nothing else moves an irritant: a fixed one is never un-fixed by an item re-opened (``fixes.reopened_after_fix``
  shows it to the product owner, who decides), and « fait » never makes it fixed (``fixes.declare_fix``).

The door asked the policy about the item (``item.work``, ``sprint.manage``): the steps carried from it are not asked
again, since an irritant shared by several squads moves with the work of any of them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants import events
from irritants.auth.policy import Agent
from irritants.clusters.models import Cluster
from irritants.clusters.services import root_of
from irritants.squads.models import Squad
from irritants.squads.sprints import ITEM_STATE_LABELS, BacklogItem, BacklogItemCluster, ItemField, ItemState
from irritants.status import StatusKind
from irritants.triage.decisions import apply_assign, apply_status
from irritants.triage.workflow import check_transition, invalid, quoted

S = StatusKind
# The work's statuses, in order: a link or an item in progress only ever moves an irritant forward along them.
FORWARD = (S.NEW, S.TRIAGED, S.PLANNED, S.IN_PROGRESS)


def connect() -> None:
    """Listen to every item change (connecting again, for another app, changes nothing)."""
    events.backlog_item_changed.connect(on_item_changed)


def on_item_changed(
    session: Session, *, item_id: int, field: str, after: str | None, agent: Agent | None, **_: Any
) -> None:
    """The receiver: a link, or a move to « en cours », carried to the irritants."""
    if field == ItemField.LINK and after is not None:
        item = session.get(BacklogItem, item_id)
        if item is not None:
            linked(session, agent, item, int(after))
    elif field == ItemField.STATE and after == ItemState.IN_PROGRESS:
        item = session.get(BacklogItem, item_id)
        if item is not None:
            started(session, agent, item)


def started(session: Session, agent: Agent | None, item: BacklogItem) -> None:
    """An item now « en cours »: the irritants it works on are in progress (a fixed one stays fixed)."""
    stmt = select(Cluster).join(BacklogItemCluster, BacklogItemCluster.cluster_id == Cluster.id)
    for cluster in session.scalars(stmt.where(BacklogItemCluster.item_id == item.id).order_by(Cluster.id)).all():
        advance(session, agent, item, cluster, S.IN_PROGRESS, f"passé à « {ITEM_STATE_LABELS[ItemState.IN_PROGRESS]} »")


def refusal(session: Session, cluster: Cluster) -> str | None:
    """Why an item may not work on this irritant (None: it may)."""
    number = f"L'irritant n° {cluster.id}"
    if cluster.status == S.DUPLICATE:
        root = root_of(session, cluster)
        return f"{number} est un doublon : liez plutôt l'irritant n° {root.id}, dont il est le doublon."
    if cluster.status == S.SPAM:
        return f"{number} est classé indésirable : un élément de backlog ne peut pas y travailler."
    if cluster.status in (S.NOT_OUR_SCOPE, S.CLOSED_NOT_FIXED):
        return f"{number} est {quoted(cluster.status)} : rouvrez-le d'abord pour qu'un élément de backlog y travaille."
    return None


def link_problems(session: Session, cluster_ids: set[int]) -> dict[int, str]:
    """Of these irritants, those an item may not be linked to, each with why (unknown, spam, duplicate, closed)."""
    ids = sorted(i for i in cluster_ids if 0 < i < 2**31)
    clusters = {c.id: c for c in session.scalars(select(Cluster).where(Cluster.id.in_(ids)))} if ids else {}
    problems = {i: f"Irritant introuvable : {i}." for i in cluster_ids if i not in clusters}
    for cluster in clusters.values():
        if (message := refusal(session, cluster)) is not None:
            problems[cluster.id] = message
    return problems


def linked(session: Session, agent: Agent | None, item: BacklogItem, cluster_id: int) -> None:
    """An item now works on this irritant: it is planned (in progress when the item is), or the link is refused."""
    cluster = session.get(Cluster, cluster_id) if 0 < cluster_id < 2**31 else None
    if cluster is None:
        return  # the door checks that irritants exist; the foreign key refuses the others
    message = refusal(session, cluster)
    if message is not None:
        raise invalid("cluster_ids", message)
    target = S.IN_PROGRESS if item.state == ItemState.IN_PROGRESS else S.PLANNED
    advance(session, agent, item, cluster, target, f"lié à l'irritant (« {ITEM_STATE_LABELS[item.state]} »)")


def steps(current: StatusKind, target: StatusKind) -> list[StatusKind]:
    """The statuses an irritant goes through to reach ``target`` (none when it is there, or beyond)."""
    if current == S.REGRESSED:
        return [S.IN_PROGRESS] if target == S.IN_PROGRESS else []
    if current not in FORWARD:
        return []
    return list(FORWARD[FORWARD.index(current) + 1 : FORWARD.index(target) + 1])


def advance(
    session: Session, agent: Agent | None, item: BacklogItem, cluster: Cluster, target: StatusKind, what: str
) -> None:
    """Take the irritant forward to ``target``, each step audited with the item that caused it."""
    path = steps(cluster.status, target)
    if not path:
        return
    reason = f"Élément de backlog n° {item.id} « {item.title} » {what}"
    if cluster.squad_id is None:
        apply_assign(session, agent, cluster, session.get(Squad, item.squad_id), f"{reason}.")
    for step in path:
        check_transition(cluster.status, step)
        apply_status(session, agent, cluster, step, None, None, f"{reason} : l'irritant passe à {quoted(step)}.")
