"""The dashboard's and the public statistics' arithmetic, as pure functions over small pandas frames (no Flask, no SQL).

The database aggregates (GROUP BY over the daily rollups); these functions shape the few rows it returns: medians,
shares with their « no rate under N » rule, ISO weeks of a period beside the previous period's, the equity ratio.
Each is tested on hand-built frames with known answers (tests/unit/test_metrics.py), and the SQL aggregates are
checked against them on generated data (tests/integration/test_dashboard_data.py).
"""

from irritants.metrics.core import (
    MIN_REPORTS_FOR_RATE,
    breakdown,
    days_between,
    equity,
    median,
    per_thousand,
    rate,
    weekly,
)

__all__ = ["MIN_REPORTS_FOR_RATE", "breakdown", "days_between", "equity", "median", "per_thousand", "rate", "weekly"]
