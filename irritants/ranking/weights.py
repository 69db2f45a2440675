"""Explicit ranking weights: how many points each term of the score is worth, checked when they are built."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from numbers import Real
from typing import Any

SEVERITIES: tuple[str, ...] = ("gene", "perte_de_temps", "blocage", "rupture_de_droits")
#: Upper bound of every weight and factor: it keeps each contribution far below 2**30 points for any real count,
#: which the exact-sum guarantee of the score (score.py) needs.
MAX_WEIGHT = 1_000_000.0


def _weight(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= float(value) <= MAX_WEIGHT:
        raise ValueError(f"La pondération «\u00a0{name}\u00a0» doit valoir entre 0 et 1 000 000 (reçu : {value!r}).")
    return float(value)


@dataclass(frozen=True)
class SeverityFactors:
    """Worth of one report of each severity, counted in « gêne » reports."""

    gene: float = 1.0
    """Gêne: the unit."""
    perte_de_temps: float = 2.0
    """Perte de temps: worth two gênes."""
    blocage: float = 4.0
    """Blocage: the procedure cannot be completed; worth four gênes."""
    rupture_de_droits: float = 8.0
    """Rupture de droits: an allowance, an income or a permit is lost; worth eight gênes."""

    def __post_init__(self) -> None:
        values = [_weight(f"severity_factors.{name}", getattr(self, name)) for name in SEVERITIES]
        for name, value in zip(SEVERITIES, values, strict=True):
            object.__setattr__(self, name, value)
        # A graver severity weighing less than a milder one is a configuration slip, not a policy.
        if any(graver < milder for milder, graver in itertools.pairwise(values)):
            raise ValueError("Les facteurs de gravité ne peuvent pas décroître de « gêne » à « rupture de droits ».")

    def as_dict(self) -> dict[str, float]:
        """Plain mapping, severity code → factor."""
        return {name: getattr(self, name) for name in SEVERITIES}


@dataclass(frozen=True)
class Weights:
    """Explicit weights: each term is its weight times a saturating transform of its input (see docs/ranking.md)."""

    people: float = 10.0
    """Points per unit of ln(1 + distinct people): 1 person ≈ 6.9, 10 ≈ 24, 100 ≈ 46, 1 000 ≈ 69."""
    severity: float = 5.0
    """Points per unit of ln(1 + severity-weighted report count)."""
    severity_factors: SeverityFactors = SeverityFactors()
    """Worth of one report of each severity in gênes; must not decrease with severity."""
    recency: float = 5.0
    """Points per unit of ln(1 + decayed count of reports and supports)."""
    half_life_days: float = 30.0
    """Age, in days, at which a report or support counts half in the recency term; must be positive."""
    growth: float = 4.0
    """Points per doubling of the last 30 days' inflow over the 30 days before (never negative, capped)."""
    breadth: float = 3.0
    """Points per unit of ln(départements) + ln(administrations)."""
    equity: float = 2.0
    """Extra people each report made with assistance stands for; priced like the people term."""

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name != "severity_factors":
                object.__setattr__(self, f.name, _weight(f.name, getattr(self, f.name)))
        if not isinstance(self.severity_factors, SeverityFactors):
            raise ValueError("«\u00a0severity_factors\u00a0» doit être un SeverityFactors.")
        if self.half_life_days <= 0:
            raise ValueError("La demi-vie «\u00a0half_life_days\u00a0» doit être strictement positive.")

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Weights:
        """Weights from configuration (e.g. IRRITANTS_RANKING_WEIGHTS); missing keys keep their default."""
        if not isinstance(raw, Mapping):
            raise ValueError("Les pondérations doivent être un objet JSON (clé → nombre).")
        values = dict(raw)
        refuse_unknown(values, [f.name for f in fields(cls)])
        if "severity_factors" in values:
            factors = values["severity_factors"]
            if not isinstance(factors, Mapping):
                raise ValueError("«\u00a0severity_factors\u00a0» doit être un objet JSON (gravité → facteur).")
            refuse_unknown(factors, SEVERITIES)
            values["severity_factors"] = SeverityFactors(**factors)
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> Weights:
        """Weights from a JSON object (IRRITANTS_RANKING_WEIGHTS); empty text gives the defaults."""
        if not text.strip():
            return cls()
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"JSON illisible ({exc.msg}, caractère {exc.pos + 1}).") from None
        return cls.from_mapping(raw)

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping accepted back by from_mapping."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["severity_factors"] = self.severity_factors.as_dict()
        return out


def refuse_unknown(values: Mapping[Any, Any], known: Sequence[str]) -> None:
    """Refuse keys of ``values`` outside ``known``, naming them in French."""
    unknown = sorted(str(key) for key in values if key not in known)
    if unknown:
        raise ValueError(f"Pondération inconnue : {', '.join(unknown)} (attendues : {', '.join(known)}).")


DEFAULT_WEIGHTS = Weights()
