"""The words of the managers' dashboard (``dashboard_page.py``): days, periods, shares, delays and how a figure
moved since the previous period, as French pages write them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from irritants.charts import number_fr
from irritants.insights.filters import InsightFilters

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")  # fmt: skip


def day_text(day: dt.date) -> str:
    """« 3 décembre 2026 », « 1er mars 2026 »."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def period_text(filters: InsightFilters) -> str:
    return f"Du {day_text(filters.start)} au {day_text(filters.end)} ({filters.days} jours)"


def percent(share: float | None) -> str:
    """0.4267 → « 42,7 % »; None → « — » (no figure: too few to say)."""
    return "—" if share is None else f"{number_fr(round(share * 100, 1))}\u00a0%"


def days_text(days: float | None) -> str:
    if days is None:
        return "—"
    value = round(days, 1)
    return f"{number_fr(value)} jour{'s' if value >= 2 else ''}"


def change_text(current: float | None, previous: float | None, *, kind: str = "count") -> str:
    """How a figure moved since the previous period, in words (« +12 % », « −3 points », « stable »)."""
    if current is None or previous is None:
        return "pas de comparaison possible"
    if kind == "share":
        delta = round((current - previous) * 100, 1)
        if delta == 0:
            return "stable"
        return f"{'+' if delta > 0 else '−'}{number_fr(abs(delta))} point{'s' if abs(delta) >= 2 else ''}"
    if kind == "days":
        delta = round(current - previous, 1)
        if delta == 0:
            return "stable"
        return f"{'+' if delta > 0 else '−'}{number_fr(abs(delta))} jour{'s' if abs(delta) >= 2 else ''}"
    if previous == 0:
        return "stable" if current == 0 else "rien sur la période précédente"
    ratio = round((current - previous) / previous * 100)
    if ratio == 0:
        return "stable"
    return f"{'+' if ratio > 0 else '−'}{number_fr(abs(ratio))}\u00a0%"


def shown(value: float | None, kind: str) -> str:
    if kind == "share":
        return percent(value)
    if kind == "days":
        return days_text(value)
    return "—" if value is None else number_fr(value)


def plural(count: int, one: str, several: str) -> str:
    return f"{number_fr(count)} {one if count < 2 else several}"


def short(label: str, size: int = 14) -> str:
    """A category's name under its bar (the table and the description give it whole)."""
    return label if len(label) <= size else label[: size - 1].rstrip() + "…"


def terms_text(breakdown_terms: Sequence[Mapping[str, Any]]) -> str:
    """The score's terms in one line: « Personnes touchées +12,3 ; Gravité +4 »."""
    parts = [
        f"{term.get('label', term.get('name', ''))} +{number_fr(round(float(term.get('contribution') or 0), 1))}"
        for term in breakdown_terms
    ]
    return " ; ".join(parts) or "pas encore calculé"
