"""Merge suggestions for product owners: « Irritants qui se ressemblent ».

Pairs of open irritants whose centroids are very close (``clustering.suggestions``), among those the agent may
reshape, best first: on the backlog the best pairs, on an irritant's page its nearest ones. Merging one goes
through the one merge decision (``merges.merge``: policy, versions, audit); « Ce ne sont pas les mêmes » stores the
pair (``DismissedPair``) with an audit event on both irritants, and the pair is never suggested again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from irritants.auth.policy import Action, Agent, decide
from irritants.clustering.suggestions import MUTUAL_RANK, Pair, centred, closeness, similar_pairs, suggest_threshold
from irritants.clusters import engine
from irritants.clusters.models import Cluster
from irritants.status import CLOSED_STATUSES, TRANSITIONS, StatusKind
from irritants.triage.models import DismissedPair
from irritants.triage.workflow import allow, chunks, clean_reason, get_cluster, invalid, log

BACKLOG_LIMIT = 5
PAGE_LIMIT = 5
SNAPSHOT_SECONDS = 30.0


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


@dataclass
class _Snapshot:
    """The open irritants of one encoder as last read, and every pair of them above the threshold, computed once per
    process and filtered for each agent: a 5,000-irritant backlog costs ≈ 1 s to read and compare on 2 busy cores,
    not to be paid at every page view. Re-read as soon as an irritant is created, else after SNAPSHOT_SECONDS
    (centroids and sizes drift slowly); what must be exact is checked afresh on every page (status, dismissals,
    versions)."""

    generation: tuple[Any, ...]
    read_at: float
    ids: np.ndarray  # in id order: oldest first
    matrix: np.ndarray  # centred over all of them (the similarity of a pair is the same whoever asks)
    sizes: np.ndarray
    squads: list[int | None]
    threshold: float
    pairs: list[Pair] | None = None  # every pair above the threshold (each among the other's nearest), once asked

    def all_pairs(self) -> list[Pair]:
        if self.pairs is None:
            self.pairs = similar_pairs(self.matrix, self.sizes, threshold=self.threshold, mutual=MUTUAL_RANK)
        return self.pairs


@dataclass(frozen=True)
class _Held:
    squad_id: int | None  # what the policy reads of an irritant to decide RESHAPE


_snapshots: dict[str, _Snapshot] = {}


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


def _snapshot(session: Session, encoder: str) -> _Snapshot:
    """The open irritants of ``encoder``: the process's copy unless an irritant was created since, or it is older
    than SNAPSHOT_SECONDS."""
    generation = tuple(
        session.execute(
            select(func.count(Cluster.id), func.max(Cluster.id), func.max(Cluster.created_at)).where(
                Cluster.encoder == encoder
            )
        ).one()
    )
    key = f"{session.get_bind().url}|{encoder}"
    cached = _snapshots.get(key)
    now = time.monotonic()
    if cached is not None and cached.generation == generation and now - cached.read_at < SNAPSHOT_SECONDS:
        return cached
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
    snapshot = _Snapshot(
        generation,
        now,
        np.array([row.id for row in rows], dtype=np.int64),
        matrix.astype(np.float32),
        sizes,
        [row.squad_id for row in rows],
        suggest_threshold(encoder),
    )
    _snapshots[key] = snapshot
    return snapshot


def _allowed(agent: Agent, snapshot: _Snapshot) -> np.ndarray:
    """Which rows the agent may merge (the policy's RESHAPE, asked once per squad)."""
    by_squad = {squad: bool(decide(agent, Action.RESHAPE, _Held(squad))) for squad in set(snapshot.squads)}
    return np.array([by_squad[squad] for squad in snapshot.squads], dtype=bool)


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


def _suggestions(
    session: Session, agent: Agent, snapshot: _Snapshot, pairs: list[Pair], limit: int
) -> list[Suggestion]:
    """The first ``limit`` pairs not dismissed, as irritants read now (still open, still the agent's); each oriented
    so that the merged one may become a duplicate (a regressed irritant cannot: it is the one kept)."""
    as_ids = [(int(snapshot.ids[p.keep]), int(snapshot.ids[p.merge])) for p in pairs[: limit * 20]]
    dismissed = _dismissed(session, [(min(a, b), max(a, b)) for a, b in as_ids])
    chosen = [(pair, ids) for pair, ids in zip(pairs, as_ids, strict=False) if (min(ids), max(ids)) not in dismissed][
        : limit * 2
    ]  # a few spare: a pair neither side of which may become a duplicate is left out below
    wanted = {i for _, ids in chosen for i in ids}
    clusters = {c.id: c for c in session.scalars(select(Cluster).where(Cluster.id.in_(wanted)))} if wanted else {}
    out: list[Suggestion] = []
    for pair, (keep_id, merge_id) in chosen:
        keep, merge = clusters.get(keep_id), clusters.get(merge_id)
        if keep is None or merge is None or CLOSED_STATUSES & {keep.status, merge.status}:
            continue  # merged or closed since the snapshot was read
        if not decide(agent, Action.RESHAPE, [keep, merge]):
            continue  # handed to another squad since
        if not _mergeable(merge):
            keep, merge = merge, keep
            if not _mergeable(merge):
                continue
        out.append(Suggestion(keep, merge, pair.similarity, closeness(pair.similarity, snapshot.threshold)))
    return out[:limit]


def backlog_suggestions(session: Session, agent: Agent, *, limit: int = BACKLOG_LIMIT) -> list[Suggestion]:
    """The best pairs of open irritants the agent may merge, above the threshold, dismissed pairs left out."""
    encoder = _main_encoder(session)
    if encoder is None or not decide(agent, Action.RESHAPE):
        return []
    snapshot = _snapshot(session, encoder)
    allowed = _allowed(agent, snapshot)
    pairs = [p for p in snapshot.all_pairs() if allowed[p.keep] and allowed[p.merge]]
    return _suggestions(session, agent, snapshot, pairs, limit)


def suggestions_for(session: Session, agent: Agent, cluster: Cluster, *, limit: int = PAGE_LIMIT) -> list[Suggestion]:
    """The open irritants nearest to ``cluster`` above the threshold that the agent may merge with it."""
    if cluster.status in CLOSED_STATUSES or not cluster.centroid or not cluster.encoder:
        return []
    if not decide(agent, Action.RESHAPE, cluster):
        return []
    snapshot = _snapshot(session, cluster.encoder)
    where = np.nonzero(snapshot.ids == cluster.id)[0]
    if not where.size:
        return []
    row, allowed = int(where[0]), _allowed(agent, snapshot)
    pairs = [p for p in snapshot.all_pairs() if row in (p.keep, p.merge) and allowed[p.keep] and allowed[p.merge]]
    return _suggestions(session, agent, snapshot, pairs, limit)


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
