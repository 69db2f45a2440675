"""« Est-ce résolu pour vous ? »: the answers of reporters and supporters once an irritant is fixed, and the
perceived resolution rate they give, per irritant and per squad.

Merges: an answer is stored with the irritant it was about; the rates of an irritant count the answers about it
and about every irritant merged into it (or marked its duplicate), followed along « doublon de » links at reading
time, so a merge or its undoing moves the answers with it.

The rate: ``(oui + ½ en partie) / answers``: « en partie » is half a resolution. The three counts are always given
beside it, so nobody has to trust the half. Under ``unresolved_min_answers`` answers no rate is given
(« pas encore assez de réponses »). An irritant is flagged « non résolu pour les usagers » when the share of « non »
reaches ``unresolved_share`` with at least ``unresolved_min_answers`` answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from irritants.clusters.models import Cluster, Support
from irritants.clusters.services import root_of
from irritants.db import utcnow
from irritants.errors import NotFoundError
from irritants.feedback.exceptions import NotFixedYet
from irritants.feedback.models import Answer, ResolutionAnswer
from irritants.intake.models import Report
from irritants.settings import FeedbackSettings
from irritants.status import StatusKind

#: The irritant's statuses in which its reporters and supporters are asked (and may answer).
ASKED_STATUSES = frozenset({StatusKind.FIXED, StatusKind.REGRESSED})


@dataclass(frozen=True)
class PerceivedResolution:
    """What the answers about one irritant (or a squad's irritants) say."""

    yes: int = 0
    no: int = 0
    partly: int = 0
    min_answers: int = 5
    unresolved_share: float = 0.3

    @property
    def answers(self) -> int:
        return self.yes + self.no + self.partly

    @property
    def enough(self) -> bool:
        """Whether there are enough answers to give a rate."""
        return self.answers >= self.min_answers

    @property
    def rate(self) -> float | None:
        """(oui + ½ en partie) / answers, None under the minimum of answers."""
        return (self.yes + self.partly / 2) / self.answers if self.enough else None

    @property
    def flagged(self) -> bool:
        """« Non résolu pour les usagers »: enough answers, and the share of « non » reaches the threshold."""
        return self.enough and self.no / self.answers >= self.unresolved_share

    def share(self, answer: Answer) -> float:
        """Share of one answer among all (0 without answers)."""
        count = {Answer.YES: self.yes, Answer.NO: self.no, Answer.PARTLY: self.partly}[answer]
        return count / self.answers if self.answers else 0.0

    def as_dict(self) -> dict[str, object]:
        """The API's ``perceived_resolution``."""
        return {
            "answers": self.answers,
            "yes": self.yes,
            "no": self.no,
            "partly": self.partly,
            "rate": None if self.rate is None else round(self.rate, 4),
            "flagged": self.flagged,
        }


def _empty(settings: FeedbackSettings) -> PerceivedResolution:
    return PerceivedResolution(min_answers=settings.unresolved_min_answers, unresolved_share=settings.unresolved_share)


def asked_about(session: Session, cluster_id: int | None) -> Cluster | None:
    """The irritant (after merges) a report or support of ``cluster_id`` is asked about, if it is fixed or regressed."""
    cluster = session.get(Cluster, cluster_id) if cluster_id is not None else None
    if cluster is None:
        return None
    root = root_of(session, cluster)
    return root if root.status in ASKED_STATUSES else None


def support_by_id(session: Session, support_id: int | None) -> Support:
    """The « moi aussi » a signed survey link names, or NotFoundError (a support may have been deleted since)."""
    support = session.get(Support, support_id) if support_id is not None else None
    if support is None:
        raise NotFoundError("Ce lien ne correspond à aucune réponse attendue.")
    return support


def answer_of(session: Session, *, report_id: int | None = None, support_id: int | None = None) -> Answer | None:
    """The answer a report's author or a supporter gave, if any."""
    column = ResolutionAnswer.report_id if report_id is not None else ResolutionAnswer.support_id
    return session.scalar(select(ResolutionAnswer.answer).where(column == (report_id or support_id)))


def answer(
    session: Session,
    value: Answer,
    *,
    report: Report | None = None,
    support: Support | None = None,
    now: dt.datetime | None = None,
) -> ResolutionAnswer:
    """Record (or change) the one answer of a report or of a « moi aussi »; NotFixedYet before the fix."""
    if (report is None) == (support is None):
        raise ValueError("a report or a support, exactly one")
    owner = report if report is not None else support
    cluster = asked_about(session, owner.cluster_id if owner is not None else None)
    if cluster is None:
        raise NotFixedYet(
            "La question « Est-ce résolu pour vous ? » sera posée quand l'irritant aura été corrigé : "
            "il ne l'est pas encore."
        )
    now = now or utcnow()
    column = ResolutionAnswer.report_id if report is not None else ResolutionAnswer.support_id
    row = session.scalar(select(ResolutionAnswer).where(column == owner.id))  # type: ignore[union-attr]
    if row is None:
        row = ResolutionAnswer(
            cluster_id=cluster.id,
            report_id=report.id if report is not None else None,
            support_id=support.id if support is not None else None,
            answer=value,
            answered_at=now,
        )
        session.add(row)
    else:
        if row.answer != value:
            row.answer, row.changed_at = value, now
        row.cluster_id = cluster.id
    session.flush()
    return row


def _duplicate_links(session: Session) -> dict[int, int]:
    """Each duplicate irritant → the one it is a duplicate of."""
    rows = session.execute(
        select(Cluster.id, Cluster.duplicate_of_id).where(
            Cluster.status == StatusKind.DUPLICATE, Cluster.duplicate_of_id.is_not(None)
        )
    )
    return {cid: parent for cid, parent in rows if parent is not None}


def _root(links: dict[int, int], cluster_id: int) -> int:
    seen = {cluster_id}
    while cluster_id in links and links[cluster_id] not in seen:
        cluster_id = links[cluster_id]
        seen.add(cluster_id)
    return cluster_id


def _counts_by_root(session: Session) -> dict[int, dict[Answer, int]]:
    """Answers counted per irritant after merges: {root irritant: {answer: count}}."""
    links = _duplicate_links(session)
    counts: dict[int, dict[Answer, int]] = {}
    rows = session.execute(
        select(ResolutionAnswer.cluster_id, ResolutionAnswer.answer, func.count()).group_by(
            ResolutionAnswer.cluster_id, ResolutionAnswer.answer
        )
    )
    for cluster_id, value, count in rows:
        bucket = counts.setdefault(_root(links, cluster_id), {})
        bucket[value] = bucket.get(value, 0) + count
    return counts


def _resolution(settings: FeedbackSettings, counts: Iterable[dict[Answer, int]]) -> PerceivedResolution:
    totals = {a: 0 for a in Answer}
    for bucket in counts:
        for value, count in bucket.items():
            totals[value] += count
    return PerceivedResolution(
        yes=totals[Answer.YES],
        no=totals[Answer.NO],
        partly=totals[Answer.PARTLY],
        min_answers=settings.unresolved_min_answers,
        unresolved_share=settings.unresolved_share,
    )


def perceived_rates(
    session: Session, settings: FeedbackSettings, cluster_ids: Iterable[int]
) -> dict[int, PerceivedResolution]:
    """The perceived resolution of each irritant (its answers and those of the irritants merged into it)."""
    wanted = set(cluster_ids)
    if not wanted:
        return {}
    counts = _counts_by_root(session)
    return {cid: _resolution(settings, [counts[cid]]) if cid in counts else _empty(settings) for cid in wanted}


def perceived_rate(session: Session, settings: FeedbackSettings, cluster_id: int) -> PerceivedResolution:
    """The perceived resolution of one irritant."""
    return perceived_rates(session, settings, [cluster_id])[cluster_id]


def squad_rate(session: Session, settings: FeedbackSettings, squad_id: int) -> PerceivedResolution:
    """The perceived resolution of every irritant a squad owns, answers added up (each answer counted once)."""
    owned = set(
        session.scalars(select(Cluster.id).where(Cluster.squad_id == squad_id, Cluster.status != StatusKind.DUPLICATE))
    )
    counts = _counts_by_root(session)
    return _resolution(settings, [bucket for cid, bucket in counts.items() if cid in owned])


def unresolved_cluster_ids(session: Session, settings: FeedbackSettings) -> set[int]:
    """The irritants flagged « non résolu pour les usagers » (see the module's docstring)."""
    counts = _counts_by_root(session)
    return {cid for cid, bucket in counts.items() if _resolution(settings, [bucket]).flagged}


def unresolved_flag(session: Session, settings: FeedbackSettings, cluster_id: int) -> bool:
    """Whether one irritant is flagged « non résolu pour les usagers »."""
    return perceived_rate(session, settings, cluster_id).flagged
