"""The one authorisation policy: who may do what to which object. Pure: plain data in, a decision out.

Views and API endpoints never test roles themselves; they ask ``decide(agent, action, target)``. A refusal says
whether to answer 403 (the agent may know the object exists) or 404 (they may not).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from irritants.auth.models import Role
from irritants.status import SQUAD_STATUSES


class Action(enum.StrEnum):
    """Everything the back-office lets an agent do."""

    VIEW_BACKLOG = "backlog.view"
    DECIDE = "backlog.decide"  # any decision at all: asked before a request's body says which, and on what
    EDIT_CLUSTER = "cluster.edit"  # label, keywords, pin
    CHANGE_STATUS = "cluster.status"
    RESHAPE = "cluster.reshape"  # merge, unmerge, split, move reports, duplicate, spam, route elsewhere
    ASSIGN_SQUAD = "cluster.assign"
    # « Correctif livré »: the one way to « fixed » (target: the irritant; None: "may declare some fix at all").
    DECLARE_FIX = "cluster.fix"
    MODERATE = "report.moderate"  # read raw texts, publish or reject
    # Ask a report's author a question through the service (target: the irritant; None: "may ask at all").
    ASK_REPORTER = "report.ask"
    MANAGE_TEMPLATES = "template.manage"
    MANAGE_USERS = "user.manage"
    MANAGE_SQUADS = "squad.manage"  # create a start-up d'État
    EDIT_SQUAD = "squad.edit"  # its profile and phase (target: the squad; None: "may edit some squad at all")
    # A squad's work (target: the squad, a sprint or an item; None: "for some squad at all"): its members move
    # items along; its product owners also plan sprints and link items to irritants.
    WORK_ITEMS = "item.work"
    MANAGE_SPRINTS = "sprint.manage"
    # A squad's webhooks, read or changed (target: the squad; None: "for some squad at all"): its product owners.
    MANAGE_WEBHOOKS = "squad.webhooks"
    # An administration's public answer on an irritant (target: the irritant, with ``administrations=`` the slugs of
    # the administrations its reports concern; None: "may answer at all"): its correspondants, and admins.
    ANSWER_PUBLICLY = "cluster.answer"
    # Exports of reports, irritants and squads over the dashboard's filters (docs/exports.md): managers and admins.
    EXPORT = "insights.export"
    # The figures of the whole service over a period (the managers' dashboard): managers and admins. Not product
    # owners nor squad members, whatever their squad: they have their squads' own pages (issue 13's decision).
    VIEW_INSIGHTS = "insights.view"
    # Re-cluster every report in the background (back-office button, POST /api/v1/triage/recluster) and follow the
    # job: administrators only, since it may reshape every squad's irritants at once.
    RECLUSTER = "clusters.recluster"


@dataclass(frozen=True)
class Agent:
    """Who is acting: an agent's id, roles and squads, and the token used if any."""

    user_id: int
    label: str
    roles: frozenset[str]
    squads: frozenset[int] = field(default_factory=frozenset)
    token_name: str | None = None
    # The slug of the administration a correspondant speaks for (``User.administration_id``); None for others.
    administration: str | None = None

    def has(self, *roles: Role) -> bool:
        return any(str(role) in self.roles for role in roles)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    status: int = 200  # 403 or 404 when refused
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def _deny(reason: str, status: int = 403) -> Decision:
    return Decision(False, status, reason)


def _owns(agent: Agent, target: Any) -> bool:
    squad_id = getattr(target, "squad_id", None)
    return squad_id is None or squad_id in agent.squads


def moderation_scope(agent: Agent) -> frozenset[int] | None:
    """Squads whose irritants' reports ``agent`` may moderate, besides irritants with no squad and reports in no
    irritant; None for every squad (admins). Only meaningful when ``decide(agent, MODERATE)`` allows."""
    return None if agent.has(Role.ADMIN) else agent.squads


class Unattached(Exception):
    """A correspondant's account with no administration: it may read nothing (accounts.py refuses to make one)."""


