"""The regression alarm: a fixed irritant whose inflow climbs back is marked « regressed » by the service.

Run daily (``irritants check-regressions``, and the background runner's daily job). For each irritant that is
``fixed`` now, the rule of ``irritants.effect.regression`` (each of the last two complete weeks after the fix
clearly above the pre-fix level, on the interval, docs/fix-effect.md) decides; a marked irritant takes the same
decision path as an agent's (``decisions.apply_status``): one audit event whose actor is the service (no agent),
its reports' statuses, ``events.status_changed`` — so the squad's mail and webhooks hear it as they hear any
decision — and a public note that citizens read on their tracking page. Idempotent: a regressed irritant is no longer
``fixed``, so a second run the same day marks nothing; the squad takes it from there (``regressed`` →
``in_progress``, then a new « correctif livré »).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.clusters import effect as fix_effect
from irritants.clusters.models import Cluster
from irritants.progress import Progress, no_progress
from irritants.settings import FixEffectSettings
from irritants.status import StatusKind
from irritants.triage.decisions import apply_status
from irritants.triage.workflow import check_transition

S = StatusKind


def public_note(fixed_on: dt.date) -> str:
    return (
        f"Depuis deux semaines, les signalements sont nettement plus nombreux qu’avant le correctif livré le "
        f"{fixed_on:%d/%m/%Y} : le problème semble revenu. L’équipe en est avertie et va l’examiner de nouveau."
    )


def candidates(session: Session) -> list[int]:
    """Irritants fixed now, with a fix day (ids, in order)."""
    return list(
        session.scalars(
            select(Cluster.id).where(Cluster.status == S.FIXED, Cluster.fixed_on.is_not(None)).order_by(Cluster.id)
        )
    )


def check_regressions(
    session: Session, settings: FixEffectSettings, today: dt.date, *, progress: Progress = no_progress
) -> list[int]:
    """Mark ``regressed`` every fixed irritant whose inflow is back above its pre-fix level; returns their ids."""
    ids = candidates(session)
    marked = []
    for done, cluster_id in enumerate(ids, start=1):
        cluster = session.get(Cluster, cluster_id)
        fixed = cluster is not None and cluster.status == S.FIXED and cluster.fixed_on is not None
        if fixed and fix_effect.has_regressed(session, settings, cluster, today=today):
            mark(session, cluster)
            marked.append(cluster.id)
        progress("regressions", done, len(ids))
    return marked


def mark(session: Session, cluster: Cluster) -> None:
    """fixed → regressed, by the service (no agent), through the decisions' one writer."""
    assert cluster.fixed_on is not None
    check_transition(cluster.status, S.REGRESSED)
    reason = (
        "Alarme de régression : les deux dernières semaines complètes comptent chacune nettement plus de "
        f"signalements qu’avant le correctif livré le {cluster.fixed_on:%d/%m/%Y} (borne basse de l’intervalle "
        "à 95 % du rapport au-dessus de 1)."
    )
    apply_status(session, None, cluster, S.REGRESSED, None, None, reason, public_note(cluster.fixed_on))
