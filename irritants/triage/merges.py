"""Merging irritants, reversibly. Same contract as decisions.py (splits and moves are in splits.py).

A merge moves the sources' reports and « moi aussi » into the target and records, in the source's merge event,
exactly which ones moved: unmerge reads them back from there. People are counted once: a support whose person
already supports or reported in the target stays behind instead of counting twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants import events
from irritants.audit.models import Event
from irritants.auth.policy import Action, Agent
from irritants.clusters.describing import describe
from irritants.clusters.models import Cluster, Support
from irritants.clusters.report_status import sync_report_statuses
from irritants.clusters.services import root_of
from irritants.errors import ValidationFailed
from irritants.intake.models import Report
from irritants.settings import RankingSettings
from irritants.status import StatusKind
from irritants.triage.workflow import (
    allow,
    check_transition,
    check_version,
    chunks,
    claim,
    clean_reason,
    enter_status,
    flush,
    get_cluster,
    invalid,
    log,
    recompute_centroid,
    refresh,
    repoint_duplicates,
    set_rows,
    status_fields,
)

MERGE_MAX = 50


def _people_of(session: Session, cluster_id: int) -> set[str]:
    """Known people (reporters and supporters) of an irritant."""
    reporters = session.scalars(
        select(Report.person_key).where(Report.cluster_id == cluster_id, Report.person_key.is_not(None))
    )
    supporters = session.scalars(select(Support.person_key).where(Support.cluster_id == cluster_id))
    return set(reporters) | set(supporters)


def _check_merge(session: Session, target: Cluster, sources: list[Cluster]) -> None:
    if target.id in {s.id for s in sources}:
        raise invalid("source_ids", "Un irritant ne peut pas être fusionné avec lui-même.")
    if target.status == StatusKind.DUPLICATE:
        root = root_of(session, target)
        message = f"L'irritant n° {target.id} est déjà un doublon du n° {root.id} : fusionnez plutôt dans celui-ci."
        raise invalid("target", message)
    if target.status == StatusKind.SPAM:
        message = f"L'irritant n° {target.id} est classé indésirable : il ne peut pas en recevoir d'autres."
        raise invalid("target", message)
    problems = {}
    for position, source in enumerate(sources):
        try:
            check_transition(source.status, StatusKind.DUPLICATE)
        except ValidationFailed as exc:
            problems[str(position)] = [f"Irritant n° {source.id} : {exc.detail}"]
    if problems:
        raise ValidationFailed("Aucun irritant n'a été fusionné.", errors={"source_ids": problems})


def merge(
    session: Session,
    agent: Agent,
    target_id: int,
    source_ids: list[int],
    *,
    ranking: RankingSettings,
    expected_versions: dict[int, int] | None = None,
    reason: str | None = None,
) -> Cluster:
    """Merge irritants into ``target_id``: they become its duplicates, their reports and supports move."""
    reason = clean_reason(reason)
    ids = list(dict.fromkeys(int(i) for i in source_ids or []))
    if not ids:
        raise invalid("source_ids", "Choisissez au moins un irritant à fusionner.")
    if len(ids) > MERGE_MAX:
        raise invalid("source_ids", f"{MERGE_MAX} irritants au plus par fusion.")
    target = get_cluster(session, target_id)
    sources = [get_cluster(session, i, field="source_ids") for i in ids]
    allow(agent, Action.RESHAPE, [target, *sources])
    for cluster in (target, *sources):  # stale first: the checks below read the state the agent did not see
        check_version(cluster, (expected_versions or {}).get(cluster.id))
    _check_merge(session, target, sources)

    claim(session, [target, *sources])
    people = _people_of(session, target.id)
    for source in sources:
        reports = session.execute(
            select(Report.id, Report.cluster_locked, Report.person_key)
            .where(Report.cluster_id == source.id)
            .order_by(Report.id)
        ).all()
        supports = session.execute(
            select(Support.id, Support.person_key).where(Support.cluster_id == source.id).order_by(Support.id)
        ).all()
        moved_supports = [s.id for s in supports if s.person_key not in people]
        people |= {r.person_key for r in reports if r.person_key} | {s.person_key for s in supports}
        report_ids = [r.id for r in reports]
        # The product owner said these belong to the target: re-clustering must not pull them out again.
        set_rows(session, Report, report_ids, cluster_id=target.id, cluster_locked=True)
        set_rows(session, Support, moved_supports, cluster_id=target.id)
        before = status_fields(source)
        enter_status(source, StatusKind.DUPLICATE)
        source.duplicate_of_id = target.id
        flush(session)
        repointed = repoint_duplicates(session, agent, source.id, target.id, reason=reason)
        after = {
            **status_fields(source),
            "into": target.id,
            "reports": report_ids,
            "supports": moved_supports,
            "supports_kept": [s.id for s in supports if s.id not in set(moved_supports)],
            "locked_before": [r.id for r in reports if r.cluster_locked],
            "repointed": repointed,
        }
        log(session, agent, "cluster.merge", source, before=before, after=after, reason=reason)

    sync_report_statuses(session, cluster_ids=[target.id])
    before = {"size": target.size, "supporters": target.supporters, "people": target.people}
    recompute_centroid(session, target)
    # Keywords and title from the merged content (unless a product owner wrote the title).
    described = describe(session, [target]).get(target.id, ({}, {}))
    flush(session)
    refresh(session, ranking, [target, *sources])
    after = {"merged": ids, "size": target.size, "supporters": target.supporters, "people": target.people}
    before, after = {**before, **described[0]}, {**after, **described[1]}
    log(session, agent, "cluster.absorb", target, before=before, after=after, reason=reason)
    events.clusters_merged.send(session, target_id=target.id, source_ids=ids, agent=agent)
    return target


def _last_merge(session: Session, source_id: int) -> Event | None:
    """The source's merge event, if the last merge or unmerge that touched it was a merge."""
    event = session.scalar(
        select(Event)
        .where(
            Event.subject_type == "cluster",
            Event.subject_id == source_id,
            Event.action.in_(("cluster.merge", "cluster.unmerge")),
        )
        .order_by(Event.id.desc())
        .limit(1)
    )
    return event if event is not None and event.action == "cluster.merge" else None


