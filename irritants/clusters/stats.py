"""Cluster statistics from the database and their explainable score (the ranking core does the maths)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import String, cast, func, literal, select, union_all, update
from sqlalchemy.orm import Session

from irritants.clusters.models import Cluster, Support
from irritants.db import utcnow
from irritants.intake.models import Report
from irritants.ranking import ClusterSignals, Weights, score_cluster


def _scope(stmt: Any, column: Any, cluster_ids: Iterable[int] | None) -> Any:
    if cluster_ids is not None:
        stmt = stmt.where(column.in_(list(cluster_ids)))
    return stmt


def refresh(
    session: Session, weights: Weights, cluster_ids: Iterable[int] | None = None, now: dt.datetime | None = None
) -> int:
    """Recompute size, breadth, people and score of the given clusters (all when None); returns how many."""
    now = now or utcnow()
    ids = None if cluster_ids is None else sorted(set(cluster_ids))
    if ids is not None and not ids:
        return 0
    report_rows = session.execute(
        _scope(
            select(
                Report.cluster_id,
                Report.created_at,
                Report.severity,
                Report.assisted,
                Report.territory_code,
                Report.administration_id,
            ).where(Report.cluster_id.is_not(None)),
            Report.cluster_id,
            ids,
        )
    ).all()
    support_rows = session.execute(
        _scope(select(Support.cluster_id, Support.created_at).where(Support.counted.is_(True)), Support.cluster_id, ids)
    ).all()
    people = dict(session.execute(_people_query(ids)).all())

    per: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "ages": [],
            "sev": defaultdict(int),
            "assisted": 0,
            "reports": 0,
            "terr": set(),
            "admins": defaultdict(int),
            "supports": 0,
        }
    )
    for cluster_id, created, severity, assisted, territory, admin in report_rows:
        entry = per[cluster_id]
        entry["ages"].append((now - created).total_seconds() / 86400)
        entry["sev"][str(severity.value if hasattr(severity, "value") else severity)] += 1
        entry["assisted"] += int(bool(assisted))
        entry["reports"] += 1
        entry["terr"].add(territory)
        entry["admins"][admin] += 1
    for cluster_id, created in support_rows:
        per[cluster_id]["ages"].append((now - created).total_seconds() / 86400)
        per[cluster_id]["supports"] += 1

    targets = ids if ids is not None else list(session.scalars(select(Cluster.id)))
    empty = score_cluster(ClusterSignals(), weights).as_dict()
    values = []
    for cluster_id in targets:
        entry = per.get(cluster_id)
        if entry is None:
            values.append(
                {
                    "cid": cluster_id,
                    "size": 0,
                    "supporters": 0,
                    "people": 0,
                    "territories": 0,
                    "administrations": 0,
                    "main_administration_id": None,
                    "score": 0.0,
                    "score_breakdown": empty,
                }
            )
            continue
        ages = np.maximum(np.asarray(entry["ages"], dtype=np.float64), 0.0)
        signals = ClusterSignals(
            people=people.get(cluster_id, entry["reports"] + entry["supports"]),
            reports=entry["reports"],
            assisted=entry["assisted"],
            severity_counts=dict(entry["sev"]),
            report_ages_days=ages,
            last_30_days=int((ages < 30).sum()),
            previous_30_days=int(((ages >= 30) & (ages < 60)).sum()),
            territories=len(entry["terr"]),
            administrations=len(entry["admins"]),
        )
        breakdown = score_cluster(signals, weights)
        main_admin = max(entry["admins"].items(), key=lambda kv: (kv[1], -kv[0]))[0] if entry["admins"] else None
        values.append(
            {
                "cid": cluster_id,
                "size": entry["reports"],
                "supporters": entry["supports"],
                "people": signals.people,
                "territories": signals.territories,
                "administrations": signals.administrations,
                "main_administration_id": main_admin,
                "score": breakdown.total,
                "score_breakdown": breakdown.as_dict(),
            }
        )
    if values:
        from sqlalchemy import bindparam

        stmt = (
            update(Cluster.__table__)
            .where(Cluster.__table__.c.id == bindparam("cid"))
            .values({name: bindparam(name) for name in values[0] if name != "cid"})
        )
        session.connection().execute(stmt, values)
    return len(values)


def _everyone(ids: list[int] | None) -> Any:
    """Every person of every cluster, with when they came forward: a report without a known person is a person of
    its own; only supports that counted (fresh browser ids from a network that already supported add nobody)."""
    reporters = _scope(
        select(
            Report.cluster_id.label("cid"),
            func.coalesce(Report.person_key, literal("r:") + cast(Report.id, String)).label("who"),
            Report.created_at.label("since"),
        ).where(Report.cluster_id.is_not(None)),
        Report.cluster_id,
        ids,
    )
    supporters = _scope(
        select(
            Support.cluster_id.label("cid"), Support.person_key.label("who"), Support.created_at.label("since")
        ).where(Support.counted.is_(True)),
        Support.cluster_id,
        ids,
    )
    return union_all(reporters, supporters).subquery()


def _people_query(ids: list[int] | None) -> Any:
    """Distinct people per cluster."""
    everyone = _everyone(ids)
    return select(everyone.c.cid, func.count(everyone.c.who.distinct())).group_by(everyone.c.cid)


def people_since(session: Session, cluster_ids: Iterable[int]) -> list[tuple[int, str, dt.datetime]]:
    """(irritant, person, when they first came forward) for the people these irritants count (progress in people)."""
    ids = sorted(set(cluster_ids))
    if not ids:
        return []
    everyone = _everyone(ids)
    rows = session.execute(
        select(everyone.c.cid, everyone.c.who, func.min(everyone.c.since)).group_by(everyone.c.cid, everyone.c.who)
    )
    return [(cid, who, since) for cid, who, since in rows]


def inflow(
    session: Session, cluster_ids: Iterable[int], *, days: int = 30, now: dt.datetime | None = None
) -> dict[int, int]:
    """Reports and counted « moi aussi » each irritant received in the last ``days`` days (0 for none): whether
    people still run into it."""
    ids = sorted(set(cluster_ids))
    if not ids:
        return {}
    everyone = _everyone(ids)
    since = (now or utcnow()) - dt.timedelta(days=days)
    rows = session.execute(
        select(everyone.c.cid, func.count()).where(everyone.c.since >= since).group_by(everyone.c.cid)
    )
    counts = dict.fromkeys(ids, 0)
    counts.update({cid: n for cid, n in rows})
    return counts
