"""What anyone reads of the irritants without signing in: the list (searched, filtered, sorted, paged) and the
roadmap in three columns (planned, in progress, fixed recently), like the public roadmaps of Fider or Canny.

An irritant is listed as ``clusters.services.list_clusters`` lists it (``clusters.services.listed``: not spam, not
a duplicate — its original is listed —, with reports); only its label, counts, status, administration and squad are
read here, never a report's text. The narrowing filters are the insights' vocabulary (``filters.py``: administration,
démarche, département), applied to the irritants' reports without a period; search, status, order and page are the
list's own. Functions take the session first and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import marshmallow as ma
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from irritants.clusters import services as clusters
from irritants.clusters.models import Cluster
from irritants.insights import filters as insight_filters
from irritants.insights.filters import InsightFilters
from irritants.intake.models import Report
from irritants.paging import Page, page_field, paginate
from irritants.squads.models import Squad
from irritants.status import StatusKind

PAGE_SIZE = 20
SORTS: dict[str, str] = {"score": "Priorité (score)", "people": "Personnes concernées"}
# The narrowing filters the list takes from the insights' vocabulary (no period: every published irritant).
NARROWING = ("administration", "procedure", "territory")
LISTED_STATUSES = tuple(s for s in StatusKind if s not in (StatusKind.SPAM, StatusKind.DUPLICATE))
ROADMAP_DAYS = 90  # « corrigés récemment »: a fix declared these last days
ROADMAP_LIMIT = 30  # cards per column; the list, filtered on the column's status, shows them all
Q_MAX = 200


class ListQuerySchema(ma.Schema):
    """The list's own parameters, with French messages."""

    q = ma.fields.String(
        validate=ma.validate.Length(max=Q_MAX, error=f"Recherche trop longue ({Q_MAX} caractères au plus).")
    )
    status = ma.fields.Enum(StatusKind, by_value=True, error_messages={"unknown": "Statut inconnu."})
    sort = ma.fields.String(load_default="score", validate=ma.validate.OneOf(list(SORTS), error="Tri inconnu."))
    page = page_field()

    @ma.pre_load
    def _drop_blanks(self, data: Any, **_: Any) -> Any:
        return {k: v.strip() if isinstance(v, str) else v for k, v in data.items() if v not in ("", None)}

    @ma.validates("status")
    def _listed(self, value: StatusKind, **_: Any) -> None:
        if value not in LISTED_STATUSES:
            raise ma.ValidationError("Statut inconnu.")


@dataclass(frozen=True)
class ListQuery:
    """What the list shows: narrowing filters, search, status, order, page (all in the URL)."""

    filters: InsightFilters = field(default_factory=InsightFilters.default)
    q: str | None = None
    status: StatusKind | None = None
    sort: str = "score"
    page: int = 1

    def as_query(self, **changes: Any) -> dict[str, str]:
        """The URL's parameters that are set (for the pages' links and the way back after « moi aussi »)."""
        values = {
            **{name: getattr(self.filters, name) for name in NARROWING},
            "q": self.q,
            "status": self.status.value if self.status else None,
            "sort": self.sort if self.sort != "score" else None,
            "page": self.page if self.page != 1 else None,
            **changes,
        }
        return {key: str(value) for key, value in values.items() if value not in (None, "")}

    @property
    def narrowed(self) -> bool:
        return bool(self.filters.narrowed or self.q or self.status)


def parse_list_query(session: Session, args: Any) -> tuple[ListQuery, dict[str, list[str]]]:
    """The list's query from a query string; a wrong or unknown value is dropped and named (parameter → French
    messages), so the list still shows the rest."""
    narrowing = {name: args.get(name) for name in NARROWING if args.get(name)}
    filters, errors = insight_filters.parse_filters(narrowing)
    unknown = insight_filters.check_known(session, filters)
    if unknown:
        filters = replace(filters, **dict.fromkeys(unknown))
        errors.update(unknown)
    schema = ListQuerySchema()
    raw = {key: args.get(key) for key in schema.fields if args.get(key) is not None}
    try:
        own = schema.load(raw)
    except ma.ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_form": err.messages}
        own = schema.load({k: v for k, v in raw.items() if k not in messages})
        errors.update({key: list(value) for key, value in messages.items()})
    return ListQuery(filters=filters, **own), errors


