"""Fix effect and regression rule on constructed series with a known answer (intervals checked against scipy)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from scipy.stats import binomtest

from irritants.effect import (
    Side,
    Verdict,
    Week,
    effect_of,
    fix_series,
    rate_ratio,
    regressed,
    regression_weeks,
    verdict_of,
)
from irritants.effect.rates import RateRatio, clopper_pearson

FIX = dt.date(2026, 11, 11)  # a Wednesday


def day(offset: int) -> dt.date:
    """A day relative to the fix day (0: the fix day)."""
    return FIX + dt.timedelta(days=offset)


def per_day(rates: dict[range, int]) -> dict[dt.date, int]:
    """``{range(-56, 0): 2}``: 2 reports on each of those days (relative to the fix)."""
    out: dict[dt.date, int] = {}
    for days, n in rates.items():
        for offset in days:
            out[day(offset)] = out.get(day(offset), 0) + n
    return out


# --- the interval ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (1, 1), (17, 60), (250, 900)])
def test_clopper_pearson_matches_scipy_exact_interval(k: int, n: int) -> None:
    expected = binomtest(k, n).proportion_ci(0.95, method="exact")
    low, high = clopper_pearson(k, n)
    assert low == pytest.approx(expected.low, abs=1e-9)
    assert high == pytest.approx(expected.high, abs=1e-9)


def test_clopper_pearson_gives_exactly_the_quantiles_of_scipy_stats_beta() -> None:
    # betaincinv is what beta.ppf computes, without its checks: the same floats, so the same verdicts as before.
    from scipy.stats import beta

    alpha = 1 - 0.95
    for n in (1, 2, 7, 30, 61, 365, 2_000):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            low = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
            high = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
            assert clopper_pearson(k, n) == (low, high)


def test_rate_ratio_with_equal_exposures_is_the_binomial_interval_mapped_to_odds() -> None:
    ci = binomtest(10, 50).proportion_ci(0.95, method="exact")
    result = rate_ratio(10, 8.0, 40, 8.0)
    assert result.ratio == pytest.approx(0.25)
    assert result.low == pytest.approx(ci.low / (1 - ci.low))
    assert result.high == pytest.approx(ci.high / (1 - ci.high))


def test_rate_ratio_scales_by_exposure() -> None:
    # 7 reports in one week after, 70 in ten weeks before: the same weekly rate.
    result = rate_ratio(7, 1.0, 70, 10.0)
    assert result.ratio == pytest.approx(1.0)
    ci = binomtest(7, 77).proportion_ci(0.95, method="exact")
    assert result.low == pytest.approx(ci.low / (1 - ci.low) * 10)
    assert result.high == pytest.approx(ci.high / (1 - ci.high) * 10)
    assert result.low < 1 < result.high


def test_no_report_after_gives_zero_and_a_finite_upper_bound() -> None:
    result = rate_ratio(0, 8.0, 20, 8.0)
    assert result.ratio == 0
    assert result.low == 0
    # 1 − 0.025^(1/20) is the exact upper bound of p with 0 successes in 20 trials.
    p = 1 - 0.025 ** (1 / 20)
    assert result.high == pytest.approx(p / (1 - p))
    assert verdict_of(result) == Verdict.DROP


def test_no_report_before_gives_an_open_ended_interval() -> None:
    result = rate_ratio(10, 8.0, 0, 8.0)
    assert result.ratio == math.inf
    assert result.high == math.inf
    assert result.low == pytest.approx(0.025 ** (1 / 10) / (1 - 0.025 ** (1 / 10)))
    assert verdict_of(result) == Verdict.RISE
    # 5 reports after and none before: not enough to tell a rise from chance.
    assert verdict_of(rate_ratio(5, 8.0, 0, 8.0)) == Verdict.NO_CHANGE


def test_no_report_at_all_says_nothing_measurable() -> None:
    result = rate_ratio(0, 8.0, 0, 8.0)
    assert result == RateRatio(None, 0.0, math.inf)
    assert verdict_of(result) == Verdict.NO_CHANGE


def test_exposures_must_be_positive() -> None:
    with pytest.raises(ValueError):
        rate_ratio(1, 0.0, 1, 1.0)


@pytest.mark.parametrize(
    ("interval", "verdict"),
    [
        (RateRatio(0.3, 0.1, 0.99), Verdict.DROP),
        (RateRatio(0.5, 0.2, 1.0), Verdict.NO_CHANGE),
        (RateRatio(1.0, 0.5, 2.0), Verdict.NO_CHANGE),
        (RateRatio(3.0, 1.01, 9.0), Verdict.RISE),
        (None, Verdict.TOO_EARLY),
    ],
)
def test_verdict_is_read_from_the_interval(interval: RateRatio | None, verdict: Verdict) -> None:
    assert verdict_of(interval) == verdict


# --- the weeks -------------------------------------------------------------------------------------------------


def test_weeks_are_aligned_on_a_mid_week_fix_and_the_fix_day_counts_after() -> None:
    counts = {day(-8): 1, day(-7): 2, day(-1): 3, day(0): 4, day(6): 5, day(7): 6}
    series = fix_series(counts, fixed_on=FIX, first_day=day(-100), today=day(100), weeks=2)
    assert [(w.start, w.days, w.count, w.side) for w in series.weeks] == [
        (day(-14), 7, 1, Side.BEFORE),
        (day(-7), 7, 5, Side.BEFORE),
        (day(0), 7, 9, Side.AFTER),
        (day(7), 7, 6, Side.AFTER),
    ]
    assert all(w.start.weekday() == FIX.weekday() for w in series.weeks)


def test_partial_weeks_carry_their_exposure() -> None:
    # First report on a Saturday, 10 days before the fix; today is 9 days after it.
    counts = per_day({range(-10, 9): 1})
    series = fix_series(counts, fixed_on=FIX, first_day=day(-10), today=day(9), weeks=8)
    assert [(w.days, w.count) for w in series.before] == [(3, 3), (7, 7)]
    assert [(w.days, w.count) for w in series.after] == [(7, 7), (2, 2)]
    assert series.totals(series.before) == (10, pytest.approx(10 / 7))
    # Same rate on both sides: a ratio of exactly 1, once exposure is counted.
    result = rate_ratio(*series.totals(series.after), *series.totals(series.before))
    assert result.ratio == pytest.approx(1.0)


def test_today_is_not_counted_since_it_is_not_over() -> None:
    series = fix_series({day(3): 5}, fixed_on=FIX, first_day=day(-30), today=day(3), weeks=2)
    assert [(w.days, w.count) for w in series.after] == [(3, 0)]


def test_short_history_gives_fewer_weeks_and_too_early() -> None:
    counts = per_day({range(-9, 0): 3, range(0, 10): 0})
    series = fix_series(counts, fixed_on=FIX, first_day=day(-9), today=day(10), weeks=8)
    assert len(series.before) == 2 and len(series.after) == 2
    effect = effect_of(series)
    assert effect.verdict == Verdict.TOO_EARLY
    assert effect.label == "pas assez de recul"
    assert effect.ratio is not None and effect.ratio.ratio == 0  # computed, but not read as a verdict


def test_a_fix_declared_today_has_no_after_side() -> None:
    series = fix_series({day(-3): 2}, fixed_on=FIX, first_day=day(-20), today=FIX, weeks=8)
    assert series.after == ()
    assert effect_of(series).ratio is None
    assert effect_of(series).verdict == Verdict.TOO_EARLY


def test_a_clear_drop_a_steady_series_and_a_rise() -> None:
    before = {range(-56, 0): 2}
    drop = per_day({**before, range(0, 56): 0} | {range(0, 56, 7): 1})
    steady = per_day({range(-56, 56): 2})
    rise = per_day({**before, range(0, 56): 4})
    verdicts = [
        effect_of(fix_series(c, fixed_on=FIX, first_day=day(-200), today=day(60), weeks=8)).verdict
        for c in (drop, steady, rise)
    ]
    assert verdicts == [Verdict.DROP, Verdict.NO_CHANGE, Verdict.RISE]


def test_zero_counts_everywhere_do_not_crash() -> None:
    effect = effect_of(fix_series({}, fixed_on=FIX, first_day=day(-60), today=day(60), weeks=8))
    assert effect.verdict == Verdict.NO_CHANGE
    assert effect.ratio == RateRatio(None, 0.0, math.inf)


# --- regression ------------------------------------------------------------------------------------------------


def weeks_of(*counts: int, side: Side = Side.BEFORE) -> tuple[Week, ...]:
    return tuple(Week(day(7 * i), 7, n, side) for i, n in enumerate(counts))


def test_regression_weeks_are_the_last_two_complete_weeks_after_the_fix() -> None:
    counts = per_day({range(0, 40): 1})
    recent = regression_weeks(counts, fixed_on=FIX, today=day(38))
    assert [(w.start, w.days, w.count) for w in recent] == [(day(21), 7, 7), (day(28), 7, 7)]
    assert regression_weeks(counts, fixed_on=FIX, today=day(10)) == (Week(day(0), 7, 7, Side.AFTER),)


def test_two_weeks_clearly_above_the_pre_fix_level_is_a_regression() -> None:
    before = weeks_of(5, 5, 5, 5, 5, 5, 5, 5)  # 40 in 8 weeks
    assert regressed(before, weeks_of(20, 20, side=Side.AFTER))


def test_one_week_above_is_not_enough() -> None:
    before = weeks_of(5, 5, 5, 5, 5, 5, 5, 5)
    assert not regressed(before, weeks_of(20, 6, side=Side.AFTER))
    assert not regressed(before, weeks_of(20, side=Side.AFTER))


def test_a_raw_count_above_but_within_the_noise_is_not_a_regression() -> None:
    # 2 a week before; 4 then 4 is above the level, but not clearly so.
    before = weeks_of(2, 2, 2, 2, 2, 2, 2, 2)
    assert rate_ratio(4, 1, 16, 8).low < 1
    assert not regressed(before, weeks_of(4, 4, side=Side.AFTER))


def test_no_regression_without_enough_pre_fix_history() -> None:
    assert not regressed(weeks_of(1), weeks_of(30, 30, side=Side.AFTER))
