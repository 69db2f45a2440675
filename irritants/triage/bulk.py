"""One decision on many irritants at once (back-office « actions groupées », API ``POST /triage/bulk``).

Each irritant that can receive the decision gets it, with its own audit event; the others are skipped, each with
the reason, and keep no trace. Nothing changed at all is a refusal: 403 when the policy refused every one of them,
422 otherwise. Same contract as decisions.py: session first, policy asked per irritant, never commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.auth.exceptions import Forbidden, StaleObject
from irritants.auth.policy import Action, Agent
from irritants.clusters.models import Cluster
from irritants.errors import IrritantsError, ValidationFailed
from irritants.squads.models import Squad
from irritants.status import StatusKind
from irritants.triage.decisions import (
    BULK_MAX,
    BULK_OPERATIONS,
    apply_assign,
    apply_pin,
    apply_status,
    check_assign,
    check_routed_to,
    check_status,
    check_transfer,
    get_squad,
    parse_status,
)
from irritants.triage.workflow import allow, clean_reason, invalid

# How many irritants the back-office names per reason in its notice (the API lists them all).
NAMED_PER_REASON = 10


def count(n: int, singular: str, plural: str) -> str:
    """« 0 irritant », « 1 irritant », « 2 irritants »: in French, 0 and 1 take the singular."""
    return f"{n} {singular if n < 2 else plural}"


@dataclass(frozen=True)
class Skipped:
    """An irritant the decision was not applied to, and why (in French, for agents)."""

    cluster_id: int
    reason: str
    by_policy: bool = False  # refused by the policy (rights), not by the workflow or the data


@dataclass
class BulkResult:
    """What a bulk decision did: the irritants it changed (request order) and those it skipped, with why."""

    changed: list[Cluster] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def skipped_by_reason(self) -> list[tuple[list[int], str]]:
        """Skipped irritants grouped by reason, in order of first appearance (to tell agents briefly)."""
        groups: dict[str, list[int]] = {}
        for skip in self.skipped:
            groups.setdefault(skip.reason, []).append(skip.cluster_id)
        return [(ids, reason) for reason, ids in groups.items()]

    def summary(self) -> str:
        """« 3 irritants modifiés. » — what the notice of the back-office starts with."""
        n = len(self.changed)
        return f"{count(n, 'irritant modifié', 'irritants modifiés')}."

    def skipped_summary(self) -> tuple[str, list[str]]:
        """« 1 irritant n'a pas été modifié : » and one line per reason (« n° 12 — why »)."""
        n = len(self.skipped)
        head = f"{n} irritant n'a pas été modifié :" if n < 2 else f"{n} irritants n'ont pas été modifiés :"
        lines = []
        for ids, reason in self.skipped_by_reason():
            named = ", ".join(f"n° {i}" for i in ids[:NAMED_PER_REASON])
            if len(ids) > NAMED_PER_REASON:
                named += f" et {count(len(ids) - NAMED_PER_REASON, 'autre', 'autres')}"
            lines.append(f"{named} — {reason}")
        return head, lines


def _ids(cluster_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in cluster_ids or []))
    if not ids:
        raise invalid("cluster_ids", "Sélectionnez au moins un irritant.")
    if len(ids) > BULK_MAX:
        raise invalid("cluster_ids", f"{BULK_MAX} irritants au plus par action groupée.")
    return ids


def _why(exc: IrritantsError) -> str:
    messages = [m for ms in exc.errors.values() for m in ms] if isinstance(exc, ValidationFailed) else []
    return " ".join(dict.fromkeys(messages)) or exc.detail


Check = Callable[[Cluster], Any]  # raises why the irritant cannot receive the decision, else returns its plan
Apply = Callable[[Cluster, Any], None]