def public_irritants(session: Session, query: ListQuery, *, page_size: int = PAGE_SIZE) -> Page[Cluster]:
    """One page of the published irritants that match ``query``, in its order."""
    stmt = select(Cluster).where(clusters.listed())
    conditions = insight_filters.report_conditions(session, query.filters, period=False)
    if conditions:
        stmt = stmt.where(exists(select(Report.id).where(Report.cluster_id == Cluster.id, *conditions)))
    if query.q:
        stmt = stmt.where(clusters.search_condition(query.q))
    if query.status is not None:
        stmt = stmt.where(Cluster.status == query.status)
    if query.sort == "people":
        stmt = stmt.order_by(Cluster.people.desc(), Cluster.score.desc(), Cluster.id)
    else:
        stmt = stmt.order_by(Cluster.score.desc(), Cluster.id)
    return paginate(session, stmt, page=query.page, page_size=page_size)


@dataclass(frozen=True)
class Card:
    """An irritant as the list and the roadmap show it: itself, its main administration's name and its squad."""

    cluster: Cluster
    administration: str | None
    squad: Squad | None


def cards(session: Session, items: list[Cluster]) -> list[Card]:
    """Cards of these irritants (two queries, whatever their number)."""
    admin_ids = {c.main_administration_id for c in items if c.main_administration_id}
    squad_ids = {c.squad_id for c in items if c.squad_id}
    names = clusters.administration_names(session, sorted(admin_ids))
    rows = session.scalars(select(Squad).where(Squad.id.in_(sorted(squad_ids)))) if squad_ids else []
    squads = {squad.id: squad for squad in rows}
    return [Card(c, names.get(c.main_administration_id or 0), squads.get(c.squad_id or 0)) for c in items]


@dataclass(frozen=True)
class Column:
    """One column of the roadmap: its cards (``ROADMAP_LIMIT`` at most) and how many irritants it holds."""

    key: str
    title: str
    description: str
    cards: list[Card]
    total: int


def roadmap(session: Session, *, today: dt.date, days: int = ROADMAP_DAYS, limit: int = ROADMAP_LIMIT) -> list[Column]:
    """The three columns: taken by a squad (planned), being fixed (in progress, and fixed ones that came back), and
    fixed these last ``days`` days (Paris days, the declared fix day), the most recent first."""
    since = today - dt.timedelta(days=days - 1)
    columns = (
        ("planned", "Planifié", "Une start-up d’État l’a pris en charge.", [StatusKind.PLANNED], None),
        (
            "in_progress",
            "En cours",
            "La correction est en cours (ou reprend : l’irritant est réapparu après un correctif).",
            [StatusKind.IN_PROGRESS, StatusKind.REGRESSED],
            None,
        ),
        (
            "fixed",
            "Corrigé récemment",
            f"Un correctif a été livré ces {days} derniers jours.",
            [StatusKind.FIXED],
            since,
        ),
    )
    out = []
    for key, title, description, statuses, fixed_since in columns:
        stmt = select(Cluster).where(clusters.listed(), Cluster.status.in_(statuses))
        if fixed_since is not None:
            stmt = stmt.where(Cluster.fixed_on >= fixed_since).order_by(
                Cluster.fixed_on.desc(), Cluster.score.desc(), Cluster.id
            )
        else:
            stmt = stmt.order_by(Cluster.score.desc(), Cluster.id)
        page = paginate(session, stmt, page=1, page_size=limit)
        out.append(Column(key, title, description, cards(session, page.items), page.total))
    return out
