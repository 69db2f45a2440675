"""The dashboard's pure arithmetic (irritants/metrics) on hand-built frames with known answers."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from irritants import metrics


def test_a_rate_needs_its_minimum():
    assert metrics.rate(3, 4) == 0.75
    assert metrics.rate(3, 9, minimum=10) is None
    assert metrics.rate(5, 10, minimum=10) == 0.5
    assert metrics.rate(0, 0) is None  # never a division by zero


def test_median_of_odd_and_even_counts_and_of_nothing():
    assert metrics.median([5, 1, 3]) == 3.0
    assert metrics.median([1, 2, 3, 10]) == 2.5
    assert metrics.median([]) is None
    assert metrics.median([None, 4.0, float("nan")]) == 4.0


def test_days_between_two_date_columns_never_negative():
    frame = pd.DataFrame(
        {
            "first": [dt.date(2026, 1, 1), dt.date(2026, 1, 10), dt.date(2026, 2, 1)],
            "fixed": [dt.date(2026, 1, 31), dt.date(2026, 1, 10), dt.date(2026, 1, 30)],
        }
    )
    assert metrics.days_between(frame, "first", "fixed").tolist() == [30.0, 0.0, 0.0]
    assert metrics.median(metrics.days_between(frame, "first", "fixed")) == 0.0


def test_iso_weeks_of_a_period_beside_the_previous_one():
    # 14 days from Wednesday 7 January 2026: ISO weeks 2 (5 days), 3 (7 days) and 4 (2 days). The previous period is
    # 24 December 2025 – 6 January 2026; its first day sits beside 7 January.
    daily = pd.DataFrame(
        {
            "day": [
                dt.date(2025, 12, 24),
                dt.date(2026, 1, 6),
                dt.date(2026, 1, 7),
                dt.date(2026, 1, 12),
                dt.date(2026, 1, 20),
                dt.date(2026, 1, 21),
            ],
            "reports": [4, 1, 2, 3, 5, 100],
        }
    )
    weeks = metrics.weekly(daily, dt.date(2026, 1, 7), dt.date(2026, 1, 20))
    assert weeks["week"].tolist() == ["2026-W02", "2026-W03", "2026-W04"]
    assert weeks["days"].tolist() == [5, 7, 2]
    assert weeks["reports"].tolist() == [2, 3, 5]  # the 21st is after the period
    assert weeks["previous"].tolist() == [4, 0, 1]  # 24 Dec → 7 Jan (W02); 6 Jan → 20 Jan (W04)
    assert weeks["start"].tolist()[0] == dt.date(2026, 1, 7) and weeks["end"].tolist()[-1] == dt.date(2026, 1, 20)


def test_weeks_of_an_empty_period_are_zeros():
    weeks = metrics.weekly(pd.DataFrame({"day": [], "reports": []}), dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert weeks[["week", "reports", "previous"]].values.tolist() == [["2026-W10", 0, 0]]


def test_a_breakdown_orders_by_volume_then_key_and_gives_no_share_under_ten():
    frame = pd.DataFrame({"channel": ["telephone", "en_ligne", "en_ligne", "guichet"], "reports": [3, 4, 2, 3]})
    table = metrics.breakdown(frame, "channel")
    assert table["channel"].tolist() == ["en_ligne", "guichet", "telephone"]
    assert table["reports"].tolist() == [6, 3, 3]
    assert table["share"].tolist() == [0.5, 0.25, 0.25]
    small = metrics.breakdown(frame.head(2), "channel")
    assert small["share"].tolist() == [None, None]  # 7 reports in all


def test_equity_compares_each_irritant_with_the_average_and_drops_small_ones():
    frame = pd.DataFrame(
        {
            "cluster_id": [1, 2, 3, 3],
            "reports": [80, 20, 5, 4],
            "assisted": [8, 10, 4, 4],
        }
    )
    average, table = metrics.equity(frame)
    assert average == 26 / 109
    assert table["cluster_id"].tolist() == [2, 1]  # irritant 3 has 9 reports: no share
    assert table["share"].tolist() == [0.5, 0.1]
    assert math.isclose(table["ratio"].iloc[0], 0.5 / (26 / 109))
    assert metrics.equity(frame.head(0))[0] is None


def test_equity_without_an_average_has_no_ratio():
    average, table = metrics.equity(pd.DataFrame({"cluster_id": [1], "reports": [9], "assisted": [9]}))
    assert average is None and table.empty
