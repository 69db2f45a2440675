"""Product owners' decisions on irritants: status, squad, pin, label, bulk actions (merges in merges.py, splits
and moves in splits.py).

Every function takes the session then the acting agent, asks the policy itself, checks the version the agent
saw, writes exactly one audit event per changed object, and never commits: the view is the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.auth.policy import Action, Agent
from irritants.errors import IrritantsError, ValidationFailed
from irritants.intake.models import StatusKind
from irritants.intake.redaction import redact
from irritants.sanitize import clean_line
from irritants.squads.models import Squad
from irritants.triage.merges import merge, unmerge
from irritants.triage.models import Cluster
from irritants.triage.splits import move_report, split
from irritants.triage.templates import (
    create_template,
    delete_template,
    get_template,
    list_templates,
    reason_with_template,
    update_template,
)
from irritants.triage.tracking import clean_public_note
from irritants.triage.workflow import (
    RESHAPING_STATUSES,
    SQUAD_REQUIRED,
    STATUS_LABELS_AGENT,
    TRANSITIONS,
    allow,
    allowed_transitions,
    check_transition,
    check_version,
    clean_label,
    clean_reason,
    enter_status,
    flush,
    get_cluster,
    invalid,
    log,
    mirror_status,
    quoted,
    repoint_duplicates,
    root_of,
    status_fields,
)

__all__ = [
    "BULK_OPERATIONS",
    "STATUS_LABELS_AGENT",
    "TRANSITIONS",
    "allowed_transitions",
    "assign_squad",
    "bulk",
    "change_status",
    "create_template",
    "delete_template",
    "edit_label",
    "get_template",
    "list_templates",
    "merge",
    "move_report",
    "reason_with_template",
    "set_pinned",
    "split",
    "unmerge",
    "update_template",
]

BULK_OPERATIONS = ("status", "assign", "pin", "unpin", "spam")
BULK_MAX = 200
ROUTED_TO_MAX = 500
KEYWORDS_MAX, KEYWORD_MAX_CHARS = 12, 60


def _status(value: StatusKind | str) -> StatusKind:
    try:
        return StatusKind(value)
    except ValueError:
        raise invalid("to", "Statut inconnu.") from None


def _routed_to(to: StatusKind, routed_to: str | None) -> str | None:
    text = clean_line(routed_to or "")
    if to != StatusKind.NOT_OUR_SCOPE:
        if text:
            raise invalid("routed_to", "Le service destinataire ne se précise qu'avec « Hors périmètre ».")
        return None
    if not text:
        message = "Précisez à quel service ou administration l'irritant a été transmis."
        raise invalid("routed_to", message)
    if len(text) > ROUTED_TO_MAX:
        raise invalid("routed_to", f"{ROUTED_TO_MAX} caractères au plus.")
    return text


def _duplicate_target(session: Session, cluster: Cluster, to: StatusKind, duplicate_of: int | None) -> Cluster | None:
    if to != StatusKind.DUPLICATE:
        if duplicate_of is not None:
            raise invalid("duplicate_of", "L'irritant d'origine ne se précise qu'avec « Doublon ».")
        return None
    if duplicate_of is None:
        message = "Précisez de quel irritant celui-ci est le doublon."
        raise invalid("duplicate_of", message)
    # Always point at the root, so that « doublon de » is never a chain.
    root = root_of(session, get_cluster(session, duplicate_of, field="duplicate_of"))
    if root.id == cluster.id:
        message = "Un irritant ne peut pas être le doublon de lui-même."
        raise invalid("duplicate_of", message)
    if root.status == StatusKind.SPAM:
        message = f"L'irritant n° {root.id} est classé indésirable : il ne peut pas servir d'original."
        raise invalid("duplicate_of", message)
    return root


def _check_status(
    session: Session, agent: Agent, cluster: Cluster, to: StatusKind, routed_to: str | None, duplicate_of: int | None
) -> tuple[str | None, Cluster | None]:
    """Everything that may refuse a status change, before anything is written."""
    allow(agent, Action.RESHAPE if to in RESHAPING_STATUSES else Action.CHANGE_STATUS, cluster, to=to)
    check_transition(cluster.status, to)
    routed = _routed_to(to, routed_to)
    root = _duplicate_target(session, cluster, to, duplicate_of)
    if to in SQUAD_REQUIRED and cluster.squad_id is None:
        message = f"Pour passer à {quoted(to)}, affectez d'abord l'irritant à une start-up d'État."
        raise invalid("squad_id", message)
    return routed, root


def _apply_status(
    session: Session,
    agent: Agent,
    cluster: Cluster,
    to: StatusKind,
    routed: str | None,
    root: Cluster | None,
    reason: str | None,
    public_note: str | None = None,
) -> None:
    before = status_fields(cluster)
    enter_status(cluster, to)
    cluster.routed_to = routed
    cluster.duplicate_of_id = root.id if root else None
    flush(session)
    after = status_fields(cluster)
    log(session, agent, "cluster.status", cluster, before=before, after=after, reason=reason, public_note=public_note)
    if root is not None:
        repoint_duplicates(session, agent, cluster.id, root.id, reason=reason)
    mirror_status(session, [cluster.id])


def change_status(
    session: Session,
    agent: Agent,
    cluster_id: int,
    to: StatusKind | str,
    *,
    expected_version: int | None = None,
    reason: str | None = None,
    routed_to: str | None = None,
    duplicate_of: int | None = None,
    public_note: str | None = None,
) -> Cluster:
    """Move an irritant along the workflow (routed elsewhere: ``routed_to``; duplicate: ``duplicate_of``); an
    optional ``public_note`` is shown to citizens on their tracking pages, the ``reason`` never is."""
    to = _status(to)
    cluster = get_cluster(session, cluster_id)
    reason = clean_reason(reason)
    public_note = clean_public_note(public_note)
    routed, root = _check_status(session, agent, cluster, to, routed_to, duplicate_of)
    check_version(cluster, expected_version)
    _apply_status(session, agent, cluster, to, routed, root, reason, public_note)
    return cluster


def _squad(session: Session, squad_id: int | None) -> Squad | None:
    if squad_id is None:
        return None
    squad = session.get(Squad, squad_id) if 0 < squad_id < 2**31 else None
    if squad is None:
        raise invalid("squad_id", "Start-up d'État inconnue.")
    return squad


def _check_assign(agent: Agent, cluster: Cluster, squad: Squad | None) -> bool:
    """Whether assigning changes anything; refuses what the policy or the workflow forbids."""
    allow(agent, Action.ASSIGN_SQUAD, cluster)
    if squad is None and cluster.status in SQUAD_REQUIRED:
        message = (
            f"Un irritant {quoted(cluster.status)} reste suivi par une start-up d'État : changez d'abord son statut."
        )
        raise invalid("squad_id", message)
    return cluster.squad_id != (squad.id if squad else None)


def _apply_assign(session: Session, agent: Agent, cluster: Cluster, squad: Squad | None, reason: str | None) -> None:
    before = {"squad_id": cluster.squad_id}
    cluster.squad_id = squad.id if squad else None
    flush(session)
    after = {"squad_id": cluster.squad_id, "squad": squad.name if squad else None}
    log(session, agent, "cluster.assign", cluster, before=before, after=after, reason=reason)


def assign_squad(
    session: Session,
    agent: Agent,
    cluster_id: int,
    squad_id: int | None,
    *,
    expected_version: int | None = None,
    reason: str | None = None,
) -> Cluster:
    """Give an irritant to a squad (None: take it back); no event when it already has that squad."""
    cluster = get_cluster(session, cluster_id)
    reason = clean_reason(reason)
    squad = _squad(session, squad_id)
    changes = _check_assign(agent, cluster, squad)
    check_version(cluster, expected_version)
    if changes:
        _apply_assign(session, agent, cluster, squad, reason)
    return cluster


def _apply_pin(session: Session, agent: Agent, cluster: Cluster, pinned: bool, reason: str | None) -> None:
    before = {"pinned": cluster.pinned}
    cluster.pinned = pinned
    flush(session)
    log(session, agent, "cluster.pin", cluster, before=before, after={"pinned": pinned}, reason=reason)


def set_pinned(
    session: Session,
    agent: Agent,
    cluster_id: int,
    pinned: bool,
    *,
    expected_version: int | None = None,
    reason: str | None = None,
) -> Cluster:
    """Pin an irritant (re-clustering then keeps its reports together) or unpin it."""
    cluster = get_cluster(session, cluster_id)
    reason = clean_reason(reason)
    allow(agent, Action.EDIT_CLUSTER, cluster)
    check_version(cluster, expected_version)
    if cluster.pinned != bool(pinned):
        _apply_pin(session, agent, cluster, bool(pinned), reason)
    return cluster


def _clean_keywords(keywords: list[str]) -> list[str]:
    out: list[str] = []
    for word in keywords or []:
        text = clean_line(str(word))
        if not text or text.lower() in (w.lower() for w in out):
            continue
        if len(text) > KEYWORD_MAX_CHARS or redact(text) != text:
            raise invalid("keywords", f"Mot-clé invalide : « {text[:KEYWORD_MAX_CHARS]} ».")
        out.append(text)
    if len(out) > KEYWORDS_MAX:
        raise invalid("keywords", f"{KEYWORDS_MAX} mots-clés au plus.")
    return out


def edit_label(
    session: Session,
    agent: Agent,
    cluster_id: int,
    label: str,
    keywords: list[str],
    *,
    expected_version: int | None = None,
    reason: str | None = None,
) -> Cluster:
    """Rename an irritant and set its keywords; the label is then locked against re-clustering."""
    cluster = get_cluster(session, cluster_id)
    reason = clean_reason(reason)
    allow(agent, Action.EDIT_CLUSTER, cluster)
    label, words = clean_label(label), _clean_keywords(keywords)
    check_version(cluster, expected_version)
    if (cluster.label, list(cluster.keywords or []), cluster.label_locked) == (label, words, True):
        return cluster
    before = {"label": cluster.label, "keywords": list(cluster.keywords or []), "label_locked": cluster.label_locked}
    cluster.label, cluster.keywords, cluster.label_locked = label, words, True
    flush(session)
    log(
        session,
        agent,
        "cluster.label",
        cluster,
        before=before,
        after={"label": label, "keywords": words, "label_locked": True},
        reason=reason,
    )
    return cluster


def _bulk_ids(cluster_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in cluster_ids or []))
    if not ids:
        raise invalid("cluster_ids", "Sélectionnez au moins un irritant.")
    if len(ids) > BULK_MAX:
        raise invalid("cluster_ids", f"{BULK_MAX} irritants au plus par action groupée.")
    return ids


def bulk(
    session: Session,
    agent: Agent,
    cluster_ids: list[int],
    operation: str,
    *,
    to: StatusKind | str | None = None,
    squad_id: int | None = None,
    reason: str | None = None,
    routed_to: str | None = None,
) -> list[Cluster]:
    """One decision on many irritants, all or nothing: every irritant is checked before any is changed."""
    if operation not in BULK_OPERATIONS:
        raise invalid("operation", "Action groupée inconnue.")
    reason = clean_reason(reason)
    ids = _bulk_ids(cluster_ids)
    found = {c.id: c for c in session.scalars(select(Cluster).where(Cluster.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        messages = [f"Irritant n° {i} introuvable." for i in missing]
        raise ValidationFailed(messages[0], errors={"cluster_ids": messages})
    clusters = [found[i] for i in ids]
    if operation in ("status", "spam"):
        target = StatusKind.SPAM if operation == "spam" else _status(to) if to is not None else None
        if target is None:
            raise invalid("to", "Choisissez le nouveau statut.")
        if target == StatusKind.DUPLICATE:
            raise invalid("to", "Les doublons se fusionnent irritant par irritant.")
        plans = _each(clusters, lambda c: _check_status(session, agent, c, target, routed_to, None))

        def apply(cluster: Cluster, plan: Any) -> None:
            _apply_status(session, agent, cluster, target, plan[0], plan[1], reason)

    elif operation == "assign":
        squad = _squad(session, squad_id)
        plans = _each(clusters, lambda c: _check_assign(agent, c, squad))

        def apply(cluster: Cluster, plan: Any) -> None:
            if plan:
                _apply_assign(session, agent, cluster, squad, reason)

    else:
        pinned = operation == "pin"

        def check_pin(cluster: Cluster) -> bool:
            allow(agent, Action.EDIT_CLUSTER, cluster)
            return cluster.pinned != pinned

        plans = _each(clusters, check_pin)

        def apply(cluster: Cluster, plan: Any) -> None:
            if plan:
                _apply_pin(session, agent, cluster, pinned, reason)

    # Everything was checked above; the savepoint also undoes a half-done run if the database refuses midway.
    with session.begin_nested():
        for cluster, plan in zip(clusters, plans, strict=True):
            apply(cluster, plan)
    return clusters


def _each(clusters: list[Cluster], check: Callable[[Cluster], Any]) -> list[Any]:
    """Run ``check`` on every irritant; one refusal refuses the whole action, naming each irritant at fault."""
    plans: list[Any] = []
    problems: dict[str, list[str]] = {}
    for position, cluster in enumerate(clusters):
        try:
            plans.append(check(cluster))
        except ValidationFailed as exc:
            messages = [m for ms in exc.errors.values() for m in ms] or [exc.detail]
            problems[str(position)] = [f"Irritant n° {cluster.id} : {m}" for m in messages]
        except IrritantsError as exc:  # refused by the policy: say which irritant, change none
            raise type(exc)(f"Irritant n° {cluster.id} : {exc.detail} Aucun irritant n'a été modifié.") from exc
    if problems:
        raise ValidationFailed(
            f"Aucun irritant n'a été modifié : {len(problems)} ne peuvent pas recevoir cette décision.",
            errors={"cluster_ids": problems},
        )
    return plans
