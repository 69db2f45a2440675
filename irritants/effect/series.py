"""The weekly inflow of an irritant around its fix day.

Weeks are aligned on the fix day, not on ISO weeks: week 1 after the fix starts on the fix day itself, week 1 before
it ends the day before. So a fix on a Wednesday never cuts a calendar week in two, and the fix day — when the fix
was delivered at some hour — counts on the « after » side (conservative: reports of that morning can only make the
fix look weaker, never stronger). Two kinds of week may still be partial, and carry their exposure in days:

- the oldest « before » week, when the irritant's first report falls inside it (nothing was observed earlier);
- the newest « after » week, which ends today: today is not over, so only days before today are counted.

A week without a single observed day is left out: « N weeks, fewer when there is less history ».
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass

WEEK_DAYS = 7
#: Below this many weeks observed on either side (in days: 14), the verdict is « pas assez de recul ».
MIN_WEEKS = 2


class Side(enum.StrEnum):
    BEFORE = "before"
    AFTER = "after"


@dataclass(frozen=True)
class Week:
    """One week of inflow: its first day, how many of its days were observed (1 to 7), the reports on those days."""

    start: dt.date
    days: int
    count: int
    side: Side

    @property
    def exposure(self) -> float:
        """Observed time, in weeks (a full week: 1.0)."""
        return self.days / WEEK_DAYS

    @property
    def complete(self) -> bool:
        return self.days == WEEK_DAYS


@dataclass(frozen=True)
class FixSeries:
    """The weeks before the fix (oldest first) and after it (oldest first)."""

    fixed_on: dt.date
    before: tuple[Week, ...]
    after: tuple[Week, ...]

    @property
    def weeks(self) -> tuple[Week, ...]:
        return self.before + self.after

    @staticmethod
    def totals(weeks: tuple[Week, ...]) -> tuple[int, float]:
        """Reports and exposure (weeks) of some weeks."""
        return sum(w.count for w in weeks), sum(w.days for w in weeks) / WEEK_DAYS

    @property
    def enough_history(self) -> bool:
        """At least ``MIN_WEEKS`` weeks observed on each side."""
        return all(sum(w.days for w in side) >= MIN_WEEKS * WEEK_DAYS for side in (self.before, self.after))


def count_days(counts: Mapping[dt.date, int], start: dt.date, end: dt.date) -> int:
    """Reports on the days of [start, end)."""
    return sum(n for day, n in counts.items() if start <= day < end)


def week(
    counts: Mapping[dt.date, int], start: dt.date, side: Side, *, observed_from: dt.date, until: dt.date
) -> Week | None:
    """The week starting on ``start``, observed on [observed_from, until) only; None when no day of it was."""
    lo, hi = max(start, observed_from), min(start + dt.timedelta(days=WEEK_DAYS), until)
    days = (hi - lo).days
    if days <= 0:
        return None
    return Week(start, days, count_days(counts, lo, hi), side)


def fix_series(
    counts: Mapping[dt.date, int], *, fixed_on: dt.date, first_day: dt.date, today: dt.date, weeks: int = 8
) -> FixSeries:
    """The ``weeks`` weeks before ``fixed_on`` and the ``weeks`` weeks from it, from reports per day (``counts``),
    observed from ``first_day`` (the irritant's first report) to the day before ``today``."""
    step = dt.timedelta(days=WEEK_DAYS)
    before = [week(counts, fixed_on - step * k, Side.BEFORE, observed_from=first_day, until=fixed_on)
              for k in range(weeks, 0, -1)]  # fmt: skip
    after = [week(counts, fixed_on + step * k, Side.AFTER, observed_from=fixed_on, until=today) for k in range(weeks)]
    return FixSeries(fixed_on, tuple(w for w in before if w), tuple(w for w in after if w))
