"""Sprints and backlog items of a squad: the services (the caller commits; nothing here asks the policy).

Every change of an item is written to ``backlog_item_changes`` (who, when, old and new values) in the caller's
transaction; a sprint's lifecycle (created, edited, started, closed) goes to the audit log. Sprints and items carry
an optimistic version: an ``expected_version`` that is not the current one raises ``StaleObject`` (409), the
conflict triage raises, before anything is written.

Squads sit below irritants and agents in the domains' order, so the doors ask the policy and check that the
irritants they link exist (the foreign key refuses the others). Progress is read in ``sprint_progress``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from irritants import events
from irritants.audit.services import SYSTEM, Actor
from irritants.db import utcnow
from irritants.errors import NotFoundError, StaleObject, ValidationFailed
from irritants.paging import Page, ordered, paginate
from irritants.sanitize import clean_line, clean_text
from irritants.squads.models import Squad
from irritants.squads.sprints import (
    ITEM_STATE_LABELS,
    BacklogItem,
    BacklogItemChange,
    BacklogItemCluster,
    ItemField,
    ItemState,
    Sprint,
    SprintState,
)

TITLE_MAX = 200
STALE_SPRINT = "Ce sprint a été modifié entre-temps par quelqu'un d'autre : votre modification n'a pas été appliquée."
STALE_ITEM = (
    "Cet élément de backlog a été modifié entre-temps par quelqu'un d'autre : votre modification n'a pas été appliquée."
)


# --- shared checks -----------------------------------------------------------------------------------------------


def invalid(field: str, message: str) -> ValidationFailed:
    """A 422 whose summary is the field's own message."""
    return ValidationFailed(message, errors={field: [message]})


def check_version(obj: Sprint | BacklogItem, expected_version: int | None) -> None:
    """The agent acted on the version they saw: any other means someone changed it meanwhile (409)."""
    if expected_version is not None and expected_version != obj.version:
        raise StaleObject(STALE_SPRINT if isinstance(obj, Sprint) else STALE_ITEM)


def flush(session: Session, message: str = STALE_ITEM) -> None:
    """Flush; a concurrent update of a versioned row (UPDATE matched no row) becomes a 409."""
    try:
        session.flush()
    except StaleDataError as exc:  # a concurrent update matched no row
        raise StaleObject(message) from exc


def get_sprint(session: Session, sprint_id: int) -> Sprint:
    """The sprint with this id, or a 404."""
    sprint = session.get(Sprint, sprint_id) if 0 < sprint_id < 2**31 else None
    if sprint is None:
        raise NotFoundError("Ce sprint n'existe pas.")
    return sprint


def get_item(session: Session, item_id: int) -> BacklogItem:
    """The backlog item with this id, or a 404."""
    item = session.get(BacklogItem, item_id) if 0 < item_id < 2**31 else None
    if item is None:
        raise NotFoundError("Cet élément de backlog n'existe pas.")
    return item


def get_squad(session: Session, squad_id: int) -> Squad:
    """The squad with this id, or a 404."""
    squad = session.get(Squad, squad_id) if 0 < squad_id < 2**31 else None
    if squad is None:
        raise NotFoundError("Cette start-up d'État n'existe pas.")
    return squad


# --- items -------------------------------------------------------------------------------------------------------


def log_change(
    session: Session, actor: Actor | None, item: BacklogItem, field: ItemField, old: Any, new: Any, now: dt.datetime
) -> None:
    """One row of the item change log, in the caller's transaction."""
    session.add(
        BacklogItemChange(
            item_id=item.id, changed_at=now, actor_id=actor.user_id if actor else None,
            actor=actor.label if actor else SYSTEM, field=field,
            old_value=None if old is None else str(old), new_value=None if new is None else str(new),
        )
    )  # fmt: skip
    events.backlog_item_changed.send(
        session, item_id=item.id, squad_id=item.squad_id, field=field.value,
        before=None if old is None else str(old), after=None if new is None else str(new), agent=actor,
    )  # fmt: skip


