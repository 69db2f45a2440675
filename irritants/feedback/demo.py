"""Demo answers to « Est-ce résolu pour vous ? » (``irritants setup`` in development, after the demo squads declared
their fixes): some reporters of each fixed demo irritant answer, so that its page, its squad's pages and the backlog
show a perceived rate. Deterministic (seeded), and only for fixed irritants nobody has answered about yet."""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.clusters.models import Cluster
from irritants.feedback import services as feedback
from irritants.feedback.models import Answer, ResolutionAnswer
from irritants.intake.models import Report

# Answers of the first fixed irritant, then of the next: a fix that worked for most, then one that did not, so that
# the backlog shows its « Non résolu pour les usagers » badge.
MIXES: tuple[dict[Answer, float], ...] = (
    {Answer.YES: 0.7, Answer.PARTLY: 0.2, Answer.NO: 0.1},
    {Answer.YES: 0.3, Answer.PARTLY: 0.2, Answer.NO: 0.5},
)
SHARE_ANSWERING = 0.6  # reporters who answer
MAX_ANSWERS = 40


def create_demo_answers(session: Session, *, seed: int = 42) -> int:
    """Answers from some reporters of each fixed irritant that has none yet; returns how many were recorded."""
    rng = random.Random(seed)
    fixed = session.scalars(
        select(Cluster).where(Cluster.status.in_(feedback.ASKED_STATUSES)).order_by(Cluster.fixed_on, Cluster.id)
    ).all()
    answered = set(session.scalars(select(ResolutionAnswer.cluster_id).distinct()))
    made = 0
    for position, cluster in enumerate(c for c in fixed if c.id not in answered):
        mix = MIXES[position % len(MIXES)]
        reports = session.scalars(select(Report).where(Report.cluster_id == cluster.id).order_by(Report.id)).all()
        chosen = [r for r in reports if rng.random() < SHARE_ANSWERING][:MAX_ANSWERS]
        for report in chosen:
            value = rng.choices(list(mix), weights=list(mix.values()))[0]
            feedback.answer(session, value, report=report)
            made += 1
    return made
