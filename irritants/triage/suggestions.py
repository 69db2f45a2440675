"""Merge suggestions for product owners: « Irritants qui se ressemblent ».

Pairs of open irritants whose centroids are very close (``clustering.suggestions``), among those the agent may
reshape, best first: on the backlog the best pairs, on an irritant's page its nearest ones. Merging one goes
through the one merge decision (``merges.merge``: policy, versions, audit); « Ce ne sont pas les mêmes » stores the
pair (``DismissedPair``) with an audit event on both irritants, and the pair is never suggested again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from irritants.auth.policy import Action, Agent, decide
from irritants.clustering.suggestions import Pair, centred, closeness, neighbours, similar_pairs, suggest_threshold
from irritants.clusters import engine
from irritants.clusters.models import Cluster
from irritants.status import CLOSED_STATUSES, TRANSITIONS, StatusKind
from irritants.triage.models import DismissedPair
from irritants.triage.workflow import allow, chunks, clean_reason, get_cluster, invalid, log

BACKLOG_LIMIT = 5
PAGE_LIMIT = 5


@dataclass(frozen=True)
class Suggestion:
    """Two irritants that look like one: merging puts ``merge`` into ``keep`` (the larger, then the older)."""

    keep: Cluster
    merge: Cluster
    similarity: float
    closeness: str  # in words: « très proches », « proches », « assez proches »

    @property
    def key(self) -> str:
        """The pair, whichever way round: names its forms on a page."""
        low, high = sorted((self.keep.id, self.merge.id))
        return f"{low}-{high}"

    @property
    def percent(self) -> int:
        return round(100 * self.similarity)


@dataclass(frozen=True)
class _Candidates:
    ids: np.ndarray  # in id order: oldest first
    matrix: np.ndarray
    sizes: np.ndarray
    threshold: float


def _main_encoder(session: Session) -> str | None:
    """The encoder most open irritants' centroids come from: only centroids of one encoder compare."""
    return session.scalar(
        select(Cluster.encoder)
        .where(Cluster.status.not_in(CLOSED_STATUSES), Cluster.centroid.is_not(None), Cluster.encoder.is_not(None))
        .group_by(Cluster.encoder)
        .order_by(func.count().desc(), Cluster.encoder)
        .limit(1)
    )


def _mergeable(cluster: Cluster) -> bool:
    return StatusKind.DUPLICATE in TRANSITIONS[StatusKind(cluster.status)]


def _candidates(session: Session, agent: Agent, encoder: str) -> _Candidates:
    """Centred centroids of the open irritants of ``encoder`` that the agent may merge (the policy's RESHAPE).

    Read fresh (a merge a moment ago changed the kept irritant's centroid), and centred over every open irritant
    before the agent's are picked, so that a pair's similarity is the same whoever asks.
    """
    rows = session.execute(
        select(Cluster.id, Cluster.squad_id, Cluster.size, Cluster.centroid)
        .where(Cluster.status.not_in(CLOSED_STATUSES), Cluster.encoder == encoder, Cluster.centroid.is_not(None))
        .order_by(Cluster.id)
    ).all()
    vectors = [engine.from_bytes(row.centroid) for row in rows]
    dim = max((v.shape[0] for v in vectors), default=0)
    rows = [row for row, v in zip(rows, vectors, strict=True) if v.shape[0] == dim]  # another size cannot compare
    sizes = np.array([row.size or 0 for row in rows], dtype=np.int64)
    matrix = centred(np.vstack([v for v in vectors if v.shape[0] == dim]), sizes) if rows else np.zeros((0, 1))
    mine = np.array([bool(decide(agent, Action.RESHAPE, row)) for row in rows], dtype=bool)  # reads row.squad_id
    ids = np.array([row.id for row in rows], dtype=np.int64)
    return _Candidates(ids[mine], matrix[mine].astype(np.float32), sizes[mine], suggest_threshold(encoder))


