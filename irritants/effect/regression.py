"""When a fixed irritant is back: the rule of the daily ``check-regressions``.

A fixed irritant has regressed when each of the last ``REGRESSION_WEEKS`` (2) complete weeks after its fix shows an
inflow *clearly* above its pre-fix level: for each of those weeks, the lower bound of the 95 % interval of the rate
ratio « that week / the weeks before the fix » is above 1. A rule on the interval, not on a raw count, so that an
irritant with 2 reports a week before its fix is not called back by 3 reports one week, and that one noisy week
never is enough. The pre-fix level needs ``MIN_WEEKS`` weeks observed, as the verdict does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from irritants.effect.rates import LEVEL, rate_ratio
from irritants.effect.series import MIN_WEEKS, WEEK_DAYS, Side, Week, week

REGRESSION_WEEKS = 2


def regression_weeks(
    counts: Mapping[dt.date, int], *, fixed_on: dt.date, today: dt.date, weeks: int = REGRESSION_WEEKS
) -> tuple[Week, ...]:
    """The last ``weeks`` complete weeks from the fix (weeks aligned on the fix day, oldest first); fewer when the fix
    is too recent."""
    complete = (today - fixed_on).days // WEEK_DAYS
    first = max(complete - weeks, 0)
    step = dt.timedelta(days=WEEK_DAYS)
    found = (week(counts, fixed_on + step * k, Side.AFTER, observed_from=fixed_on, until=today)
             for k in range(first, complete))  # fmt: skip
    return tuple(w for w in found if w is not None)


def regressed(before: tuple[Week, ...], recent: tuple[Week, ...], level: float = LEVEL) -> bool:
    """Each of the ``REGRESSION_WEEKS`` recent complete weeks is clearly above the pre-fix rate (interval above 1)."""
    before_days = sum(w.days for w in before)
    if before_days < MIN_WEEKS * WEEK_DAYS or len(recent) < REGRESSION_WEEKS:
        return False
    if not all(w.complete for w in recent):
        return False
    before_count = sum(w.count for w in before)
    return all(
        rate_ratio(w.count, w.exposure, before_count, before_days / WEEK_DAYS, level).low > 1
        for w in recent[-REGRESSION_WEEKS:]
    )
