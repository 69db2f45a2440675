"""What a squad's page and an item's page show, read through the squads and triage services (no writes here):
the current sprint's board by state, the product backlog by rank, each item's irritants with their status, what the
agent may do, and an item's change history in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from irritants import french
from irritants.auth.policy import Action, Agent, decide
from irritants.clusters import effect as fix_effect
from irritants.clusters.models import Cluster
from irritants.clusters.stats import people_since
from irritants.feedback import services as feedback
from irritants.settings import FeedbackSettings, FixEffectSettings
from irritants.squads import backlog, sprint_progress
from irritants.squads.item_schemas import BACKLOG
from irritants.squads.models import Squad
from irritants.squads.services import phase_label
from irritants.squads.sprints import (
    ITEM_STATE_LABELS,
    SPRINT_STATE_LABELS,
    BacklogItem,
    BacklogItemChange,
    ItemField,
    ItemState,
    Sprint,
    SprintState,
)
from irritants.status import STATUS_LABELS_AGENT
from irritants.teams.sprint_page import Figure, burndown_figures
from irritants.triage import services as triage

# A squad's lists are read whole: a product backlog longer than this is a backlog nobody reads.
LIST_MAX = 500
#: The board's columns, in order, with their headings.
COLUMNS = tuple((state, ITEM_STATE_LABELS[state].capitalize()) for state in ItemState)
#: The buttons of a card: to which state each moves it.
MOVES = {
    ItemState.IN_PROGRESS: "Passer à En cours",
    ItemState.DONE: "Marquer fait",
    ItemState.TODO: "Remettre à faire",
}
FIELD_LABELS = {
    ItemField.CREATED: "Création",
    ItemField.TITLE: "Titre",
    ItemField.DESCRIPTION: "Description",
    ItemField.STATE: "État",
    ItemField.SPRINT: "Sprint",
    ItemField.POINTS: "Points",
    ItemField.RANK: "Rang dans le backlog",
    ItemField.LINK: "Irritant lié",
    ItemField.UNLINK: "Irritant retiré",
}


@dataclass(frozen=True)
class Card:
    """An item as the board or the backlog shows it, with its irritants (linked ones that still exist)."""

    item: BacklogItem
    irritants: list[Cluster] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """One line of an item's history, in words."""

    at: Any
    actor: str
    what: str
    before: str
    after: str


def current_sprint(sprints: list[Sprint]) -> Sprint | None:
    """The active sprint; before one starts, the next planned one (the board shows what is being planned)."""
    active = [s for s in sprints if s.state == SprintState.ACTIVE]
    planned = sorted((s for s in sprints if s.state == SprintState.PLANNED), key=lambda s: s.number)
    return (active or planned or [None])[0]


def _cards(session: Session, items: list[BacklogItem]) -> list[Card]:
    links = backlog.links_of(session, [i.id for i in items])
    clusters = triage.clusters_by_ids(session, [c for ids in links.values() for c in ids])
    return [Card(i, [clusters[c] for c in links[i.id] if c in clusters]) for i in items]


@dataclass(frozen=True)
class FixInvitation:
    """An irritant of the squad whose every linked item is done: « déclarez le correctif livré » (with the form when
    the agent may declare it)."""

    cluster: Cluster
    may_declare: bool


@dataclass(frozen=True)
class ReopenedFix:
    """A fixed irritant of the squad with a linked item not done: its product owner decides."""

    cluster: Cluster
    reopened: list[BacklogItem]


def fix_context(session: Session, agent: Agent, squad: Squad) -> dict[str, Any]:
    """What the board says about the squad's fixes: the invitations to declare one, the fixes with a reopened item."""
    awaiting = triage.awaiting_fix(session, squad_id=squad.id)
    reopened = triage.reopened_after_fix(session, squad_id=squad.id)
    items = backlog.items_on(session, [c.id for c in reopened])
    return {
        "fix_invitations": [FixInvitation(c, bool(decide(agent, Action.DECLARE_FIX, c))) for c in awaiting],
        "reopened_fixes": [ReopenedFix(c, [i for i in items[c.id] if i.state != ItemState.DONE]) for c in reopened],
        "fix_today": french.today(),
    }


def progress(session: Session, sprint: Sprint | None) -> tuple[Figure, Figure] | None:
    """The active sprint's burndown in points and in people, as its sprint page draws them (none before it starts)."""
    if sprint is None or sprint.state != SprintState.ACTIVE:
        return None
    return burndown_figures(sprint, sprint_progress.sprint_burndown(session, sprint.id, people=people_since))