def set_field(
    session: Session, actor: Actor | None, item: BacklogItem, field: ItemField, attr: str, value: Any, now: dt.datetime
) -> bool:
    """Set one attribute of an item and log the change (nothing when unchanged); whether it changed."""
    old = getattr(item, attr)
    if old == value:
        return False
    setattr(item, attr, value)
    item.updated_at = now
    log_change(session, actor, item, field, old.value if isinstance(old, ItemState) else old, value, now)
    return True


def _title(title: str) -> str:
    text = clean_line(title or "")
    if not text:
        raise invalid("title", "Donnez un titre à l'élément de backlog.")
    if len(text) > TITLE_MAX:
        raise invalid("title", f"Le titre ne doit pas dépasser {TITLE_MAX} caractères.")
    return text


def _points(points: Any) -> int | None:
    if points is None:
        return None
    if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points < 2**31:
        raise invalid("points", "Les points sont un nombre entier positif ou nul (ou rien).")
    return points


def _sprint_for(session: Session, squad_id: int, sprint_id: int | None) -> int | None:
    if sprint_id is None:
        return None
    sprint = session.get(Sprint, sprint_id) if 0 < sprint_id < 2**31 else None
    if sprint is None or sprint.squad_id != squad_id:
        raise invalid("sprint_id", f"Sprint n° {sprint_id} introuvable pour cette start-up d'État.")
    if sprint.state == SprintState.CLOSED:
        raise invalid("sprint_id", f"Le sprint {sprint.number} est terminé : on n'y ajoute plus d'éléments.")
    return sprint.id


