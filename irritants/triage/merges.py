"""Reshaping irritants: merge (reversible), split, move one report. Same contract as decisions.py.

A merge moves the sources' reports and « moi aussi » into the target and records, in the source's merge event,
exactly which ones moved: unmerge reads them back from there. People are counted once: a support whose person
already supports or reported in the target stays behind instead of counting twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.audit.models import Event
from irritants.audit.services import record
from irritants.auth.policy import Action, Agent
from irritants.clustering import headline, keywords, representatives, short_label
from irritants.errors import NotFoundError, ValidationFailed
from irritants.intake.models import Report, StatusKind
from irritants.intake.moderation import public_text
from irritants.intake.redaction import redact
from irritants.triage import engine
from irritants.triage.models import Cluster, ReportVector, Support
from irritants.triage.workflow import (
    allow,
    check_transition,
    check_version,
    chunks,
    claim,
    clean_label,
    clean_reason,
    enter_status,
    flush,
    get_cluster,
    invalid,
    log,
    mirror_status,
    recompute_centroid,
    refresh,
    repoint_duplicates,
    root_of,
    set_rows,
    status_fields,
)

MERGE_MAX = 50
SPLIT_MAX = 5000
KEYWORD_SAMPLE = 300


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
    _check_merge(session, target, sources)
    for cluster in (target, *sources):
        check_version(cluster, (expected_versions or {}).get(cluster.id))

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
        set_rows(session, Report, report_ids, cluster_id=target.id, cluster_locked=True, status=target.status)
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

    before = {"size": target.size, "supporters": target.supporters, "people": target.people}
    recompute_centroid(session, target)
    flush(session)
    refresh(session, [target, *sources])
    after = {"merged": ids, "size": target.size, "supporters": target.supporters, "people": target.people}
    log(session, agent, "cluster.absorb", target, before=before, after=after, reason=reason)
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


def unmerge(session: Session, agent: Agent, source_id: int, *, reason: str | None = None) -> Cluster:
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
            flush(session)
            log(
                session,
                agent,
                "cluster.release",
                holder,
                after={"to": source.id, "reports": gave_reports, "supports": gave_supports},
                reason=reason,
            )
    recompute_centroid(session, source)
    flush(session)
    mirror_status(session, [source.id])
    refresh(session, [source, *holders.values()])
    return source


def _describe(session: Session, kept_ids: list[int], moved_ids: list[int]) -> dict[str, Any]:
    """Keywords of both sides, the new side's most central reports, from a sample of texts and stored vectors."""
    sample = kept_ids[:KEYWORD_SAMPLE] + moved_ids[:KEYWORD_SAMPLE]
    # Keywords are public: texts where personal data was found are redacted first.
    texts = {
        r.id: public_text(r.description, r.moderation_reasons)
        for r in session.execute(
            select(Report.id, Report.description, Report.moderation_reasons).where(Report.id.in_(sample))
        )
    }
    labels = [0] * len(kept_ids[:KEYWORD_SAMPLE]) + [1] * len(moved_ids[:KEYWORD_SAMPLE])
    words = keywords([texts[i] for i in sample], labels, top_n=8)
    rows = session.execute(
        select(ReportVector.report_id, ReportVector.encoder, ReportVector.vector).where(
            ReportVector.report_id.in_(moved_ids)
        )
    ).all()
    vectors = {r.report_id: r.vector for r in rows}
    central = moved_ids[:2]
    if len(rows) == len(moved_ids) and len({r.encoder for r in rows}) == 1:
        matrix = np.vstack([engine.from_bytes(vectors[i]) for i in moved_ids])
        best = representatives(matrix, np.zeros(len(moved_ids), dtype=np.int64), per_cluster=2).get(0, [])
        central = [moved_ids[i] for i in best] or central
    text = texts.get(central[0]) or session.scalar(select(Report.description).where(Report.id == central[0])) or ""
    return {"kept": words.get(0, []), "moved": words.get(1, []), "central": central, "headline": text}