def _dismissed(session: Session, pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of these (low, high) id pairs a product owner dismissed."""
    found: set[tuple[int, int]] = set()
    lows = sorted({low for low, _ in pairs})
    for part in chunks(lows):
        rows = session.execute(
            select(DismissedPair.low_id, DismissedPair.high_id).where(DismissedPair.low_id.in_(part))
        )
        found |= {(int(low), int(high)) for low, high in rows}
    return found


def _suggestions(session: Session, found: _Candidates, pairs: list[Pair], limit: int) -> list[Suggestion]:
    as_ids = [(int(found.ids[p.keep]), int(found.ids[p.merge])) for p in pairs]
    dismissed = _dismissed(session, [(min(a, b), max(a, b)) for a, b in as_ids])
    chosen = [(pair, ids) for pair, ids in zip(pairs, as_ids, strict=True) if (min(ids), max(ids)) not in dismissed][
        : limit * 2
    ]  # a few spare: a pair neither side of which may become a duplicate is left out below
    clusters = {
        c.id: c for c in session.scalars(select(Cluster).where(Cluster.id.in_({i for _, ids in chosen for i in ids})))
    }
    out: list[Suggestion] = []
    for pair, (keep_id, merge_id) in chosen:
        keep, merge = clusters[keep_id], clusters[merge_id]
        if not _mergeable(merge):  # e.g. a regressed irritant cannot become a duplicate: it is the one to keep
            keep, merge = merge, keep
            if not _mergeable(merge):
                continue
        out.append(Suggestion(keep, merge, pair.similarity, closeness(pair.similarity, found.threshold)))
    return out[:limit]


def backlog_suggestions(session: Session, agent: Agent, *, limit: int = BACKLOG_LIMIT) -> list[Suggestion]:
    """The best pairs of open irritants the agent may merge, above the threshold, dismissed pairs left out."""
    encoder = _main_encoder(session)
    if encoder is None or not decide(agent, Action.RESHAPE):
        return []
    found = _candidates(session, agent, encoder)
    if found.ids.size < 2:
        return []
    return _suggestions(session, found, similar_pairs(found.matrix, found.sizes, threshold=found.threshold), limit)


def suggestions_for(session: Session, agent: Agent, cluster: Cluster, *, limit: int = PAGE_LIMIT) -> list[Suggestion]:
    """The open irritants nearest to ``cluster`` above the threshold that the agent may merge with it."""
    if cluster.status in CLOSED_STATUSES or not cluster.centroid or not cluster.encoder:
        return []
    if not decide(agent, Action.RESHAPE, cluster):
        return []
    found = _candidates(session, agent, cluster.encoder)
    where = np.nonzero(found.ids == cluster.id)[0]
    if not where.size:
        return []
    pairs = neighbours(found.matrix, int(where[0]), found.sizes, threshold=found.threshold)
    return _suggestions(session, found, pairs, limit)


def dismiss_pair(
    session: Session, agent: Agent, first_id: int, second_id: int, *, reason: str | None = None
) -> DismissedPair:
    """« Ce ne sont pas les mêmes » : the pair is not suggested again; one audit event on each irritant."""
    reason = clean_reason(reason)
    first = get_cluster(session, first_id)
    second = get_cluster(session, second_id, field="other_id")
    allow(agent, Action.RESHAPE, [first, second])
    if first.id == second.id:
        raise invalid("other_id", "Un irritant ne peut pas être écarté de lui-même.")
    low, high = sorted((first.id, second.id))
    existing = session.scalar(select(DismissedPair).where(DismissedPair.low_id == low, DismissedPair.high_id == high))
    if existing is not None:  # already said: nothing new to record
        return existing
    pair = DismissedPair(low_id=low, high_id=high, dismissed_by_id=agent.user_id or None)
    session.add(pair)
    session.flush()
    for cluster, other in ((first, second), (second, first)):
        log(session, agent, "cluster.not_same", cluster, after={"other": other.id}, reason=reason)
    return pair


def dismissed_with(session: Session, cluster_id: int) -> list[int]:
    """Irritants a product owner said are not the same as this one."""
    rows = session.execute(
        select(DismissedPair.low_id, DismissedPair.high_id).where(
            or_(DismissedPair.low_id == cluster_id, DismissedPair.high_id == cluster_id)
        )
    )
    return sorted(high if low == cluster_id else low for low, high in rows)
