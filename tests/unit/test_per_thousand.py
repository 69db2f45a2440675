"""Fixes per 1,000 reports (the public statistics): a pure figure with the metrics core's « no rate under 10 »."""

from __future__ import annotations

import pytest

from irritants import metrics


def test_fixes_per_thousand_reports_refuse_small_numbers():
    assert metrics.per_thousand(1, 9) is None and metrics.per_thousand(1, 10) == 100
    assert metrics.per_thousand(0, 12) == 0
    assert metrics.per_thousand(1, 3, minimum=1) == pytest.approx(333.33, 0.01)
    assert metrics.per_thousand(0, 0, minimum=0) is None  # never a division by zero