def split(
    session: Session,
    agent: Agent,
    cluster_id: int,
    report_ids: list[int],
    *,
    label: str | None = None,
    expected_version: int | None = None,
    reason: str | None = None,
) -> Cluster:
    """Take some reports out of an irritant into a new one, locked there so re-clustering keeps them together."""
    reason = clean_reason(reason)
    cluster = get_cluster(session, cluster_id)
    allow(agent, Action.RESHAPE, cluster)
    ids = sorted({int(i) for i in report_ids or []})
    if not ids:
        raise invalid("report_ids", "Sélectionnez au moins un signalement.")
    if len(ids) > SPLIT_MAX:
        raise invalid("report_ids", f"{SPLIT_MAX} signalements au plus.")
    members = list(session.scalars(select(Report.id).where(Report.cluster_id == cluster.id).order_by(Report.id)))
    strangers = sorted(set(ids) - set(members))
    if strangers:
        listed = ", ".join(f"n° {i}" for i in strangers[:10])
        raise invalid("report_ids", f"Ces signalements ne font pas partie de l'irritant : {listed}.")
    kept = [i for i in members if i not in set(ids)]
    if not kept:
        raise invalid("report_ids", "Gardez au moins un signalement dans l'irritant d'origine (sinon, renommez-le).")
    chosen_label = clean_label(label) if label is not None and label.strip() else None
    check_version(cluster, expected_version)

    claim(session, [cluster])
    facts = _describe(session, kept, ids)
    # Redacted before the title is cut, so no number split by the cut escapes the redaction.
    title = headline(redact(facts["headline"]), keywords=facts["moved"])
    new = Cluster(
        status=StatusKind.NEW,
        label=chosen_label or title or short_label(facts["moved"]),
        label_locked=chosen_label is not None,
        keywords=list(facts["moved"]),
        excerpt_report_ids=list(facts["central"]),
        encoder=cluster.encoder,
        main_administration_id=cluster.main_administration_id,
    )
    session.add(new)
    flush(session)
    set_rows(session, Report, ids, cluster_id=new.id, cluster_locked=True, status=new.status)
    before = {"size": cluster.size, "keywords": list(cluster.keywords or [])}
    if not cluster.label_locked:
        cluster.keywords = list(facts["kept"])
    cluster.excerpt_report_ids = [i for i in cluster.excerpt_report_ids or [] if i in set(kept)] or kept[:2]
    recompute_centroid(session, cluster)
    recompute_centroid(session, new)
    flush(session)
    refresh(session, [cluster, new])
    log(
        session,
        agent,
        "cluster.split",
        cluster,
        before=before,
        after={"new_cluster_id": new.id, "reports": ids, "size": cluster.size, "keywords": cluster.keywords},
        reason=reason,
    )
    log(
        session,
        agent,
        "cluster.create",
        new,
        after={"split_from": cluster.id, "reports": ids, "label": new.label, "keywords": new.keywords},
        reason=reason,
    )
    return new


def move_report(
    session: Session, agent: Agent, report_id: int, to_cluster_id: int, *, reason: str | None = None
) -> Report:
    """Put one report in another irritant by hand; re-clustering then leaves it there."""
    reason = clean_reason(reason)
    report = session.get(Report, report_id) if 0 < report_id < 2**31 else None
    if report is None:
        raise NotFoundError("Ce signalement n'existe pas.")
    to = get_cluster(session, to_cluster_id, field="to_cluster_id")
    origin = session.get(Cluster, report.cluster_id) if report.cluster_id else None
    allow(agent, Action.RESHAPE, [origin, to])
    if origin is not None and origin.id == to.id:
        raise invalid("to_cluster_id", "Ce signalement fait déjà partie de cet irritant.")
    if to.status == StatusKind.DUPLICATE:
        root = root_of(session, to)
        message = f"L'irritant n° {to.id} est un doublon du n° {root.id} : déplacez le signalement dans celui-ci."
        raise invalid("to_cluster_id", message)
    claim(session, [origin, to])
    before = {"cluster_id": report.cluster_id, "cluster_locked": report.cluster_locked, "status": report.status}
    report.cluster_id, report.cluster_locked, report.status = to.id, True, to.status
    if origin is not None and report.id in (origin.excerpt_report_ids or []):
        origin.excerpt_report_ids = [i for i in origin.excerpt_report_ids if i != report.id]
    flush(session)
    for cluster in (origin, to):
        if cluster is not None:
            recompute_centroid(session, cluster)
    flush(session)
    record(
        session,
        agent,
        "report.move",
        "report",
        report.id,
        cluster_id=to.id,
        before=before,
        after={"cluster_id": to.id, "cluster_locked": True, "status": to.status},
        reason=reason,
    )
    refresh(session, [origin, to])
    return report
