"""The public statistics (``/statistiques``): fixes shipped (a changelog with dates, squads and fix effects), per
administration the reports received, the share fixed against closed without a fix, fixes per 1,000 reports and the
median time to fix (no rate under 10 reports), the map of reports by département, how each figure is computed, and
links to the open data files. No login, no personal data."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request, url_for

from irritants.clusters import effect as fix_effect
from irritants.db import get_session, utcnow
from irritants.extensions import limiter, read_limit
from irritants.french import today
from irritants.insights import filters as insight_filters
from irritants.insights import public_irritants as listing
from irritants.insights import public_stats as stats
from irritants.insights.filters import InsightFilters
from irritants.opendata import files
from irritants.paging import PAGE_MAX
from irritants.settings import settings_of

bp = Blueprint("statistics", __name__)

#: How long the figures of one period are served again (each process its own copy): they move slowly, the page is
#: public, and a period's aggregates cost a pass over its rollup rows.
CACHE_SECONDS = 5 * 60
CACHE_PERIODS = 16  # periods kept at most (the oldest computed leaves first)
_EXTENSION = "irritants.public_statistics"
_lock = threading.Lock()


@dataclass(frozen=True)
class Figures:
    """What the page shows of a period, as computed at ``computed_at``."""

    rows: list[stats.AdministrationFigures]
    territories: dict[str, int]
    computed_at: dt.datetime


def _figures(app: Flask, filters: InsightFilters) -> Figures:
    """The period's figures, computed again once ``CACHE_SECONDS`` have passed."""
    key = (filters.start, filters.end)
    with _lock:
        cache: dict[tuple[dt.date, dt.date], tuple[float, Figures]] = app.extensions.setdefault(_EXTENSION, {})
        found = cache.get(key)
        if found is not None and found[0] > time.monotonic():
            return found[1]
    db = get_session()
    counts = stats.received(db, filters)
    figures = Figures(stats.by_administration(db, filters, counts), stats.by_territory(counts), utcnow())
    with _lock:
        cache[key] = (time.monotonic() + CACHE_SECONDS, figures)
        for stale in sorted(cache, key=lambda k: cache[k][0])[: max(0, len(cache) - CACHE_PERIODS)]:
            del cache[stale]
    return figures


PERIOD = ("from", "to")
# What each open data file is (irritants.opendata.files.FILES gives them, in display order).
OPEN_DATA = {
    "datapackage.json": "Description du jeu de données (Data Package), qui liste les fichiers et leurs schémas",
    "irritants.csv": "Irritants (CSV) : une ligne par irritant publié",
    "schema-irritants.json": "Schéma des irritants (Table Schema)",
    "signalements.csv": "Signalements (CSV) : comptes hebdomadaires agrégés, sans aucun compte inférieur à 10",
    "schema-signalements.json": "Schéma des signalements (Table Schema)",
}


@bp.get("/statistiques")
@limiter.limit(read_limit)
def statistics_page() -> Any:
    """The public statistics over a period (``from``/``to``, the last 365 days by default)."""
    db = get_session()
    if any(request.args.get(p) for p in PERIOD):
        filters, errors = insight_filters.parse_filters({p: request.args.get(p) for p in PERIOD})
    else:
        filters, errors = stats.default_period(today()), {}
    page_number = min(max(request.args.get("page", 1, type=int) or 1, 1), PAGE_MAX)
    fixes = stats.changelog(db, filters, page=page_number)
    period = {p: v for p, v in filters.as_query().items() if p in PERIOD}
    figures = _figures(current_app._get_current_object(), filters)  # type: ignore[attr-defined]
    return render_template(
        "public/statistics.html",
        filters=filters,
        errors=errors,
        rows=figures.rows,
        computed_at=figures.computed_at,
        few=stats.FEW,
        min_reports=stats.MIN_REPORTS,
        fixes=fixes,
        fix_cards=listing.cards(db, fixes.items),
        fix_effects=fix_effect.shown_for(db, settings_of(current_app).fix_effect, fixes.items),
        france_map=stats.territory_map(
            figures.territories,
            link=lambda code: url_for("irritant_list.list_page", territory=code),
        ),
        open_data=[(url_for("opendata.download", name=name), OPEN_DATA.get(name, name)) for name in files.FILES],
        link=lambda n: url_for("statistics.statistics_page", **period, page=n) + "#correctifs",
    )