def forced_administration(agent: Agent | None) -> str | None:
    """The slug of the administration everything ``agent`` reads is narrowed to, not removable (backlog, irritants'
    pages, dashboard, exports): a correspondant's own; None for every other agent (they choose their filters).

    Doors call it after the policy let the agent in, and replace the ``administration`` filter with it whatever
    the URL says. Raises ``Unattached`` (never None) for a correspondant without an administration: fail closed.
    """
    if agent is None or agent.has(Role.ADMIN) or not agent.has(Role.CORRESPONDANT):
        return None
    if not agent.administration:
        raise Unattached(agent.user_id)
    return agent.administration


# What a correspondant may do besides answering publicly: reads, each narrowed by the door to their administration
# (``forced_administration``). Given a target (an irritant), the door passes ``administrations=`` its slugs.
NARROWED_READS: frozenset[Action] = frozenset({Action.VIEW_BACKLOG, Action.EXPORT, Action.VIEW_INSIGHTS})


def _correspondant(agent: Agent, action: Action, target: Any, context: dict[str, Any]) -> Decision:
    if not agent.administration:
        return _deny("Votre compte de correspondant n'est rattaché à aucune administration : un administrateur doit "
                     "l'y rattacher.")  # fmt: skip
    # An irritant with no report of the agent's administration does not exist for them (404, not 403).
    concerned = target is None or agent.administration in context.get("administrations", ())
    if action in NARROWED_READS or action == Action.ANSWER_PUBLICLY:
        return ALLOW if concerned else _deny("Cet irritant ne concerne pas votre administration.", 404)
    if action == Action.MODERATE:
        return _deny("Seuls les responsables produit modèrent les signalements.")
    return _deny("Un correspondant d'une administration consulte les irritants qui la concernent et y répond "
                 "publiquement ; il ne prend pas de décision.")  # fmt: skip