def _plan(
    session: Session,
    agent: Agent,
    operation: str,
    *,
    to: StatusKind | str | None,
    squad_id: int | None,
    routed_to: str | None,
    reason: str | None,
    confirm_transfer: bool,
) -> tuple[Check, Apply]:
    """The per-irritant check and change of ``operation``; what is wrong with the request itself raises here."""
    if operation in ("status", "spam"):
        target = StatusKind.SPAM if operation == "spam" else parse_status(to) if to is not None else None
        if target is None:
            raise invalid("to", "Choisissez le nouveau statut.")
        if target == StatusKind.DUPLICATE:
            raise invalid("to", "Les doublons se fusionnent irritant par irritant.")
        check_routed_to(target, routed_to)  # the same for every irritant: a fault of the request, said once

        def check_one(cluster: Cluster) -> Any:
            return check_status(session, agent, cluster, target, routed_to, None)

        def apply_one(cluster: Cluster, plan: Any) -> None:
            apply_status(session, agent, cluster, target, plan[0], plan[1], reason)

        return check_one, apply_one

    if operation == "assign":
        squad = get_squad(session, squad_id)
        check_transfer(agent, squad, confirm_transfer, many=True)

        def check_squad(cluster: Cluster) -> Any:
            if not check_assign(agent, cluster, squad):
                raise invalid("squad_id", _already_assigned(squad))
            return squad

        return check_squad, lambda cluster, plan: apply_assign(session, agent, cluster, plan, reason)

    pinned = operation == "pin"

    def check_pin(cluster: Cluster) -> Any:
        allow(agent, Action.EDIT_CLUSTER, cluster)
        if cluster.pinned == pinned:
            raise invalid("pinned", "Il est déjà épinglé." if pinned else "Il n'est pas épinglé.")
        return pinned

    return check_pin, lambda cluster, plan: apply_pin(session, agent, cluster, plan, reason)


def _already_assigned(squad: Squad | None) -> str:
    if squad is None:
        return "Il n'est déjà confié à aucune start-up d'État."
    return f"Il est déjà confié à la start-up d'État « {squad.name} »."


def apply(
    session: Session,
    agent: Agent,
    cluster_ids: list[int],
    operation: str,
    *,
    to: StatusKind | str | None = None,
    squad_id: int | None = None,
    reason: str | None = None,
    routed_to: str | None = None,
    confirm_transfer: bool = False,
) -> BulkResult:
    """Apply one decision to every irritant that can receive it; skip the others, saying why for each."""
    if operation not in BULK_OPERATIONS:
        raise invalid("operation", "Action groupée inconnue.")
    reason = clean_reason(reason)
    ids = _ids(cluster_ids)
    check, change = _plan(
        session, agent, operation, to=to, squad_id=squad_id, routed_to=routed_to, reason=reason,
        confirm_transfer=confirm_transfer,
    )  # fmt: skip
    found = {c.id: c for c in session.scalars(select(Cluster).where(Cluster.id.in_(ids)))}
    result = BulkResult()
    for cluster_id in ids:
        cluster = found.get(cluster_id)
        if cluster is None:
            result.skipped.append(Skipped(cluster_id, "Irritant introuvable."))
            continue
        try:
            plan = check(cluster)
        except ValidationFailed as exc:
            result.skipped.append(Skipped(cluster_id, _why(exc)))
            continue
        except IrritantsError as exc:  # refused by the policy for this irritant
            result.skipped.append(Skipped(cluster_id, exc.detail, by_policy=True))
            continue
        try:
            # One savepoint each: an irritant changed concurrently (version) is skipped, the others still apply.
            with session.begin_nested():
                change(cluster, plan)
        except StaleObject as exc:
            result.skipped.append(Skipped(cluster_id, exc.detail))
            continue
        result.changed.append(cluster)
    if not result.changed:
        _refuse(result, list(cluster_ids or []))
    return result


def _refuse(result: BulkResult, requested: list[Any]) -> None:
    """Nothing could change: 403 when the policy refused them all (no right on any), else 422; each one said."""
    positions: dict[int, int] = {}
    for position, value in enumerate(requested):
        positions.setdefault(int(value), position)
    errors = {str(positions.get(s.cluster_id, 0)): [f"Irritant n° {s.cluster_id} : {s.reason}"] for s in result.skipped}
    n = len(result.skipped)
    if all(s.by_policy for s in result.skipped):
        message = f"Aucun irritant n'a été modifié : vous ne pouvez pas prendre cette décision sur {_these(n)}."
        raise Forbidden(message, errors={"cluster_ids": errors})
    cannot = "ne peut pas" if n < 2 else "ne peuvent pas"
    message = f"Aucun irritant n'a été modifié : {count(n, 'irritant', 'irritants')} {cannot} recevoir cette décision."
    raise ValidationFailed(message, errors={"cluster_ids": errors})


def _these(n: int) -> str:
    return "cet irritant" if n < 2 else f"ces {n} irritants"