def create_item(
    session: Session,
    actor: Actor | None,
    squad_id: int,
    *,
    title: str,
    description: str = "",
    points: int | None = None,
    sprint_id: int | None = None,
    cluster_ids: Iterable[int] = (),
    now: dt.datetime | None = None,
) -> BacklogItem:
    """A new item at the bottom of the squad's backlog (in a sprint if given), linked to the given irritants."""
    get_squad(session, squad_id)
    now = now or utcnow()
    last = session.scalar(select(func.max(BacklogItem.rank)).where(BacklogItem.squad_id == squad_id))
    item = BacklogItem(
        squad_id=squad_id, title=_title(title), description=clean_text(description), points=_points(points),
        state=ItemState.TODO, rank=(last or 0) + 1, sprint_id=_sprint_for(session, squad_id, sprint_id),
        created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(item)
    session.flush()
    log_change(session, actor, item, ItemField.CREATED, None, item.title, now)
    log_change(session, actor, item, ItemField.STATE, None, item.state.value, now)
    if item.points is not None:
        log_change(session, actor, item, ItemField.POINTS, None, item.points, now)
    if item.sprint_id is not None:
        log_change(session, actor, item, ItemField.SPRINT, None, item.sprint_id, now)
    for cluster_id in sorted(set(cluster_ids)):
        session.add(BacklogItemCluster(item_id=item.id, cluster_id=cluster_id))
        log_change(session, actor, item, ItemField.LINK, None, cluster_id, now)
    flush(session)
    return item


def _item(session: Session, item_id: int, expected_version: int | None) -> BacklogItem:
    item = get_item(session, item_id)
    check_version(item, expected_version)
    return item


def edit_item(
    session: Session,
    actor: Actor | None,
    item_id: int,
    *,
    expected_version: int | None = None,
    title: str | None = None,
    description: str | None = None,
    points: int | None = None,
    clear_points: bool = False,
    now: dt.datetime | None = None,
) -> BacklogItem:
    """Change an item's title, description or points (``clear_points``: no estimate any more)."""
    item, now = _item(session, item_id, expected_version), now or utcnow()
    if title is not None:
        set_field(session, actor, item, ItemField.TITLE, "title", _title(title), now)
    if description is not None:
        set_field(session, actor, item, ItemField.DESCRIPTION, "description", clean_text(description), now)
    if points is not None or clear_points:
        set_field(session, actor, item, ItemField.POINTS, "points", None if clear_points else _points(points), now)
    flush(session)
    return item


def change_state(
    session: Session,
    actor: Actor | None,
    item_id: int,
    state: ItemState | str,
    *,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> BacklogItem:
    """« à faire », « en cours » or « fait », in any order (a done item can be re-opened)."""
    item = _item(session, item_id, expected_version)
    try:
        state = ItemState(state)
    except ValueError:
        choices = ", ".join(f"« {label} »" for label in ITEM_STATE_LABELS.values())
        raise invalid("state", f"État inconnu : les états possibles sont {choices}.") from None
    if set_field(session, actor, item, ItemField.STATE, "state", state, now or utcnow()):
        flush(session)
    return item


def set_sprint(
    session: Session,
    actor: Actor | None,
    item_id: int,
    sprint_id: int | None,
    *,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> BacklogItem:
    """Put an item in one of its squad's open sprints, or back in the product backlog (None)."""
    item = _item(session, item_id, expected_version)
    target = _sprint_for(session, item.squad_id, sprint_id)
    if set_field(session, actor, item, ItemField.SPRINT, "sprint_id", target, now or utcnow()):
        flush(session)
    return item


def _same_list(session: Session, item: BacklogItem) -> list[BacklogItem]:
    # An item moves among the items of its list: its sprint's, or the product backlog (no sprint).
    where = BacklogItem.sprint_id == item.sprint_id if item.sprint_id else BacklogItem.sprint_id.is_(None)
    stmt = select(BacklogItem).where(BacklogItem.squad_id == item.squad_id, where)
    return list(session.scalars(stmt.order_by(BacklogItem.rank, BacklogItem.id)))


def move_item(
    session: Session,
    actor: Actor | None,
    item_id: int,
    where: str,
    *,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> BacklogItem:
    """Move an item up, down or to the top of its list (its sprint, or the product backlog)."""
    if where not in ("up", "down", "top"):
        raise invalid("move", "Déplacement inconnu : vers le haut, vers le bas ou tout en haut.")
    item, now = _item(session, item_id, expected_version), now or utcnow()
    items = _same_list(session, item)
    index = next(i for i, other in enumerate(items) if other.id == item.id)
    if where == "top" and index > 0:
        lowest = session.scalar(select(func.min(BacklogItem.rank)).where(BacklogItem.squad_id == item.squad_id))
        set_field(session, actor, item, ItemField.RANK, "rank", (lowest or 0) - 1, now)
    elif where in ("up", "down"):
        other_index = index - 1 if where == "up" else index + 1
        if 0 <= other_index < len(items):
            other = items[other_index]
            mine, theirs = item.rank, other.rank
            set_field(session, actor, item, ItemField.RANK, "rank", theirs, now)
            set_field(session, actor, other, ItemField.RANK, "rank", mine, now)
    flush(session)
    return item


def linked_irritants(session: Session, item_id: int) -> list[int]:
    """The ids of the irritants an item works on."""
    stmt = select(BacklogItemCluster.cluster_id).where(BacklogItemCluster.item_id == item_id)
    return list(session.scalars(stmt.order_by(BacklogItemCluster.cluster_id)))


def link_irritant(
    session: Session,
    actor: Actor | None,
    item_id: int,
    cluster_id: int,
    *,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> BacklogItem:
    """The item works on this irritant too (an irritant may be worked by several items, of several squads)."""
    item, now = _item(session, item_id, expected_version), now or utcnow()
    if session.get(BacklogItemCluster, (item.id, cluster_id)) is None:
        session.add(BacklogItemCluster(item_id=item.id, cluster_id=cluster_id))
        item.updated_at = now
        log_change(session, actor, item, ItemField.LINK, None, cluster_id, now)
        flush(session)
    return item


def unlink_irritant(
    session: Session,
    actor: Actor | None,
    item_id: int,
    cluster_id: int,
    *,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> BacklogItem:
    """The item no longer works on this irritant."""
    item, now = _item(session, item_id, expected_version), now or utcnow()
    link = session.get(BacklogItemCluster, (item.id, cluster_id))
    if link is not None:
        session.delete(link)
        item.updated_at = now
        log_change(session, actor, item, ItemField.UNLINK, cluster_id, None, now)
        flush(session)
    return item


def set_rank(
    session: Session,
    actor: Actor | None,
    item_id: int,
    rank: int,
    *,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> BacklogItem:
    """Put an item at this rank of its squad's product backlog; when another item holds it, that one and those after
    it move down one (ranks stay unique within a squad), each move logged."""
    if isinstance(rank, bool) or not isinstance(rank, int) or not -(2**30) < rank < 2**30:
        raise invalid("rank", "Le rang est un nombre entier.")
    item, now = _item(session, item_id, expected_version), now or utcnow()
    if item.rank == rank:
        return item
    others = BacklogItem.squad_id == item.squad_id, BacklogItem.id != item.id
    if session.scalar(select(BacklogItem.id).where(*others, BacklogItem.rank == rank)) is not None:
        after = session.scalars(
            select(BacklogItem).where(*others, BacklogItem.rank >= rank).order_by(BacklogItem.rank)
        ).all()
        for other in after:
            set_field(session, actor, other, ItemField.RANK, "rank", other.rank + 1, now)
    set_field(session, actor, item, ItemField.RANK, "rank", rank, now)
    flush(session)
    return item


# What a squad's sprints and items may be sorted by (the API's ``sort``).
SPRINT_SORTS = ("number", "starts_on")
ITEM_SORTS = ("rank", "points", "updated_at")


def list_sprints(session: Session, squad_id: int, *, page: int, page_size: int, sort: str = "-number") -> Page[Sprint]:
    """A squad's sprints in the ``sort`` order (the latest first by default)."""
    stmt = ordered(
        select(Sprint).where(Sprint.squad_id == squad_id),
        sort,
        {"number": Sprint.number, "starts_on": Sprint.starts_on},
        tiebreak=Sprint.id,
    )
    return paginate(session, stmt, page=page, page_size=page_size)


def list_items(
    session: Session,
    squad_id: int,
    *,
    page: int,
    page_size: int,
    sprint_id: int | None = None,
    backlog_only: bool = False,
    state: ItemState | None = None,
    sort: str = "rank",
) -> Page[BacklogItem]:
    """A squad's items in the ``sort`` order (rank by default): all, one sprint's, or the product backlog's (no
    sprint), of one state or any."""
    stmt = select(BacklogItem).where(BacklogItem.squad_id == squad_id)
    if backlog_only:
        stmt = stmt.where(BacklogItem.sprint_id.is_(None))
    elif sprint_id is not None:
        stmt = stmt.where(BacklogItem.sprint_id == sprint_id)
    if state is not None:
        stmt = stmt.where(BacklogItem.state == state)
    columns = {
        "rank": BacklogItem.rank,
        "points": (BacklogItem.points, BacklogItem.rank),
        "updated_at": BacklogItem.updated_at,
    }
    return paginate(session, ordered(stmt, sort, columns, tiebreak=BacklogItem.id), page=page, page_size=page_size)


def links_of(session: Session, item_ids: Iterable[int]) -> dict[int, list[int]]:
    """The irritants each of these items works on (ids in order)."""
    ids = sorted(set(item_ids))
    links: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        stmt = select(BacklogItemCluster).where(BacklogItemCluster.item_id.in_(ids))
        for link in session.scalars(stmt.order_by(BacklogItemCluster.cluster_id)):
            links[link.item_id].append(link.cluster_id)
    return links


def items_on(session: Session, cluster_ids: Iterable[int]) -> dict[int, list[BacklogItem]]:
    """The items working on each of these irritants (any squad's), in rank order."""
    ids = sorted(set(cluster_ids))
    found: dict[int, list[BacklogItem]] = {i: [] for i in ids}
    if ids:
        stmt = (
            select(BacklogItemCluster.cluster_id, BacklogItem)
            .join(BacklogItem, BacklogItem.id == BacklogItemCluster.item_id)
            .where(BacklogItemCluster.cluster_id.in_(ids))
        )
        for cluster_id, item in session.execute(stmt.order_by(BacklogItem.rank, BacklogItem.id)):
            found[cluster_id].append(item)
    return found


def item_changes(session: Session, item_id: int) -> list[BacklogItemChange]:
    """An item's change log, the newest first (who, when, what, old and new values)."""
    stmt = select(BacklogItemChange).where(BacklogItemChange.item_id == item_id)
    return list(session.scalars(stmt.order_by(BacklogItemChange.changed_at.desc(), BacklogItemChange.id.desc())))
