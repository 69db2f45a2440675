"""Public pages of the start-ups d'État: the list (``/startups``) and each one's page (``/startups/<slug>``): mission,
phase and its dated history, sponsoring administration, links, the irritants it owns and the fixes it shipped.
No login, and no personal data: no member, nor who recorded a phase."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for

from irritants.clusters import effect as fix_effect
from irritants.db import get_session
from irritants.feedback import services as feedback
from irritants.paging import PAGE_MAX
from irritants.settings import settings_of
from irritants.squads import services as squads
from irritants.squads.phases import ENDS, PHASE_BADGES, PHASE_LABELS
from irritants.squads.sprint_services import current_sprint
from irritants.triage import services as triage

bp = Blueprint("startups", __name__)
PAGE_SIZE = 20


@bp.get("/startups")
def squads_page() -> Any:
    """Every start-up d'État, by name, with its phase and sponsoring administration."""
    db = get_session()
    page_number = min(max(request.args.get("page", 1, type=int) or 1, 1), PAGE_MAX)
    page = squads.list_squads(db, page=page_number, page_size=PAGE_SIZE)
    return render_template(
        "squads/public_list.html",
        page=page,
        profiles=squads.profiles(db, page.items),
        phase_labels=PHASE_LABELS,
        phase_badges=PHASE_BADGES,
        link=lambda n: url_for("startups.squads_page", page=n),
    )


@bp.get("/startups/<slug>")
def squad_page(slug: str) -> Any:
    """A start-up d'État's public page (404 page for an unknown slug)."""
    db = get_session()
    profile = squads.profile(db, squads.squad_by_slug(db, slug))
    owned = triage.squad_irritants(db, profile.squad.id)
    fixes = sorted((item for item in owned if item.fixed_at), key=lambda item: item.fixed_at, reverse=True)
    effects = fix_effect.shown_for(db, settings_of(current_app).fix_effect, [item.cluster for item in fixes])
    return render_template(
        "squads/public_squad.html",
        profile=profile,
        squad=profile.squad,
        owned=owned,
        fixes=fixes,
        fix_effects=effects,
        people=sum(item.cluster.people for item in owned),
        sprint=current_sprint(db, profile.squad.id),
        inflow_days=triage.INFLOW_DAYS,
        phase_labels=PHASE_LABELS,
        phase_badges=PHASE_BADGES,
        ended=profile.squad.phase in ENDS,
        perceived=feedback.squad_rate(db, settings_of(current_app).feedback, profile.squad.id),
    )
