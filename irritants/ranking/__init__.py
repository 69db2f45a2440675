"""Explainable cluster ranking: a score per cluster from plain inputs and explicit weights (pure, no I/O)."""

from irritants.ranking.score import (
    GROWTH_CAP,
    GROWTH_PSEUDOCOUNT,
    TERM_LABELS,
    ClusterSignals,
    ScoreBreakdown,
    Term,
    decayed_mass,
    rank,
    score_cluster,
)
from irritants.ranking.weights import DEFAULT_WEIGHTS, MAX_WEIGHT, SEVERITIES, SeverityFactors, Weights

__all__ = [
    "DEFAULT_WEIGHTS",
    "GROWTH_CAP",
    "GROWTH_PSEUDOCOUNT",
    "MAX_WEIGHT",
    "SEVERITIES",
    "TERM_LABELS",
    "ClusterSignals",
    "ScoreBreakdown",
    "SeverityFactors",
    "Term",
    "Weights",
    "decayed_mass",
    "rank",
    "score_cluster",
]
