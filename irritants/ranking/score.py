"""Explainable cluster score: plain inputs, explicit weights, and each term's contribution in points."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from typing import TYPE_CHECKING, Any, TypeVar

from irritants.ranking.weights import DEFAULT_WEIGHTS, SEVERITIES, Weights, refuse_unknown

if TYPE_CHECKING:
    import numpy as np

TERM_LABELS: dict[str, str] = {
    "people": "Personnes concernées",
    "severity": "Gravité",
    "recency": "Récence",
    "growth": "Dynamique",
    "breadth": "Étendue",
    "equity": "Équité (accompagnement)",
}
#: Added to both 30-day windows so that one report against none is not read as a surge.
GROWTH_PSEUDOCOUNT = 5.0
#: At most three doublings (×8): a burst must not outweigh a long-standing, widespread irritant.
GROWTH_CAP = 3.0
# Contributions are multiples of 2**-20 point. Sums of such numbers are exact in binary floating point, so the total
# equals the sum of the terms in any order (an API client's too) and each term's monotonicity survives rounding.
_GRID = 2.0**20
_NBSP = "\u00a0"
_NNBSP = "\u202f"
_SEVERITY_WORDS = {
    "gene": ("gêne", "gênes"),
    "perte_de_temps": ("perte de temps", "pertes de temps"),
    "blocage": ("blocage", "blocages"),
    "rupture_de_droits": ("rupture de droits", "ruptures de droits"),
}
_ITEMS = ("signalement ou «\u00a0moi aussi\u00a0»", "signalements et «\u00a0moi aussi\u00a0»")

K = TypeVar("K")


def _count_input(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(f"«\u00a0{name}\u00a0» doit être un entier positif ou nul (reçu : {value!r}).")
    return int(value)


@dataclass(frozen=True)
class ClusterSignals:
    """Plain inputs for one cluster, aggregated and de-duplicated by the caller.

    Positive inputs (the score never decreases when one grows): people, each severity count, assisted, the number
    of ages and their youth, last_30_days, territories, administrations. Negative: previous_30_days. Neutral:
    reports (it only gives the assisted share shown to readers).
    """

    people: int = 0
    """Distinct people reached: reporters plus « moi aussi » supporters, each counted once per cluster."""
    reports: int = 0
    """Reports in the cluster."""
    assisted: int = 0
    """Reports made with assistance (a France Services advisor, a social worker…); at most ``reports``."""
    severity_counts: Mapping[str, int] = field(default_factory=dict, hash=False)
    """Reports per declared severity, keyed by the codes in SEVERITIES; a missing code counts 0."""
    report_ages_days: Sequence[float] | np.ndarray = ()
    """Age in days, at scoring time, of each report and support (any 1-D array-like; stored as a tuple)."""
    last_30_days: int = 0
    """Reports and supports received in the last 30 days."""
    previous_30_days: int = 0
    """Reports and supports received in the 30 days before those."""
    territories: int = 0
    """Distinct départements among the reports."""
    administrations: int = 0
    """Distinct administrations concerned."""

    def __post_init__(self) -> None:
        whole = ("people", "reports", "assisted", "last_30_days", "previous_30_days", "territories", "administrations")
        for name in whole:
            object.__setattr__(self, name, _count_input(name, getattr(self, name)))
        if self.assisted > self.reports:
            raise ValueError("«\u00a0assisted\u00a0» ne peut pas dépasser «\u00a0reports\u00a0».")
        if not isinstance(self.severity_counts, Mapping):
            raise ValueError("«\u00a0severity_counts\u00a0» doit associer une gravité à un nombre de signalements.")
        refuse_unknown(self.severity_counts, SEVERITIES)
        counts = {s: _count_input(s, self.severity_counts.get(s, 0)) for s in SEVERITIES}
        object.__setattr__(self, "severity_counts", counts)
        import numpy as np  # here, not at import: settings (and so ``irritants --help``) read Weights without numpy

        ages = np.asarray(self.report_ages_days, dtype=np.float64)
        if ages.ndim != 1 or not np.isfinite(ages).all():
            raise ValueError("«\u00a0report_ages_days\u00a0» doit être une suite de nombres finis.")
        object.__setattr__(self, "report_ages_days", tuple(ages.tolist()))


@dataclass(frozen=True)
class Term:
    """One term of a score: what it measured, in French for the UI, and the points it added."""

    name: str
    """Stable code: people, severity, recency, growth, breadth or equity."""
    label: str
    """Short French label for the UI."""
    value: str
    """The input summarised in French, e.g. « 42 personnes »."""
    contribution: float
    """Points this term adds to the total; never negative."""
    explanation: str
    """One French sentence giving the numbers and the points."""
    inputs: dict[str, float] = field(default_factory=dict, hash=False)
    """The raw numbers the term was computed from, for API clients."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "contribution": self.contribution,
            "explanation": self.explanation,
            "inputs": dict(self.inputs),
        }


