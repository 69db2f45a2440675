"""The managers' dashboard, ``/agents/tableau-de-bord``: the whole service's figures over a period, for managers and
admins (``Action.VIEW_INSIGHTS``); product owners and squad members have their squads' pages instead (403).

Its filters are the one vocabulary of ``insights/filters.py``, in the URL of a GET form, so a view is shared by
its address; a value in error is left out and said in French above the form, and the page still shows the figures
for the rest. The figures come from ``insights.cache.cached_dashboard_data`` (this period and the previous one of
the same length, kept ``DASHBOARD_CACHE_SECONDS`` per filter set); ``dashboard_page.py`` turns them into key
figures, charts with their tables and the map, each with a link to the irritants behind it (the backlog,
``/agents/irritants``, with the matching filters).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from irritants.auth.access import current_agent, require
from irritants.auth.policy import Action, Agent, decide, forced_administration
from irritants.db import get_session
from irritants.insights.filters import PARAMS, InsightFilters, check_known, parse_filters
from irritants.intake.models import SEVERITY_LABELS
from irritants.referential import services as referential
from irritants.referential.models import Territory
from irritants.settings import settings_of
from irritants.teams import dashboard_page
from irritants.triage import backlog
from irritants.triage import backoffice_forms as forms

bp = Blueprint("dashboard", __name__, url_prefix="/agents")

# The form's fields, in its order, with the labels its error messages name.
FIELD_LABELS = {
    "from": "Du",
    "to": "Au",
    "administration": "Administration",
    "region": "Région",
    "territory": "Département",
    "channel": "Canal",
    "severity": "Gravité signalée",
    "squad": "Start-up d’État",
}


def read_filters(agent: Agent) -> tuple[InsightFilters, dict[str, list[str]], str | None]:
    """The filters of the URL (values in error left out, and their French messages), the agent's forced
    administration applied over them, and that administration (None when the agent chooses)."""
    filters, errors = parse_filters(request.args)
    forced = forced_administration(agent)
    if forced is not None:
        filters = filters.within(forced)
        errors.pop("administration", None)
    unknown = check_known(get_session(), filters)
    if unknown:
        errors.update(unknown)
        filters = replace(filters, **{PARAMS[param]: None for param in unknown if param in PARAMS})
    return filters, errors, forced


@bp.get("/tableau-de-bord")
def page() -> Any:
    """The dashboard: filters, key figures against the previous period, charts with their tables, the map."""
    agent = require(Action.VIEW_INSIGHTS)
    filters, errors, forced = read_filters(agent)
    db = get_session()
    territories = referential.list_territories(db)
    figures = dashboard_page.build(db, filters, settings=settings_of(current_app), codes=_covered(filters, territories))
    return render_template(
        "teams/dashboard.html",
        filters=filters,
        previous=filters.previous(),
        errors=errors,
        failure=_form_state(filters, errors),
        forced=forced,
        field_labels=FIELD_LABELS,
        figures=figures,
        options=_options(db, territories),
        share_url=url_for("dashboard.page", _external=True, **filters.as_query()),
    )


def _form_state(filters: InsightFilters, errors: dict[str, list[str]]) -> forms.Failure:
    """What the form's fields show (the filters applied, and what was typed where a value was left out) and their
    messages, as the back-office's field macros read them."""
    values = filters.as_query()
    values.update({param: request.args.get(param, "") for param in errors if param in PARAMS})
    return forms.Failure("filtre", "Certains filtres ont été ignorés", errors, MultiDict(values))


def _covered(filters: InsightFilters, territories: list[Territory]) -> list[str] | None:
    """The départements the figures cover when a département or a region is chosen (None: all of them)."""
    if filters.territory:
        return [filters.territory]
    if filters.region:
        return [t.code for t in territories if t.region_code == filters.region]
    return None


def _options(db: Any, territories: list[Territory]) -> dict[str, list[tuple[str, str]]]:
    """The choices of the form's lists, from the référentiel and the squads."""
    regions = sorted({(t.region_code, t.region_name) for t in territories}, key=lambda item: item[1])
    return {
        "administration": [(a.slug, a.name) for a in referential.list_administrations(db)],
        "region": regions,
        "territory": [(t.code, f"{t.code} – {t.name}") for t in territories],
        "channel": [(c.code, c.label) for c in referential.list_channels(db)],
        "severity": [(severity.value, label) for severity, label in SEVERITY_LABELS.items()],
        "squad": [(s.slug, s.name) for s in backlog.list_squads(db)],
    }


@bp.app_context_processor
def _dashboard_link() -> dict[str, Any]:
    """``dashboard_link()`` for the agents' header and home: the dashboard's address for who may see it, else None."""

    def dashboard_link() -> str | None:
        agent = current_agent()
        return url_for("dashboard.page") if agent is not None and decide(agent, Action.VIEW_INSIGHTS) else None

    return {"dashboard_link": dashboard_link}
