"""Taking a step in an irritant's workflow, and the helpers every triage decision shares.

The transition table (``irritants/status.py``) is the single source of truth: the decisions service refuses
anything it does not list, and the back-office shows ``allowed_transitions`` as the only choices. Who may take a
transition is the policy's business (``auth/policy.py``), not this module's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import StaleDataError

from irritants.audit.services import record
from irritants.auth.exceptions import StaleObject, raise_for
from irritants.auth.policy import Action, Agent, decide
from irritants.clusters import engine, stats
from irritants.clusters.models import Cluster, ReportVector
from irritants.db import utcnow
from irritants.errors import NotFoundError, ValidationFailed
from irritants.intake.models import Report
from irritants.intake.redaction import redact
from irritants.sanitize import clean_line, clean_text
from irritants.settings import RankingSettings
from irritants.squads.models import Squad
from irritants.status import CLOSED_STATUSES, STATUS_LABELS_AGENT, TRANSITIONS, StatusKind, allowed_transitions

S = StatusKind

# No « rechargez la page »: at the address of a refused form, reloading would send the form again.
STALE_MESSAGE = (
    "Cet irritant a été modifié entre-temps par quelqu'un d'autre : votre décision n'a pas été appliquée. "
    "Vérifiez son état actuel avant de décider de nouveau."
)
REASON_MAX = 2000
LABEL_MIN, LABEL_MAX = 3, 200


def quoted(status: StatusKind) -> str:
    """« Label » of a status for agents."""
    return f"« {STATUS_LABELS_AGENT[StatusKind(status)]} »"


def check_transition(current: StatusKind, to: StatusKind) -> None:
    """ValidationFailed naming both statuses when the workflow has no such step."""
    current, to = StatusKind(current), StatusKind(to)
    if to in TRANSITIONS[current]:
        return
    if current == to:
        raise invalid("to", f"L'irritant est déjà {quoted(to)} : rien n'a changé.")
    choices = ", ".join(quoted(s) for s in allowed_transitions(current))
    why = f"depuis {quoted(current)}, les statuts possibles sont : {choices}."
    raise invalid("to", f"Passage de {quoted(current)} à {quoted(to)} impossible : {why}")


def fix_by_declaration(cluster_id: int) -> str:
    """Why a plain status change never reaches « fixed »: the squad declares its fix instead (``triage/fixes.py``)."""
    return (
        f"Un irritant ne passe pas à {quoted(S.FIXED)} par un changement de statut : déclarez le « correctif livré », "
        f"avec sa date et une note publique (formulaire « Correctif livré » de la page de l'irritant, ou "
        f"POST /api/v1/triage/clusters/{cluster_id}/fix)."
    )


def invalid(field: str, message: str) -> ValidationFailed:
    """A 422 whose summary is the field's own message (forms and API show the same French words)."""
    return ValidationFailed(message, errors={field: [message]})


def clean_reason(reason: str | None) -> str | None:
    """The decision's reason, trimmed; refused when too long to be a reason."""
    text = clean_text(reason or "")
    if len(text) > REASON_MAX:
        raise invalid("reason", f"Le motif ne doit pas dépasser {REASON_MAX} caractères.")
    return text or None


def allow(agent: Agent, action: Action, target: Any = None, **context: Any) -> None:
    """Ask the policy; raise its 401/403/404 when refused."""
    decision = decide(agent, action, target, **context)
    if not decision:
        raise_for(decision)


def get_cluster(session: Session, cluster_id: int, *, field: str | None = None) -> Cluster:
    """The irritant with this id; 404, or 422 on ``field`` when it is a reference inside a request body."""
    cluster = session.get(Cluster, cluster_id) if 0 < cluster_id < 2**31 else None
    if cluster is None:
        if field:
            raise invalid(field, f"Irritant n° {cluster_id} introuvable.")
        raise NotFoundError("Cet irritant n'existe pas.")
    return cluster


def check_version(cluster: Cluster, expected_version: int | None) -> None:
    """The agent decided on the version they saw: anything else means someone acted meanwhile.

    Checked right after the policy and before anything that depends on the irritant's state, so that a form
    loaded before someone else's decision says so (with what the irritant is now) instead of, say, refusing
    a move from « Qualifié » to « Qualifié ».
    """
    if expected_version is not None and expected_version != cluster.version:
        raise StaleObject(
            f"Cet irritant a été modifié entre-temps par quelqu'un d'autre : il est maintenant {quoted(cluster.status)}"
            f"{_and_squad(cluster)}. Votre décision n'a pas été appliquée : vérifiez son état actuel avant de "
            "décider de nouveau."
        )


def _and_squad(cluster: Cluster) -> str:
    session = object_session(cluster)
    squad = session.get(Squad, cluster.squad_id) if session is not None and cluster.squad_id is not None else None
    return f" et confié à la start-up d'État « {squad.name} »" if squad is not None else ""