def decide(agent: Agent | None, action: Action, target: Any = None, **context: Any) -> Decision:
    """Whether ``agent`` may do ``action`` on ``target`` (an irritant, a report, a template…)."""
    if agent is None:
        return _deny("Connexion requise.", 401)
    if agent.has(Role.ADMIN):
        return ALLOW
    if agent.has(Role.CORRESPONDANT):
        return _correspondant(agent, action, target, context)
    if action == Action.ANSWER_PUBLICLY:
        return _deny("Seuls les correspondants de l'administration concernée et les administrateurs répondent "
                     "publiquement au nom d'une administration.")  # fmt: skip
    po = agent.has(Role.PRODUCT_OWNER)
    if action == Action.VIEW_BACKLOG:
        return ALLOW if agent.roles & {r.value for r in Role} else _deny("Aucun rôle ne donne accès au suivi.")
    if action == Action.DECIDE:
        return ALLOW if po or agent.has(Role.SQUAD_MEMBER) else _deny("Votre rôle ne permet aucune décision.")
    if action in (Action.EDIT_CLUSTER, Action.RESHAPE, Action.ASSIGN_SQUAD):
        targets = target if isinstance(target, list | tuple) else [target]
        if po and all(_owns(agent, t) for t in targets if t is not None):
            return ALLOW
        if po:
            return _deny("Cet irritant est suivi par une autre start-up d'État.")
        return _deny("Seuls les responsables produit peuvent prendre cette décision.")
    if action == Action.CHANGE_STATUS:
        if po and _owns(agent, target):
            return ALLOW
        in_squad = target is not None and getattr(target, "squad_id", None) in agent.squads
        if agent.has(Role.SQUAD_MEMBER) and in_squad and str(context.get("to", "")) in SQUAD_STATUSES:
            return ALLOW
        return _deny("Vous ne pouvez pas changer le statut de cet irritant.")
    if action == Action.DECLARE_FIX:
        # Only the product owners of the squad in charge: an irritant with no squad has none (admins only).
        if po and (target is None or getattr(target, "squad_id", None) in agent.squads):
            return ALLOW
        if po:
            return _deny(
                "Seuls les responsables produit de la start-up d'État qui suit cet irritant déclarent son correctif."
            )
        return _deny("Seuls les responsables produit et les administrateurs déclarent un correctif livré.")
    if action == Action.MODERATE:
        # The target is the report's irritant (None: a report not yet in one, or "may moderate at all"): the same
        # squad rule as triage, since moderating means reading raw NIR, IBAN and phone numbers.
        if not po:
            return _deny("Seuls les responsables produit modèrent les signalements.")
        if _owns(agent, target):
            return ALLOW
        return _deny("Ce signalement appartient à un irritant suivi par une autre start-up d'État.")
    if action == Action.ASK_REPORTER:
        # Speaking to citizens in the service's name: the product owners who answer for the irritant (those of its
        # squad; any, while it has none), as for its label and reshaping.
        if po and (target is None or _owns(agent, target)):
            return ALLOW
        if po:
            return _deny("Cet irritant est suivi par une autre start-up d'État : ses responsables produit interrogent.")
        return _deny("Seuls les responsables produit posent des questions aux personnes qui ont signalé.")
    if action == Action.MANAGE_TEMPLATES:
        squad_id = getattr(target, "squad_id", None)
        if target is not None and squad_id is not None and squad_id not in agent.squads:
            if context.get("creating"):  # a new template for a squad the agent is not in: no secret to keep
                return _deny("Vous ne pouvez créer un modèle que pour vos start-ups d'État.")
            return _deny("Modèle introuvable.", 404)
        if po or (agent.has(Role.SQUAD_MEMBER) and squad_id is not None):
            return ALLOW
        return _deny("Vous ne pouvez pas gérer les modèles de réponse.")
    if action in (Action.MANAGE_USERS, Action.MANAGE_SQUADS):
        return _deny("Réservé aux administrateurs.")
    if action == Action.RECLUSTER:
        return _deny("Seuls les administrateurs relancent le regroupement des signalements.")
    if action == Action.EDIT_SQUAD:
        # A squad is public: refusing it to another squad's product owner keeps no secret (403, not 404).
        if po and (target is None or getattr(target, "id", None) in agent.squads):
            return ALLOW
        if po:
            return _deny("Vous ne pouvez modifier que la fiche de votre start-up d'État.")
        return _deny("Seuls ses responsables produit et les administrateurs modifient une start-up d'État.")
    if action == Action.MANAGE_WEBHOOKS:
        # Not its members, not even to read: a receiver's URL often is its own secret (a chat's incoming webhook).
        if po and (target is None or getattr(target, "id", None) in agent.squads):
            return ALLOW
        if po:
            return _deny("Vous ne gérez que les webhooks de votre start-up d'État.")
        return _deny("Seuls ses responsables produit et les administrateurs gèrent les webhooks d'une start-up d'État.")
    if action == Action.EXPORT:
        # Managers steer the whole service; a product owner or a member works one squad's irritants, and an export
        # spans every squad's (their own squad's pages and backlog file already give them theirs).
        if agent.has(Role.MANAGER):
            return ALLOW
        return _deny("Les exports sont réservés au pilotage et aux administrateurs.")
    if action == Action.VIEW_INSIGHTS:
        if agent.has(Role.MANAGER):
            return ALLOW
        return _deny("Le tableau de bord est réservé au pilotage : vos start-ups d'État ont leurs propres pages.")
    if action in (Action.WORK_ITEMS, Action.MANAGE_SPRINTS):
        squad_id = getattr(target, "squad_id", getattr(target, "id", None))
        allowed = po or (action == Action.WORK_ITEMS and agent.has(Role.SQUAD_MEMBER))
        if allowed and (target is None or squad_id in agent.squads):
            return ALLOW
        if allowed:
            return _deny("Vous ne travaillez que sur le backlog de vos start-ups d'État.")
        if action == Action.MANAGE_SPRINTS and agent.has(Role.SQUAD_MEMBER):
            return _deny("Seuls les responsables produit gèrent les sprints et les liens aux irritants.")
        return _deny("Réservé aux membres de la start-up d'État.")
    return _deny("Action inconnue.")