@dataclass(frozen=True)
class ScoreBreakdown:
    """A cluster's score and the terms it is exactly the sum of."""

    total: float
    terms: dict[str, Term] = field(hash=False)

    def __post_init__(self) -> None:
        if self.total != sum(term.contribution for term in self.terms.values()):
            raise ValueError("Le total doit être la somme exacte des contributions.")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping; terms are a list so their display order survives key-sorting JSON encoders."""
        return {"total": self.total, "terms": [term.as_dict() for term in self.terms.values()]}


def decayed_mass(ages_days: Sequence[float] | np.ndarray, half_life_days: float) -> float:
    """Sum of 2^(−age / half-life): a fresh item counts 1, an item one half-life old counts ½."""
    if not (math.isfinite(half_life_days) and half_life_days > 0):
        raise ValueError("La demi-vie doit être un nombre strictement positif.")
    import numpy as np  # see ClusterSignals.__post_init__

    ages = np.asarray(ages_days, dtype=np.float64)
    if ages.size == 0:
        return 0.0
    # A timestamp slightly after "now" (clock skew between hosts) is fresh, not fresher than fresh.
    decay = np.exp2(-np.maximum(ages, 0.0) / half_life_days)
    # fsum is exact, hence independent of the order the rows came from the database in.
    return math.fsum(decay.tolist())


def score_cluster(signals: ClusterSignals, weights: Weights = DEFAULT_WEIGHTS) -> ScoreBreakdown:
    """Score one cluster; the total is exactly the sum of the six explained contributions."""
    people_points = _points_of(weights.people * math.log1p(signals.people))
    terms = (
        _people(signals, weights, people_points),
        _severity(signals, weights),
        _recency(signals, weights),
        _growth(signals, weights),
        _breadth(signals, weights),
        _equity(signals, weights, people_points),
    )
    return ScoreBreakdown(total=sum(term.contribution for term in terms), terms={term.name: term for term in terms})


def rank(clusters: Mapping[K, ClusterSignals], weights: Weights = DEFAULT_WEIGHTS) -> list[tuple[K, ScoreBreakdown]]:
    """Clusters by total, highest first; equal totals keep a reproducible order by key (keys must be comparable)."""
    scored = [(key, score_cluster(signals, weights)) for key, signals in clusters.items()]
    scored.sort(key=lambda item: (-item[1].total, item[0]))
    return scored


# --- terms ---------------------------------------------------------------------------------------------------------


def _points_of(raw: float) -> float:
    return round(raw * _GRID) / _GRID


def _term(name: str, value: str, contribution: float, facts: str, inputs: dict[str, float], weight: float) -> Term:
    tail = "critère désactivé (pondération nulle)" if weight == 0 else _signed_points(contribution)
    return Term(name, TERM_LABELS[name], value, contribution, f"{facts}{_NBSP}: {tail}", inputs)


def _people(s: ClusterSignals, w: Weights, points: float) -> Term:
    facts = f"{_count(s.people, 'personne distincte', 'personnes distinctes')} ({_ITEMS[1]})"
    value = _count(s.people, "personne", "personnes")
    return _term("people", value, points, facts, {"people": s.people}, w.people)


def _severity(s: ClusterSignals, w: Weights) -> Term:
    factors = w.severity_factors.as_dict()
    weighted = math.fsum(s.severity_counts[sev] * factors[sev] for sev in SEVERITIES)
    points = _points_of(w.severity * math.log1p(weighted))
    parts = [
        f"{_count(s.severity_counts[sev], *_SEVERITY_WORDS[sev])} (×{_number(factors[sev])})"
        for sev in reversed(SEVERITIES)
        if s.severity_counts[sev]
    ]
    value = f"{_number(weighted)} en équivalent gêne"
    facts = f"{_join(parts)}, soit {value}" if parts else "Aucune gravité renseignée"
    return _term("severity", value, points, facts, {**s.severity_counts, "weighted": weighted}, w.severity)


def _recency(s: ClusterSignals, w: Weights) -> Term:
    mass = decayed_mass(s.report_ages_days, w.half_life_days)
    points = _points_of(w.recency * math.log1p(mass))
    count = len(s.report_ages_days)
    half_life = _count(w.half_life_days, "jour", "jours")
    facts = (
        f"{_count(count, *_ITEMS)}, soit {_number(mass, 1)} après amortissement par l'ancienneté (demi-vie {half_life})"
        if count
        else f"Aucun signalement ni «{_NBSP}moi aussi{_NBSP}» daté"
    )
    inputs = {"items": count, "decayed_mass": mass, "half_life_days": w.half_life_days}
    return _term("recency", f"{_number(mass, 1)} sur {_number(count)}", points, facts, inputs, w.recency)


def _growth(s: ClusterSignals, w: Weights) -> Term:
    ratio = (s.last_30_days + GROWTH_PSEUDOCOUNT) / (s.previous_30_days + GROWTH_PSEUDOCOUNT)
    doublings = min(max(math.log2(ratio), 0.0), GROWTH_CAP)
    points = _points_of(w.growth * doublings)
    facts = (
        f"{_count(s.last_30_days, *_ITEMS)} sur les 30 derniers jours contre {_number(s.previous_30_days)} "
        "les 30 jours précédents"
    )
    if doublings == 0:
        facts += ", sans hausse"
    elif doublings == GROWTH_CAP:
        facts += ", hausse plafonnée"
    inputs = {"last_30_days": s.last_30_days, "previous_30_days": s.previous_30_days, "doublings": doublings}
    value = f"{_number(s.last_30_days)} contre {_number(s.previous_30_days)}"
    return _term("growth", value, points, facts, inputs, w.growth)


def _breadth(s: ClusterSignals, w: Weights) -> Term:
    # One département or one administration is the baseline: breadth rewards spreading beyond it.
    spread = math.log(max(s.territories, 1)) + math.log(max(s.administrations, 1))
    points = _points_of(w.breadth * spread)
    value = f"{_count(s.territories, 'département', 'départements')}, "
    value += _count(s.administrations, "administration", "administrations")
    facts = value.replace(", ", " et ") + (" concernés" if s.territories + s.administrations > 1 else " concerné")
    inputs = {"territories": s.territories, "administrations": s.administrations}
    return _term("breadth", value, points, facts, inputs, w.breadth)


def _equity(s: ClusterSignals, w: Weights, people_points: float) -> Term:
    # Each assisted report stands for (1 + equity) people, priced by the people term; the contribution is the gap.
    # The two terms then add up to people × ln(1 + people + equity × assisted): a new report, assisted or not, never
    # lowers the score, and a lone assisted report weighs what 1 + equity people do, not a 100 % share.
    # Capped at the people reached: repeated reports of one person must not stand for extra people.
    boosted = _points_of(w.people * math.log1p(s.people + w.equity * min(s.assisted, s.people)))
    points = boosted - people_points
    share = s.assisted / s.reports if s.reports else 0.0
    percent = f"{_number(100 * share)}{_NBSP}%"
    if s.assisted:
        per_report = _count(1 + w.equity, "personne", "personnes")
        done, counted = ("fait", "compté") if s.assisted < 2 else ("faits", "comptés chacun")
        facts = (
            f"{_count(s.assisted, 'signalement', 'signalements')} sur {_number(s.reports)} ({percent}) {done} "
            f"avec accompagnement, {counted} pour {per_report}"
        )
        if w.people == 0 and w.equity != 0:
            facts += f", sans effet tant que «{_NBSP}{TERM_LABELS['people']}{_NBSP}» est désactivé"
    else:
        facts = "Aucun signalement fait avec accompagnement"
    inputs = {"assisted": s.assisted, "reports": s.reports, "share": share}
    value = f"{_number(s.assisted)} sur {_number(s.reports)} ({percent})"
    return _term("equity", value, points, facts, inputs, w.equity)


# --- French formatting --------------------------------------------------------------------------------------------


def _number(value: float, decimals: int | None = None) -> str:
    """French rendering: decimal comma, narrow no-break space between thousands; whole numbers without decimals."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    return f"{value:,.{decimals}f}".replace(",", _NNBSP).replace(".", ",")


def _count(n: float, singular: str, plural: str, decimals: int | None = None) -> str:
    # French keeps the singular below two: « 0 personne », « 1,5 point ».
    return f"{_number(n, decimals)}{_NBSP}{singular if abs(n) < 2 else plural}"


def _signed_points(points: float) -> str:
    shown = round(points, 1)
    return "+" + _count(shown, "point", "points", 1)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]
