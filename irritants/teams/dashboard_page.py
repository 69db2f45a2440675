"""What the managers' dashboard shows, apart from its view (``dashboard.py``): the figures of
``insights.dashboard.dashboard_data`` turned into key figures against the previous period, charts (``charts.py``)
each with its table, and the map of reports per 100,000 inhabitants (``referential.geography``).

Every figure leads to the irritants behind it: the backlog (``/agents/irritants``) with the filters it knows that
match the dashboard's (administration, département, gravité, start-up d'État, and the period rounded up to the
backlog's own: 7, 30, 90 or 365 days, when it ends today), or the irritant's own page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from irritants import france_map
from irritants.charts import number_fr
from irritants.insights.cache import cached_dashboard_data
from irritants.insights.figures import DashboardData
from irritants.insights.filters import InsightFilters
from irritants.referential import geography
from irritants.settings import Settings
from irritants.teams.dashboard_sections import (
    Section,
    backlog_link,
    breakdown,
    equity,
    irritant_list,
    squads_by_phase,
    top_irritants,
    weekly,
)
from irritants.teams.dashboard_words import change_text, period_text, plural, shown

ORPHANS_SHOWN = 20
LINKS_NOTE = (
    "Chaque chiffre mène aux irritants qui le font : le suivi des irritants, avec les filtres qu’il connaît "
    "(administration, département, gravité, start-up d’État ; la période arrondie à 7, 30, 90 ou 365 jours quand "
    "elle se termine aujourd’hui). La région et le canal n’y sont pas des filtres : ces liens montrent alors "
    "davantage d’irritants que le chiffre."
)


@dataclass(frozen=True)
class KeyFigure:
    """A tile: the figure over the period, and the same over the previous one."""

    id: str
    label: str
    value: str
    comparison: str
    href: str | None


@dataclass(frozen=True)
class DashboardPage:
    computed_at: dt.datetime
    period_text: str
    previous_text: str
    key_figures: list[KeyFigure]
    sections: list[Section]
    map: france_map.FranceMap
    links_note: str = LINKS_NOTE
    cache_seconds: int = 0


def key_figures(data: DashboardData) -> list[KeyFigure]:
    """The tiles: each figure of the period with the previous period's, and the irritants behind it."""
    now, before, filters, links = data.current, data.previous, data.filters, data.links

    def tile(id_: str, label: str, current: float | None, previous: float | None, kind: str, href: str | None):
        comparison = f"Période précédente : {shown(previous, kind)} ({change_text(current, previous, kind=kind)})"
        return KeyFigure(id_, label, shown(current, kind), comparison, href)

    everything = backlog_link(filters, data.backlog)
    return [
        tile("signalements", "Signalements reçus", now.new_reports, before.new_reports, "count", everything),
        tile("personnes", "Personnes concernées (signalements et « moi aussi »)", now.people, before.people, "count",
             everything),
        KeyFigure("ouverts", "Irritants ouverts aujourd’hui", number_fr(data.open_irritants),
                  "Un état d’aujourd’hui, sans période précédente", backlog_link(filters, links["open"])),
        tile("delai-qualification", "Délai médian du premier signalement à la qualification",
             now.median_days_to_triage, before.median_days_to_triage, "days", everything),
        tile("delai-correction", "Délai médian du premier signalement au correctif", now.median_days_to_fix,
             before.median_days_to_fix, "days", backlog_link(filters, links["fixed"])),
        tile("part-corrigee", "Part corrigée (contre close sans correction)", now.fixed_share, before.fixed_share,
             "share", backlog_link(filters, links["fixed"])),
        tile("resolution-percue", "Résolution perçue par les usagers", now.perceived_rate, before.perceived_rate,
             "share", backlog_link(filters, data.backlog, unresolved=1)),
        KeyFigure("orphelins", "Irritants ouverts sans start-up d’État", number_fr(data.orphan_count),
                  "Un état d’aujourd’hui, sans période précédente", backlog_link(filters, links["orphans"])),
        KeyFigure("reapparus", "Irritants réapparus", number_fr(len(data.regressed)),
                  "Un état d’aujourd’hui, sans période précédente", backlog_link(filters, links["regressed"])),
    ]  # fmt: skip


def departement_map(data: DashboardData, codes: Sequence[str] | None) -> france_map.FranceMap:
    """Reports per 100,000 inhabitants; each département leads to the backlog filtered to it."""
    return geography.reports_map(
        {share.key: share.reports for share in data.by_territory},
        title="Signalements pour 100 000 habitants, par département",
        link=lambda code: backlog_link(data.filters, data.backlog, territory=code),
        codes=codes,
    )


# --- the page -----------------------------------------------------------------------------------------------------


def build(
    session: Session,
    filters: InsightFilters,
    *,
    settings: Settings,
    codes: Sequence[str] | None = None,
) -> DashboardPage:
    """Everything the dashboard shows for ``filters`` (from the short cache per filter set); ``codes``: the
    départements the figures can cover (a region or a département chosen: the others are « sans donnée » on the
    map, not zero)."""
    data = cached_dashboard_data(session, filters, settings=settings)
    return DashboardPage(
        computed_at=data.computed_at,
        period_text=period_text(data.filters),
        previous_text=period_text(data.previous_filters)[0].lower() + period_text(data.previous_filters)[1:],
        key_figures=key_figures(data),
        sections=[
            weekly(data),
            top_irritants(data),
            breakdown(data, "canaux", "Signalements par canal", data.by_channel),
            breakdown(data, "administrations", "Signalements par administration", data.by_administration),
            squads_by_phase(data),
            equity(data),
            irritant_list(
                data,
                "orphelins",
                "Irritants sans start-up d’État, par score",
                data.orphans,
                intro=(
                    f"{plural(data.orphan_count, 'irritant ouvert', 'irritants ouverts')} sans start-up d’État "
                    "pour s’en occuper : de quoi nourrir les comités d’investissement. Les plus hauts scores d’abord"
                    f"{f' ({ORPHANS_SHOWN} au plus)' if data.orphan_count > ORPHANS_SHOWN else ''}."
                ),
                empty_text="Aucun irritant ouvert sans start-up d’État.",
                more=backlog_link(data.filters, data.links["orphans"]),
            ),
            irritant_list(
                data,
                "reapparus",
                "Irritants réapparus",
                data.regressed,
                intro="Irritants corrigés dont les signalements sont repartis à la hausse après le correctif.",
                empty_text="Aucun irritant réapparu.",
                more=backlog_link(data.filters, data.links["regressed"]),
            ),
        ],
        map=departement_map(data, codes),
        cache_seconds=settings.dashboard.cache_seconds,
    )
