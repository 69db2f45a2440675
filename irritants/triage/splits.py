"""Reshaping irritants by hand: split some reports into a new irritant, move one report. Same contract as
decisions.py; both lock the reports where they are put, so a re-clustering keeps them there.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants import events
from irritants.audit.services import record
from irritants.auth.policy import Action, Agent
from irritants.clustering import representatives
from irritants.clusters import engine
from irritants.clusters.describing import describe
from irritants.clusters.models import Cluster, ReportVector
from irritants.clusters.report_status import sync_report_statuses
from irritants.clusters.services import root_of
from irritants.errors import NotFoundError
from irritants.intake.models import Report
from irritants.settings import RankingSettings
from irritants.status import StatusKind
from irritants.triage.workflow import (
    allow,
    check_version,
    claim,
    clean_label,
    clean_reason,
    flush,
    get_cluster,
    invalid,
    log,
    recompute_centroid,
    refresh,
    set_rows,
)

SPLIT_MAX = 5000


def _central(session: Session, moved_ids: list[int]) -> list[int]:
    """The new side's two most central reports (by their stored vectors), else its first two."""
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
    return central


def split(
    session: Session,
    agent: Agent,
    cluster_id: int,
    report_ids: list[int],
    *,
    ranking: RankingSettings,
    label: str | None = None,
    expected_version: int | None = None,
    reason: str | None = None,
) -> Cluster:
    """Take some reports out of an irritant into a new one, locked there so re-clustering keeps them together."""
    reason = clean_reason(reason)
    cluster = get_cluster(session, cluster_id)
    allow(agent, Action.RESHAPE, cluster)
    check_version(cluster, expected_version)  # before the checks of membership, which read the current state
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

    claim(session, [cluster])
    new = Cluster(
        status=StatusKind.NEW,
        label=chosen_label or "",
        label_locked=chosen_label is not None,
        keywords=[],
        excerpt_report_ids=_central(session, ids),
        encoder=cluster.encoder,
        main_administration_id=cluster.main_administration_id,
    )
    session.add(new)
    flush(session)
    set_rows(session, Report, ids, cluster_id=new.id, cluster_locked=True)
    sync_report_statuses(session, cluster_ids=[new.id])
    before = {"size": cluster.size, "label": cluster.label, "keywords": list(cluster.keywords or [])}
    cluster.excerpt_report_ids = [i for i in cluster.excerpt_report_ids or [] if i in set(kept)] or kept[:2]
    recompute_centroid(session, cluster)
    recompute_centroid(session, new)
    # Both sides' keywords and titles from the reports they now hold (a title a product owner wrote stays).
    describe(session, [cluster, new])
    flush(session)
    refresh(session, ranking, [cluster, new])
    log(
        session,
        agent,
        "cluster.split",
        cluster,
        before=before,
        after={
            "new_cluster_id": new.id,
            "reports": ids,
            "size": cluster.size,
            "label": cluster.label,
            "keywords": cluster.keywords,
        },
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
    events.cluster_split.send(session, cluster_id=cluster.id, new_cluster_id=new.id, report_ids=ids, agent=agent)
    return new


def move_report(
    session: Session,
    agent: Agent,
    report_id: int,
    to_cluster_id: int,
    *,
    ranking: RankingSettings,
    reason: str | None = None,
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
    report.cluster_id, report.cluster_locked = to.id, True
    if origin is not None and report.id in (origin.excerpt_report_ids or []):
        origin.excerpt_report_ids = [i for i in origin.excerpt_report_ids if i != report.id]
    flush(session)
    sync_report_statuses(session, report_ids=[report.id])
    for cluster in (origin, to):
        if cluster is not None:
            recompute_centroid(session, cluster)
    # Both irritants' keywords and titles follow the report (a title a product owner wrote stays).
    described = describe(session, [origin, to])
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
    for cluster in (origin, to):
        if cluster is not None and cluster.id in described:
            before_words, after_words = described[cluster.id]
            log(session, agent, "cluster.describe", cluster, before=before_words, after=after_words, reason=reason)
    refresh(session, ranking, [origin, to])
    events.report_moved.send(
        session, report_id=report.id, from_cluster_id=before["cluster_id"], to_cluster_id=to.id, agent=agent
    )
    return report