def _when(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


def unmerge(
    session: Session, agent: Agent, source_id: int, *, ranking: RankingSettings, reason: str | None = None
) -> Cluster:
    """Undo a merge: the source gets back exactly the reports and supports it gave, and its former status."""
    reason = clean_reason(reason)
    source = get_cluster(session, source_id)
    allow(agent, Action.RESHAPE, source)
    event = _last_merge(session, source.id)
    if event is None or source.status != StatusKind.DUPLICATE:
        message = "Cet irritant n'est pas issu d'une fusion : il n'y a rien à défaire."
        raise invalid("cluster_id", message)
    into = session.get(Cluster, int(event.after.get("into") or 0))
    # What moved may since have followed the target into another merge: look in the target and its root.
    holders = {c.id: c for c in (into, root_of(session, into) if into else None) if c is not None}
    allow(agent, Action.RESHAPE, [source, *holders.values()])

    wanted_reports = [int(i) for i in event.after.get("reports", [])]
    wanted_supports = [int(i) for i in event.after.get("supports", [])]
    reports = [
        row
        for part in chunks(wanted_reports)
        for row in session.execute(
            select(Report.id, Report.cluster_id).where(Report.id.in_(part), Report.cluster_id.in_(list(holders)))
        )
    ]
    kept_people = set(session.scalars(select(Support.person_key).where(Support.cluster_id == source.id)))
    supports = [
        row
        for part in chunks(wanted_supports)
        for row in session.execute(
            select(Support.id, Support.cluster_id, Support.person_key).where(
                Support.id.in_(part), Support.cluster_id.in_(list(holders))
            )
        )
        if row.person_key not in kept_people
    ]
    claim(session, [source, *holders.values()])
    before = status_fields(source)
    previous = event.before
    source.status = StatusKind(previous.get("status", StatusKind.TRIAGED))
    source.closed_at, source.fixed_at = _when(previous.get("closed_at")), _when(previous.get("fixed_at"))
    source.routed_to, source.duplicate_of_id = previous.get("routed_to"), None
    locked = {int(i) for i in event.after.get("locked_before", [])}
    for locked_value in (True, False):
        ids = [r.id for r in reports if (r.id in locked) == locked_value]
        set_rows(session, Report, ids, cluster_id=source.id, cluster_locked=locked_value)
    set_rows(session, Support, [s.id for s in supports], cluster_id=source.id)
    flush(session)
    repointed = []
    for child_id in event.after.get("repointed", []):
        child = session.get(Cluster, int(child_id))
        if child is not None and child.status == StatusKind.DUPLICATE and child.duplicate_of_id in holders:
            before_child = {"duplicate_of_id": child.duplicate_of_id}
            child.duplicate_of_id = source.id
            flush(session)
            log(
                session,
                agent,
                "cluster.repoint",
                child,
                before=before_child,
                after={"duplicate_of_id": source.id},
                reason=reason,
            )
            repointed.append(child.id)
    log(
        session,
        agent,
        "cluster.unmerge",
        source,
        before=before,
        after={
            **status_fields(source),
            "from": event.after.get("into"),
            "reports": [r.id for r in reports],
            "supports": [s.id for s in supports],
            "repointed": repointed,
        },
        reason=reason,
    )
    for holder in holders.values():
        gave_reports = [r.id for r in reports if r.cluster_id == holder.id]
        gave_supports = [s.id for s in supports if s.cluster_id == holder.id]
        if gave_reports or gave_supports:
            recompute_centroid(session, holder)
            described = describe(session, [holder]).get(holder.id, ({}, {}))
            flush(session)
            log(
                session,
                agent,
                "cluster.release",
                holder,
                before=described[0] or None,
                after={"to": source.id, "reports": gave_reports, "supports": gave_supports, **described[1]},
                reason=reason,
            )
    recompute_centroid(session, source)
    flush(session)
    sync_report_statuses(session, cluster_ids=[source.id])
    refresh(session, ranking, [source, *holders.values()])
    events.merge_undone.send(session, source_id=source.id, target_id=into.id if into else None, agent=agent)
    return source
