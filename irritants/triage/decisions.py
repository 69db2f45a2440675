"""Product owners' decisions on irritants: status, squad, pin, label, bulk actions (merges in merges.py, splits
and moves in splits.py).

Every function takes the session then the acting agent, asks the policy itself, checks the version the agent
saw, writes exactly one audit event per changed object, and never commits: the view is the transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from irritants import events
from irritants.auth.models import Role
from irritants.auth.policy import Action, Agent
from irritants.clusters.models import Cluster
from irritants.clusters.report_status import sync_report_statuses
from irritants.clusters.services import root_of
from irritants.errors import ValidationFailed
from irritants.intake.redaction import redact
from irritants.sanitize import clean_line
from irritants.squads.models import Squad
from irritants.status import RESHAPING_STATUSES, SQUAD_REQUIRED, StatusKind
from irritants.triage.tracking import clean_public_note
from irritants.triage.workflow import (
    allow,
    check_transition,
    check_version,
    clean_label,
    clean_reason,
    enter_status,
    fix_by_declaration,
    flush,
    get_cluster,
    invalid,
    log,
    quoted,
    repoint_duplicates,
    status_fields,
)

BULK_OPERATIONS = ("status", "assign", "pin", "unpin", "spam")
BULK_MAX = 200
ROUTED_TO_MAX = 500
KEYWORDS_MAX, KEYWORD_MAX_CHARS = 12, 60


def parse_status(value: StatusKind | str) -> StatusKind:
    try:
        return StatusKind(value)
    except ValueError:
        raise invalid("to", "Statut inconnu.") from None


def check_routed_to(to: StatusKind, routed_to: str | None) -> str | None:
    text = clean_line(routed_to or "")
    if to != StatusKind.NOT_OUR_SCOPE:
        if text:
            raise invalid("routed_to", "Le service destinataire ne se précise qu'avec « Hors périmètre ».")
        return None
    if not text:
        message = "Indiquez le service ou l'organisme à qui l'irritant a été transmis."
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


def check_status(
    session: Session,
    agent: Agent,
    cluster: Cluster,
    to: StatusKind,
    routed_to: str | None,
    duplicate_of: int | None,
    expected_version: int | None = None,
) -> tuple[str | None, Cluster | None]:
    """Everything that may refuse a status change, before anything is written."""
    allow(agent, Action.RESHAPE if to in RESHAPING_STATUSES else Action.CHANGE_STATUS, cluster, to=to)
    check_version(cluster, expected_version)
    if to == StatusKind.FIXED:  # only through the declaration, with its date and public note (triage/fixes.py)
        raise invalid("to", fix_by_declaration(cluster.id))
    check_transition(cluster.status, to)
    routed = check_routed_to(to, routed_to)
    root = _duplicate_target(session, cluster, to, duplicate_of)
    if to in SQUAD_REQUIRED and cluster.squad_id is None:
        message = f"Pour passer à {quoted(to)}, affectez d'abord l'irritant à une start-up d'État."
        raise invalid("squad_id", message)
    return routed, root


def apply_status(
    session: Session,
    agent: Agent,
    cluster: Cluster,
    to: StatusKind,
    routed: str | None,
    root: Cluster | None,
    reason: str | None,
    public_note: str | None = None,
    *,
    fixed_on: dt.date | None = None,
) -> None:
    """Take one step of the workflow, checked beforehand (``check_status``, or the fix declaration: ``fixed_on``):
    one audit event, the reports' statuses, ``events.status_changed``; the irritant's version moves (409 when stale)."""
    before = status_fields(cluster)
    enter_status(cluster, to)
    if to == StatusKind.FIXED:
        cluster.fixed_on = fixed_on
    cluster.routed_to = routed
    cluster.duplicate_of_id = root.id if root else None
    flush(session)
    after = status_fields(cluster)
    log(session, agent, "cluster.status", cluster, before=before, after=after, reason=reason, public_note=public_note)
    if root is not None:
        repoint_duplicates(session, agent, cluster.id, root.id, reason=reason)
    sync_report_statuses(session, cluster_ids=[cluster.id])
    events.status_changed.send(
        session, cluster_id=cluster.id, before=before["status"], after=to, agent=agent, public_note=public_note
    )


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
    to = parse_status(to)
    cluster = get_cluster(session, cluster_id)
    reason = clean_reason(reason)
    public_note = clean_public_note(public_note)
    routed, root = check_status(session, agent, cluster, to, routed_to, duplicate_of, expected_version)
    apply_status(session, agent, cluster, to, routed, root, reason, public_note)
    return cluster


def get_squad(session: Session, squad_id: int | None) -> Squad | None:
    if squad_id is None:
        return None
    squad = session.get(Squad, squad_id) if 0 < squad_id < 2**31 else None
    if squad is None:
        raise invalid("squad_id", "Start-up d'État inconnue.")
    return squad


def check_assign(agent: Agent, cluster: Cluster, squad: Squad | None, expected_version: int | None = None) -> bool:
    """Whether assigning changes anything; refuses what the policy or the workflow forbids."""
    allow(agent, Action.ASSIGN_SQUAD, cluster)
    check_version(cluster, expected_version)
    if squad is None and cluster.status in SQUAD_REQUIRED:
        message = (
            f"Un irritant {quoted(cluster.status)} reste suivi par une start-up d'État : changez d'abord son statut."
        )
        raise invalid("squad_id", message)
    return cluster.squad_id != (squad.id if squad else None)


class TransferNotConfirmed(ValidationFailed):
    """A product owner would hand an irritant to a squad they are not in, and lose every action on it: ask first."""

    slug = "transfer-not-confirmed"


def needs_transfer_confirmation(agent: Agent, squad: Squad | None) -> bool:
    """Whether giving irritants to ``squad`` takes them out of this agent's hands (the policy: ``_owns``)."""
    return squad is not None and not agent.has(Role.ADMIN) and squad.id not in agent.squads


