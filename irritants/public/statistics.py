"""The public statistics (``/statistiques``): fixes shipped (a changelog with dates, squads and fix effects), per
administration the reports received, the share fixed against closed without a fix, fixes per 1,000 reports and the
median time to fix (no rate under 10 reports), the map of reports by département, how each figure is computed, and
links to the open data files. No login, no personal data."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for

from irritants.clusters import effect as fix_effect
from irritants.db import get_session
from irritants.extensions import limiter, read_limit
from irritants.french import today
from irritants.insights import filters as insight_filters
from irritants.insights import public_irritants as listing
from irritants.insights import public_stats as stats
from irritants.opendata import files
from irritants.paging import PAGE_MAX
from irritants.settings import settings_of

bp = Blueprint("statistics", __name__)

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
    return render_template(
        "public/statistics.html",
        filters=filters,
        errors=errors,
        rows=stats.by_administration(db, filters),
        few=stats.FEW,
        min_reports=stats.MIN_REPORTS,
        fixes=fixes,
        fix_cards=listing.cards(db, fixes.items),
        fix_effects=fix_effect.shown_for(db, settings_of(current_app).fix_effect, fixes.items),
        france_map=stats.territory_map(
            stats.reports_by_territory(db, filters),
            link=lambda code: url_for("irritant_list.list_page", territory=code),
        ),
        open_data=[(url_for("opendata.download", name=name), OPEN_DATA.get(name, name)) for name in files.FILES],
        link=lambda n: url_for("statistics.statistics_page", **period, page=n) + "#correctifs",
    )
