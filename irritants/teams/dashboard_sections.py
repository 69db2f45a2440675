"""The parts of the managers' dashboard that hold a chart or a list (``dashboard_page.py`` puts them together): each
a chart of ``charts.py`` (or none) and its table, whose cells lead to the irritants behind the figures — the backlog
with the dashboard's filters it knows, or an irritant's page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import url_for

from irritants import charts
from irritants.charts import Figure, number_fr
from irritants.french import today
from irritants.insights.figures import DashboardData, IrritantFigure, Share
from irritants.insights.filters import InsightFilters
from irritants.squads.phases import PHASE_LABELS, SquadPhase
from irritants.status import STATUS_LABELS_AGENT
from irritants.teams.dashboard_words import change_text, percent, plural, short, terms_text

Cell = tuple[str, str | None]  # a table cell: its text, and where it leads (None: nowhere)
BACKLOG_PERIODS = (("7j", 7), ("30j", 30), ("90j", 90), ("365j", 365))
MAX_BARS = 10  # categories in a bar chart (the table has them all)
CHANNELS = 6  # up to this many categories, a chart fits in half the page
WIDE = 1180  # pixels of a chart across the page (many categories, or many weeks)


@dataclass(frozen=True)
class Section:
    """A part of the page: a chart (or none) and its table, whose cells may be links."""

    id: str
    heading: str
    caption: str
    headers: tuple[str, ...]
    rows: list[list[Cell]]
    intro: str = ""
    figure: Figure | None = None
    kind: str = "bars"  # or "lines"
    x_label: str = ""
    y_label: str = ""
    empty_text: str = "Aucune donnée pour cette période et ces filtres."
    more: str | None = None  # the backlog listing every irritant of the section
    wide: bool = False  # the whole width of the page (many categories), else half of it on wide screens


# --- links --------------------------------------------------------------------------------------------------------


def backlog_period(filters: InsightFilters, *, on: dt.date | None = None) -> str | None:
    """The backlog's own period (« reported in the last N days ») that covers the dashboard's, when it ends today."""
    if filters.end < (on or today()):
        return None
    return next((code for code, days in BACKLOG_PERIODS if filters.days <= days), None)


def backlog_link(filters: InsightFilters, query: Mapping[str, str], **extra: Any) -> str:
    """The backlog listing the irritants behind a figure: ``query`` (from the dashboard's data) with its period."""
    params = dict(query)
    period = backlog_period(filters)
    if period:
        params["period"] = period
    params.update({key: str(value) for key, value in extra.items()})
    return url_for("backoffice.backlog_page", **params)


def irritant_link(cluster_id: int) -> str:
    return url_for("backoffice.cluster_page", cluster_id=cluster_id)


# --- sections -----------------------------------------------------------------------------------------------------


def comparison_bars(
    section_id: str,
    heading: str,
    rows: Sequence[tuple[str, float, float, str | None]],
    *,
    what: str,
    category: str,
    intro: str = "",
    wide: bool = False,
) -> Section:
    """Bars of this period against the previous one by category (label, current, previous, link), with the table."""
    drawn = rows[:MAX_BARS]
    chart = charts.bar_chart(
        [short(label, 16 if wide else 12) for label, *_ in drawn],
        [
            charts.Series("Cette période", [current for _, current, _, _ in drawn]),
            charts.Series("Période précédente", [previous for _, _, previous, _ in drawn], tone=2),
        ],
        width=WIDE if wide else charts.WIDTH,
    )
    said = " ; ".join(
        f"{label} : {number_fr(current)} (avant : {number_fr(previous)})" for label, current, previous, _ in drawn
    )
    description = f"{what} : {said}." if rows else f"{what} : aucun sur ces deux périodes."
    table = [
        [(label, href), (number_fr(current), None), (number_fr(previous), None), (change_text(current, previous), None)]
        for label, current, previous, href in rows
    ]
    return Section(
        id=section_id,
        heading=heading,
        caption=f"{heading} : cette période et la précédente",
        headers=(category, "Cette période", "Période précédente", "Évolution"),
        rows=table,
        intro=intro,
        figure=Figure(chart, heading, description, (), []),
        x_label=category,
        y_label="Signalements",
        wide=wide,
    )


def breakdown(data: DashboardData, section_id: str, heading: str, shares: Sequence[Share]) -> Section:
    """Reports by administration or by channel; a row leads to the backlog filtered to it, or, when the backlog has
    no such filter (channel), to this dashboard narrowed to it."""
    rows = []
    for share in shares:
        if share.backlog:
            href = backlog_link(data.filters, share.backlog)
        else:
            href = url_for("dashboard.page", **share.filters)
        rows.append((share.label, float(share.reports), float(share.previous), href))
    category = "Administration" if section_id == "administrations" else "Canal"
    intro = (
        f"Le graphique montre les {MAX_BARS} premières lignes, le tableau les donne toutes."
        if len(shares) > MAX_BARS
        else ""
    )
    wide = len(rows) > CHANNELS
    return comparison_bars(section_id, heading, rows, what=heading, category=category, intro=intro, wide=wide)


def weekly(data: DashboardData) -> Section:
    """Weekly inflow of this period (a line) against the previous period's weeks at the same rank (dashed)."""
    weeks = data.weeks
    labels = [week.start.strftime("%d/%m") for week in weeks]
    chart = charts.line_chart(
        labels,
        [
            charts.Series("Cette période", [week.reports for week in weeks]),
            charts.Series("Période précédente", [week.previous for week in weeks], tone=2, dashed=True),
        ],
        width=WIDE,
    )
    total, before = sum(w.reports for w in weeks), sum(w.previous for w in weeks)
    heading = "Signalements reçus chaque semaine"
    description = (
        f"Signalements reçus par semaine : {number_fr(total)} sur la période, {number_fr(before)} sur la période "
        f"précédente ({change_text(total, before)}). Semaine la plus chargée : "
        + (max(weeks, key=lambda w: w.reports).start.strftime("semaine du %d/%m") if total else "aucune")
        + "."
    )
    everything = backlog_link(data.filters, data.backlog)
    rows = []
    for week in weeks:
        label = f"Du {week.start.strftime('%d/%m/%Y')} au {week.end.strftime('%d/%m/%Y')}"
        if week.days < 7:
            label += f" ({plural(week.days, 'jour', 'jours')} de la période)"
        rows.append([(label, None), (number_fr(week.reports), everything if week.reports else None),
                     (number_fr(week.previous), None)])  # fmt: skip
    return Section(
        id="arrivees",
        heading=heading,
        caption=f"{heading}, cette période et la précédente (semaine de même rang)",
        headers=("Semaine", "Cette période", "Période précédente"),
        rows=rows,
        intro="La période précédente est placée semaine par semaine sous celle-ci, pour comparer les mêmes rangs.",
        figure=Figure(chart, heading, description, (), []),
        kind="lines",
        wide=True,
        x_label="Semaine (premier jour)",
        y_label="Signalements",
    )


IRRITANT_HEADERS = ("Irritant", "Score", "Détail du score", "Personnes touchées", "Signalements sur la période")


def irritant_row(item: IrritantFigure) -> list[Cell]:
    """An irritant in a table: its number and label (to its page), score and terms, people, reports of the period."""
    return [
        (f"n° {item.id} — {item.label}", irritant_link(item.id)),
        (number_fr(round(item.score, 1)), None),
        (terms_text(item.breakdown), None),
        (number_fr(item.people), None),
        (number_fr(item.reports_in_period), None),
    ]


def top_irritants(data: DashboardData) -> Section:
    """The open irritants with the highest score, each with its breakdown, leading to its page."""
    top = data.top
    heading = "Irritants ouverts au plus haut score"
    chart = charts.bar_chart(
        [f"n° {item.id}" for item in top],
        [charts.Series("Score", [round(item.score, 1) for item in top])],
        integer=False,
    )
    said = " ; ".join(f"n° {item.id} « {item.label} » : {number_fr(round(item.score, 1))}" for item in top)
    rows = [[*irritant_row(item), (STATUS_LABELS_AGENT.get(item.status, item.status), None)] for item in top]
    return Section(
        id="top-irritants",
        heading=heading,
        caption=f"{heading}, avec le détail de leur score",
        headers=(*IRRITANT_HEADERS, "Statut"),
        rows=rows,
        intro="Le score explique son calcul : chaque terme dit ce qu’il ajoute.",
        figure=Figure(chart, heading, f"Scores : {said}." if top else "Aucun irritant ouvert.", (), []),
        x_label="Irritant",
        y_label="Score",
        empty_text="Aucun irritant ouvert pour ces filtres.",
    )


def squads_by_phase(data: DashboardData) -> Section:
    """Squads grouped by phase, with their open irritants, the fixes they shipped in the period and what each did."""
    groups = data.squads
    labels = [PHASE_LABELS.get(SquadPhase(group.phase), group.phase) for group in groups]
    chart = charts.bar_chart(
        labels,
        [
            charts.Series("Start-ups d’État", [len(group.squads) for group in groups]),
            charts.Series("Correctifs livrés sur la période", [sum(len(s.fixes) for s in group.squads)
                                                               for group in groups], tone=4),
        ],
    )  # fmt: skip
    said = " ; ".join(
        f"{label} : {plural(len(group.squads), 'start-up', 'start-ups')}, "
        f"{plural(sum(len(s.fixes) for s in group.squads), 'correctif livré', 'correctifs livrés')}"
        for label, group in zip(labels, groups, strict=True)
    )
    rows = []
    for label, group in zip(labels, groups, strict=True):
        for squad in group.squads:
            effects = " ; ".join(
                f"n° {fix.cluster_id} ({fix.fixed_on.strftime('%d/%m')}) : {fix.verdict_label}"
                + (f", ×{number_fr(round(fix.ratio, 2))}" if fix.ratio not in (None, float("inf")) else "")
                for fix in squad.fixes
            )
            rows.append(
                [
                    (squad.name, url_for("board.squad_page", slug=squad.slug)),
                    (label, None),
                    (
                        number_fr(squad.open_irritants),
                        backlog_link(data.filters, {**data.backlog, "squad": squad.slug}),
                    ),
                    (number_fr(len(squad.fixes)), None),
                    (effects or "—", None),
                ]
            )
    heading = "Start-ups d’État par phase"
    return Section(
        id="startups",
        heading=heading,
        caption=f"{heading}, avec leurs correctifs livrés sur la période et leur effet mesuré",
        headers=("Start-up d’État", "Phase", "Irritants ouverts", "Correctifs livrés", "Effet mesuré"),
        rows=rows,
        intro="L’effet d’un correctif compare les signalements reçus chaque semaine avant et après sa livraison.",
        figure=Figure(chart, heading, f"Par phase : {said}." if groups else "Aucune start-up d’État.", (), []),
        x_label="Phase",
        y_label="Nombre",
        empty_text="Aucune start-up d’État pour ces filtres.",
    )


def equity(data: DashboardData) -> Section:
    """Per irritant, the share of reports made with help (France Services, telephone, counter, post) against the
    average: irritants that hit people far from digital services stand out even with little online volume."""
    found = data.equity
    rows_shown = found.rows[:MAX_BARS]
    average = found.average
    chart = charts.bar_chart(
        [f"n° {row.id}" for row in rows_shown],
        [
            charts.Series("Part aidée de l’irritant (%)", [round(row.share * 100, 1) for row in rows_shown]),
            charts.Series("Moyenne (%)", [round(average * 100, 1) if average is not None else None
                                           for _ in rows_shown], tone=2),
        ],
        integer=False,
    )  # fmt: skip
    said = " ; ".join(f"n° {row.id} « {row.label} » : {percent(row.share)}" for row in rows_shown)
    heading = "Équité : part des signalements faits avec une aide"
    description = (
        f"Moyenne sur la période : {percent(average)}. {said}." if rows_shown else "Aucun irritant assez signalé."
    )
    rows = [
        [
            (f"n° {row.id} — {row.label}", irritant_link(row.id)),
            (number_fr(row.reports), None),
            (number_fr(row.assisted), None),
            (percent(row.share), None),
            ("—" if row.ratio is None else f"×{number_fr(round(row.ratio, 2))}", None),
        ]
        for row in found.rows
    ]
    return Section(
        id="equite",
        heading=heading,
        caption=f"{heading}, par irritant, contre la moyenne ({percent(average)})",
        headers=("Irritant", "Signalements", "Faits avec une aide", "Part aidée", "Rapport à la moyenne"),
        rows=rows,
        intro=(
            "Un signalement est « aidé » quand il est fait dans un espace France Services, par téléphone, au guichet "
            f"ou par courrier. Moyenne de la période : {percent(average)} ; irritants d’au moins "
            f"{plural(found.minimum, 'signalement', 'signalements')} sur la période, les plus aidés d’abord."
        ),
        figure=Figure(chart, heading, description, (), []),
        x_label="Irritant",
        y_label="Part aidée (%)",
        empty_text="Aucun irritant n’a assez de signalements sur la période pour une part.",
    )


def irritant_list(
    data: DashboardData,
    section_id: str,
    heading: str,
    items: Sequence[IrritantFigure],
    *,
    intro: str,
    empty_text: str,
    more: str,
) -> Section:
    """A list of irritants (no chart): each leads to its page; ``more``: the backlog listing all of them."""
    return Section(
        id=section_id,
        heading=heading,
        caption=heading,
        headers=IRRITANT_HEADERS,
        rows=[irritant_row(item) for item in items],
        intro=intro,
        empty_text=empty_text,
        more=more,
    )