def transfer_warning(squad: Squad, *, many: bool = False) -> str:
    """What the agent must know before confirming: who may act on the irritant, or give it back, afterwards."""
    what, back = ("ces irritants", "vous les rendre") if many else ("cet irritant", "vous le rendre")
    return (
        f"Vous ne faites pas partie de la start-up d'État « {squad.name} ». Après ce transfert, seuls les responsables "
        f"produit de « {squad.name} » et les administrateurs pourront agir sur {what} ou {back}."
    )


def check_transfer(agent: Agent, squad: Squad | None, confirmed: bool, *, many: bool = False) -> None:
    """Refuse (422, nothing changed) a transfer out of the agent's hands that they have not confirmed."""
    if squad is not None and needs_transfer_confirmation(agent, squad) and not confirmed:
        message = f"{transfer_warning(squad, many=many)} Confirmez le transfert pour l'appliquer."
        raise TransferNotConfirmed(message, errors={"confirm_transfer": [message]})


def apply_assign(session: Session, agent: Agent, cluster: Cluster, squad: Squad | None, reason: str | None) -> None:
    before = {"squad_id": cluster.squad_id}
    cluster.squad_id = squad.id if squad else None
    flush(session)
    after = {"squad_id": cluster.squad_id, "squad": squad.name if squad else None}
    log(session, agent, "cluster.assign", cluster, before=before, after=after, reason=reason)
    events.squad_assigned.send(
        session, cluster_id=cluster.id, before=before["squad_id"], after=cluster.squad_id, agent=agent
    )


def assign_squad(
    session: Session,
    agent: Agent,
    cluster_id: int,
    squad_id: int | None,
    *,
    expected_version: int | None = None,
    reason: str | None = None,
    confirm_transfer: bool = False,
) -> Cluster:
    """Give an irritant to a squad (None: take it back); no event when it already has that squad.

    Handing it to a squad the agent is not in needs ``confirm_transfer``: they would lose every action on it.
    """
    cluster = get_cluster(session, cluster_id)
    reason = clean_reason(reason)
    squad = get_squad(session, squad_id)
    changes = check_assign(agent, cluster, squad, expected_version)
    if changes:
        check_transfer(agent, squad, confirm_transfer)
        apply_assign(session, agent, cluster, squad, reason)
    return cluster


def apply_pin(session: Session, agent: Agent, cluster: Cluster, pinned: bool, reason: str | None) -> None:
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
        apply_pin(session, agent, cluster, bool(pinned), reason)
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
    check_version(cluster, expected_version)
    label, words = clean_label(label), _clean_keywords(keywords)
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