def flush(session: Session) -> None:
    """Flush; a concurrent update of a versioned irritant (UPDATE matched no row) becomes a 409."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleObject(STALE_MESSAGE) from exc


def claim(session: Session, clusters: Iterable[Cluster | None]) -> None:
    """Bump the version of every irritant a decision reshapes, in id order, before changing anything else.

    A concurrent decision on any of them then waits for this transaction and gets a 409, instead of moving
    reports or supports in between (or deadlocking when two agents merge the same irritants both ways).
    """
    now = utcnow()
    for cluster in sorted({c.id: c for c in clusters if c is not None}.values(), key=lambda c: c.id):
        cluster.updated_at = now
        flush(session)


def duplicates_of(session: Session, cluster_id: int) -> list[Cluster]:
    """Irritants currently marked as duplicates of this one."""
    return list(
        session.scalars(
            select(Cluster)
            .where(Cluster.duplicate_of_id == cluster_id, Cluster.status == S.DUPLICATE)
            .order_by(Cluster.id)
        )
    )


def repoint_duplicates(session: Session, agent: Agent, old_id: int, new_id: int, *, reason: str | None) -> list[int]:
    """Duplicates of ``old_id`` now point at ``new_id`` (one event each); returns their ids."""
    moved = []
    for child in duplicates_of(session, old_id):
        child.duplicate_of_id = new_id
        flush(session)
        log(
            session,
            agent,
            "cluster.repoint",
            child,
            before={"duplicate_of_id": old_id},
            after={"duplicate_of_id": new_id},
            reason=reason,
        )
        moved.append(child.id)
    return moved


def clean_label(label: str) -> str:
    """A label agents typed, checked: public text, so no personal data."""
    text = clean_line(label or "")
    if len(text) < LABEL_MIN:
        raise invalid("label", f"Le libellé doit compter au moins {LABEL_MIN} caractères.")
    if len(text) > LABEL_MAX:
        raise invalid("label", f"Le libellé ne doit pas dépasser {LABEL_MAX} caractères.")
    if redact(text) != text:
        raise invalid("label", "Le libellé semble contenir des données personnelles (numéro, courriel…).")
    return text


def log(
    session: Session,
    agent: Agent,
    action: str,
    cluster: Cluster,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    public_note: str | None = None,
) -> None:
    """One audit event about an irritant, in its timeline."""
    record(
        session, agent, action, "cluster", cluster.id, cluster_id=cluster.id, before=before, after=after, reason=reason,
        public_note=public_note,
    )  # fmt: skip


def chunks(ids: Iterable[int], size: int = 500) -> Iterator[list[int]]:
    """Ids in slices, so that IN lists stay under SQLite's bound-parameter limit whatever an irritant's size."""
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def set_rows(session: Session, model: Any, ids: Iterable[int], **values: Any) -> None:
    """UPDATE rows by id (reports or supports changing irritant)."""
    for part in chunks(ids):
        session.execute(
            update(model).where(model.id.in_(part)).values(**values).execution_options(synchronize_session="fetch")
        )


def status_fields(cluster: Cluster) -> dict[str, Any]:
    """What a status decision changes, for the audit event's before/after."""
    return {
        "status": cluster.status,
        "closed_at": cluster.closed_at,
        "fixed_at": cluster.fixed_at,
        "fixed_on": cluster.fixed_on,
        "routed_to": cluster.routed_to,
        "duplicate_of_id": cluster.duplicate_of_id,
    }


def enter_status(cluster: Cluster, to: StatusKind) -> None:
    """Set a status and the dates that go with it (closed_at, fixed_at)."""
    now = utcnow()
    previous = cluster.status
    cluster.status = to
    if to in CLOSED_STATUSES:
        cluster.closed_at = now
    else:
        cluster.closed_at = None
    if to == S.FIXED:
        cluster.fixed_at = now
    elif to == S.TRIAGED and previous in CLOSED_STATUSES:
        # Reopened: it is no longer fixed, routed elsewhere nor a duplicate.
        cluster.fixed_at = None
    if to != S.NOT_OUR_SCOPE:
        cluster.routed_to = None
    if to != S.DUPLICATE:
        cluster.duplicate_of_id = None


def refresh(session: Session, ranking: RankingSettings, clusters: Iterable[Cluster]) -> None:
    """Recompute counts and scores of touched irritants with the configured weights, then reload them."""
    touched = [c for c in clusters if c is not None]
    flush(session)
    stats.refresh(session, ranking.weights, [c.id for c in touched])
    for cluster in touched:
        session.expire(cluster)


def recompute_centroid(session: Session, cluster: Cluster) -> None:
    """Mean of the members' stored vectors (the encoder most of them use); unchanged when none is stored."""
    rows = session.execute(
        select(ReportVector.encoder, ReportVector.vector)
        .join(Report, Report.id == ReportVector.report_id)
        .where(Report.cluster_id == cluster.id)
    ).all()
    if not rows:
        return
    encoders = [r.encoder for r in rows]
    name = cluster.encoder if cluster.encoder in encoders else max(set(encoders), key=encoders.count)
    vectors = np.vstack([engine.from_bytes(r.vector) for r in rows if r.encoder == name])
    mean = vectors.mean(axis=0)
    cluster.centroid = engine.to_bytes(mean / max(float(np.linalg.norm(mean)), 1e-12))
    cluster.encoder = name
