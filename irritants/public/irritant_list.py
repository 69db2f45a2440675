"""The public list of irritants (``/irritants``: searched, filtered, sorted, paged, « C'est aussi mon cas » from each
card) and their roadmap (``/irritants/feuille-de-route``: planned, in progress, fixed recently). No login, no
personal data: labels, counts, statuses, administrations and squads only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, url_for

from irritants.clusters import effect as fix_effect
from irritants.db import get_session
from irritants.extensions import limiter, read_limit
from irritants.french import today
from irritants.insights import public_irritants as listing
from irritants.referential import services as referential
from irritants.settings import settings_of
from irritants.status import CITIZEN_STATUS_LABELS

bp = Blueprint("irritant_list", __name__)

FIELD_LABELS = {
    "q": "Rechercher",
    "administration": "Administration",
    "procedure": "Démarche",
    "territory": "Département",
    "status": "Statut",
    "sort": "Trier par",
    "page": "Page",
}


@bp.get("/irritants")
@limiter.limit(read_limit)
def list_page() -> Any:
    """Every published irritant, searched and filtered from a GET form whose values stay in the URL."""
    db = get_session()
    query, errors = listing.parse_list_query(db, request.args)
    page = listing.public_irritants(db, query)
    administrations = referential.list_administrations(db)
    return render_template(
        "public/irritants.html",
        query=query,
        errors=errors,
        labels=FIELD_LABELS,
        page=page,
        cards=listing.cards(db, page.items),
        administrations=[(a.slug, a.name) for a in administrations],
        procedures=[
            {"group": a.name, "options": [(f"{a.slug}/{p.slug}", p.name) for p in a.procedures if p.active]}
            for a in administrations
            if a.procedures
        ],
        territories=[(t.code, f"{t.code} – {t.name}") for t in referential.list_territories(db)],
        statuses=[(s.value, CITIZEN_STATUS_LABELS[s]) for s in listing.LISTED_STATUSES],
        sorts=list(listing.SORTS.items()),
        link=lambda n: url_for("irritant_list.list_page", **query.as_query(page=n)),
        here=url_for("irritant_list.list_page", **query.as_query()),
    )


@bp.get("/irritants/feuille-de-route")
@limiter.limit(read_limit)
def roadmap_page() -> Any:
    """The roadmap: what squads planned, are fixing and fixed these last days, with each fix's effect."""
    db = get_session()
    columns = listing.roadmap(db, today=today())
    fixed = [card.cluster for column in columns if column.key == "fixed" for card in column.cards]
    return render_template(
        "public/roadmap.html",
        columns=columns,
        days=listing.ROADMAP_DAYS,
        fix_effects=fix_effect.shown_for(db, settings_of(current_app).fix_effect, fixed),
        here=url_for("irritant_list.roadmap_page"),
    )


def way_back(target: str) -> str | None:
    """The list or the roadmap a « C'est aussi mon cas » came from (with its filters), or None for anything else: only
    these two pages of this site, never another address."""
    parts = urlsplit(target)
    pages = (url_for("irritant_list.list_page"), url_for("irritant_list.roadmap_page"))
    if parts.scheme or parts.netloc or parts.path not in pages:
        return None
    return f"{parts.path}?{parts.query}#messages" if parts.query else f"{parts.path}#messages"