def can(agent: Agent, squad: Squad) -> dict[str, bool]:
    """What the agent may do on this squad's work: move items along, link them to irritants; manage its webhooks."""
    return {
        "work": bool(decide(agent, Action.WORK_ITEMS, squad)),
        "link": bool(decide(agent, Action.MANAGE_SPRINTS, squad)),
        "webhooks": bool(decide(agent, Action.MANAGE_WEBHOOKS, squad)),
    }


def squad_context(
    session: Session,
    agent: Agent,
    squad: Squad,
    *,
    feedback_settings: FeedbackSettings,
    effect_settings: FixEffectSettings = FixEffectSettings(),
) -> dict[str, Any]:
    """The squad page: its current sprint's board, its product backlog, the sprints an item may go to, what its
    irritants' reporters and supporters answered to « Est-ce résolu pour vous ? », and the effect of its fixes."""
    owned = triage.squad_irritants(session, squad.id)
    sprints = list(backlog.list_sprints(session, squad.id, page=1, page_size=LIST_MAX).items)
    sprint = current_sprint(sprints)
    board: dict[ItemState, list[Card]] = {state: [] for state in ItemState}
    if sprint is not None:
        items = backlog.list_items(session, squad.id, page=1, page_size=LIST_MAX, sprint_id=sprint.id).items
        for card in _cards(session, list(items)):
            board[card.item.state].append(card)
    product = backlog.list_items(session, squad.id, page=1, page_size=LIST_MAX, backlog_only=True)
    open_sprints = sorted((s for s in sprints if s.state != SprintState.CLOSED), key=lambda s: s.number)
    choices = [(s.id, f"Sprint {s.number} ({SPRINT_STATE_LABELS[s.state]})") for s in open_sprints]
    return {
        "squad": squad,
        "phase": phase_label(squad.phase),
        "sprint": sprint,
        "sprints": sprints,
        "open_sprints": open_sprints,
        "sprint_choices": [(BACKLOG, "Backlog produit"), *choices],
        "board": board,
        "columns": COLUMNS,
        "moves": MOVES,
        "product_backlog": _cards(session, list(product.items)),
        "backlog_total": product.total,
        "owned": owned,
        "perceived": feedback.squad_rate(session, feedback_settings, squad.id),
        "perceived_by_irritant": feedback.perceived_rates(
            session, feedback_settings, [row.cluster.id for row in owned]
        ),
        "fix_effects": fix_effect.shown_for(session, effect_settings, [row.cluster for row in owned]),
        "can": can(agent, squad),
        "status_labels": STATUS_LABELS_AGENT,
        "sprint_state_labels": SPRINT_STATE_LABELS,
        "item_state_labels": ITEM_STATE_LABELS,
        "progress": progress(session, sprint),
        **fix_context(session, agent, squad),
    }


def _sprint_name(numbers: dict[int, int], value: str | None) -> str:
    if value is None:
        return "backlog produit"
    return f"sprint {numbers[int(value)]}" if value.isdecimal() and int(value) in numbers else "sprint supprimé"


def _value(change: BacklogItemChange, value: str | None, numbers: dict[int, int]) -> str:
    if change.field == ItemField.STATE and value is not None:
        return ITEM_STATE_LABELS.get(ItemState(value), value)
    if change.field == ItemField.SPRINT:
        return _sprint_name(numbers, value)
    if change.field in (ItemField.LINK, ItemField.UNLINK) and value is not None:
        return f"n° {value}"
    if change.field == ItemField.POINTS and value is None:
        return "sans estimation"
    return value or ""


def history(session: Session, item: BacklogItem, sprints: list[Sprint]) -> list[Change]:
    """An item's changes, the newest first, in words (sprints by their number, states in French)."""
    numbers = {s.id: s.number for s in sprints}
    return [
        Change(
            c.changed_at,
            c.actor,
            FIELD_LABELS[c.field],
            _value(c, c.old_value, numbers),
            _value(c, c.new_value, numbers),
        )
        for c in backlog.item_changes(session, item.id)
    ]


def item_context(session: Session, agent: Agent, squad: Squad, item: BacklogItem) -> dict[str, Any]:
    """An item's page: its fields, irritants, history, and what the agent may change."""
    sprints = list(backlog.list_sprints(session, squad.id, page=1, page_size=LIST_MAX).items)
    return {
        "squad": squad,
        "item": item,
        "card": _cards(session, [item])[0],
        "sprint": next((s for s in sprints if s.id == item.sprint_id), None),
        "history": history(session, item, sprints),
        "can": can(agent, squad),
        "status_labels": STATUS_LABELS_AGENT,
        "item_state_labels": ITEM_STATE_LABELS,
        "sprint_state_labels": SPRINT_STATE_LABELS,
    }
