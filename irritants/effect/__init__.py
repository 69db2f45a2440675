"""Did the reports really drop after a fix? Pure statistics over dated report counts (standard library and scipy:
no Flask, no SQL, no I/O), unit-tested on constructed series in ``tests/unit/test_fix_effect.py``.

- ``series``: the weekly inflow before and after a fix day, weeks aligned on that day, each with its exposure (the
  days actually observed, so that a week cut short by the irritant's first report or by today is not read as full);
- ``rates``: the after/before rate ratio of two Poisson counts with its exact 95 % interval (conditional binomial,
  Clopper–Pearson) and the plain-French verdict read from the interval;
- ``regression``: the rule that says a fixed irritant came back.

docs/fix-effect.md explains the choices with a worked example.
"""

from irritants.effect.rates import (
    VERDICT_LABELS,
    Effect,
    RateRatio,
    Verdict,
    effect_of,
    rate_ratio,
    verdict_of,
)
from irritants.effect.regression import REGRESSION_WEEKS, regressed, regression_weeks
from irritants.effect.series import MIN_WEEKS, FixSeries, Side, Week, fix_series

__all__ = [
    "MIN_WEEKS",
    "REGRESSION_WEEKS",
    "VERDICT_LABELS",
    "Effect",
    "FixSeries",
    "RateRatio",
    "Side",
    "Verdict",
    "Week",
    "effect_of",
    "fix_series",
    "rate_ratio",
    "regressed",
    "regression_weeks",
    "verdict_of",
]
