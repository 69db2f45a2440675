"""The filters of every figure and export: a period (``from``/``to``, Paris days) and who or what it is about.

One dataclass, one schema (French messages), one way to turn them into conditions on reports. The parameter names
are the backlog's (``administration``, ``territory``, ``severity``, ``squad``) plus ``from``, ``to``, ``region``,
``channel`` and ``procedure`` (a démarche, « caf/demande-rsa »); the ``export`` command takes the same as options
(``--from``, ``--to``, …), so a shared dashboard link and a command line say the same thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from typing import Any

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.orm import Session

from irritants.clusters.models import Cluster
from irritants.errors import ValidationFailed
from irritants.french import midnight, today
from irritants.intake.models import Report, Severity
from irritants.referential.models import Administration, Channel, Procedure, Territory
from irritants.squads.models import Squad

DEFAULT_DAYS = 90  # without ``from``: the last 90 days, today included
MAX_DAYS = 3 * 366  # a period longer than three years is refused (the figures are about recent work)
EARLIEST = dt.date(2000, 1, 1)

# The URL's parameter → the dataclass's field (``from`` is a Python keyword).
PARAMS: dict[str, str] = {
    "from": "start",
    "to": "end",
    "administration": "administration",
    "territory": "territory",
    "region": "region",
    "channel": "channel",
    "severity": "severity",
    "squad": "squad",
    "procedure": "procedure",
}


@dataclass(frozen=True)
class InsightFilters:
    """A period of Paris days, both ends included, and optional narrowing; ``territory`` and ``region`` exclude
    each other (a département is in one region)."""

    start: dt.date
    end: dt.date
    administration: str | None = None  # an administration's slug
    territory: str | None = None  # a département's code (59, 2A, 974)
    region: str | None = None  # a region's INSEE code (32, 84)
    channel: str | None = None  # a channel's code (en_ligne, telephone…)
    severity: Severity | None = None
    squad: str | None = None  # a squad's slug
    procedure: str | None = None  # a démarche: its administration's slug, « / », its own (« caf/demande-rsa »)

    @classmethod
    def default(cls, *, on: dt.date | None = None) -> InsightFilters:
        """The last ``DEFAULT_DAYS`` days up to ``on`` (today in Paris)."""
        end = on or today()
        return cls(start=end - dt.timedelta(days=DEFAULT_DAYS - 1), end=end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> InsightFilters:
        """The same filters over the period of the same length that ends the day before this one starts."""
        end = self.start - dt.timedelta(days=1)
        return replace(self, start=end - dt.timedelta(days=self.days - 1), end=end)

    @property
    def moments(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as instants: from midnight in Paris on ``start`` to the midnight that ends ``end``
        (``created_at >= lo and created_at < hi``)."""
        return midnight(self.start), midnight(self.end + dt.timedelta(days=1))

    def within(self, administration: str | None) -> InsightFilters:
        """These filters held to ``administration`` whatever they said (a correspondant's: see
        ``auth.policy.forced_administration``); unchanged when None."""
        return self if administration is None else replace(self, administration=administration)

    @property
    def narrowed(self) -> bool:
        """Whether anything but the period narrows the figures."""
        return any(
            (self.administration, self.territory, self.region, self.channel, self.severity, self.squad, self.procedure)
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        """The URL's parameters (``from``/``to`` always, the others when set), for links and shared addresses."""
        values = {**asdict(self), **changes}
        out = {}
        for param, field in PARAMS.items():
            value = values[field]
            if value in (None, ""):
                continue
            out[param] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out


class InsightQuerySchema(ma.Schema):
    """The filters as a query string (dashboard, exports, statistics) or as the ``export`` command's options."""

    start = ma.fields.Date(data_key="from", error_messages={"invalid": "Date de début invalide (AAAA-MM-JJ)."})
    end = ma.fields.Date(data_key="to", error_messages={"invalid": "Date de fin invalide (AAAA-MM-JJ)."})
    administration = ma.fields.String(
        validate=ma.validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,59}$", error="Administration inconnue.")
    )
    territory = ma.fields.String(
        validate=ma.validate.Regexp(r"^(\d{2}|2[AB]|97\d)$", error="Code de département invalide (ex. 59, 2A, 974).")
    )
    region = ma.fields.String(
        validate=ma.validate.Regexp(r"^\d{2}$", error="Code de région invalide (code INSEE à deux chiffres, ex. 32).")
    )
    channel = ma.fields.String(validate=ma.validate.Regexp(r"^[a-z_]{1,40}$", error="Canal inconnu."))
    severity = ma.fields.Enum(Severity, by_value=True, error_messages={"unknown": "Gravité inconnue."})
    squad = ma.fields.String(
        validate=ma.validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,99}$", error="Start-up d'État inconnue.")
    )
    # A procedure's slug is unique within its administration only (« prime-activite » at the CAF and at the MSA).
    procedure = ma.fields.String(
        validate=ma.validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,59}/[a-z0-9][a-z0-9-]{0,79}$", error="Démarche inconnue.")
    )

    def __init__(self, *args: Any, on: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on = on

    @ma.pre_load
    def _drop_blanks(self, data: Any, **_: Any) -> Any:
        # An empty field of the filter form means "no filter"; an empty date, the default period.
        return {k: v.strip() if isinstance(v, str) else v for k, v in data.items() if v not in ("", None)}

    @ma.validates_schema
    def _coherent(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("start"), data.get("end")
        today_ = self.on or today()
        if start and start < EARLIEST:
            raise ma.ValidationError("Date de début trop ancienne.", "from")
        if end and end > today_ + dt.timedelta(days=1):
            raise ma.ValidationError("La date de fin ne peut pas être dans le futur.", "to")
        if start and end and start > end:
            raise ma.ValidationError("La date de début doit précéder la date de fin.", "from")
        if start and end and (end - start).days + 1 > MAX_DAYS:
            raise ma.ValidationError("Période trop longue : trois ans au plus.", "from")
        if data.get("territory") and data.get("region"):
            raise ma.ValidationError("Choisissez un département ou une région, pas les deux.", "region")

    @ma.post_load
    def _filters(self, data: dict[str, Any], **_: Any) -> InsightFilters:
        end = data.pop("end", None) or self.on or today()
        start = data.pop("start", None) or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if start > end:  # only ``from`` given, after today
            start = end
        return InsightFilters(start=start, end=end, **data)


def parse_filters(args: Any, *, on: dt.date | None = None) -> tuple[InsightFilters, dict[str, list[str]]]:
    """Filters from a query string (or any mapping with ``get``); a value in error is dropped and reported
    (parameter → French messages), so a page still shows figures for the rest."""
    schema = InsightQuerySchema(on=on)
    raw = {param: args.get(param) for param in PARAMS if args.get(param) is not None}
    try:
        return schema.load(raw), {}
    except ma.ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_form": err.messages}
        kept = {key: value for key, value in raw.items() if key not in messages}
        try:
            return schema.load(kept), {key: list(value) for key, value in messages.items()}
        except ma.ValidationError:  # a cross-field error stays after dropping: fall back to the default period
            return InsightFilters.default(on=on), {key: list(value) for key, value in messages.items()}


def load_filters(values: dict[str, Any], *, on: dt.date | None = None) -> InsightFilters:
    """Filters from given values (the ``export`` command's options, the API): any error refuses the whole set
    (``ValidationFailed`` with the messages by parameter)."""
    try:
        return InsightQuerySchema(on=on).load({k: v for k, v in values.items() if v is not None})
    except ma.ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_form": err.messages}
        raise ValidationFailed("Filtres invalides.", errors=messages) from err


def check_known(session: Session, filters: InsightFilters) -> dict[str, list[str]]:
    """The filters naming something that does not exist (parameter → French message); empty when all are known."""
    problems: dict[str, list[str]] = {}
    checks = (
        ("administration", Administration.slug, filters.administration, "Administration inconnue."),
        ("territory", Territory.code, filters.territory, "Département inconnu."),
        ("region", Territory.region_code, filters.region, "Région inconnue."),
        ("channel", Channel.code, filters.channel, "Canal inconnu."),
        ("squad", Squad.slug, filters.squad, "Start-up d'État inconnue."),
    )
    for param, column, value, message in checks:
        if value and session.scalar(select(column).where(column == value).limit(1)) is None:
            problems[param] = [message]
    if filters.procedure and session.scalar(_procedure_id(filters.procedure)) is None:
        problems["procedure"] = ["Démarche inconnue."]
    return problems


def column_conditions(filters: InsightFilters, **columns: Any) -> list[Any]:
    """SQL conditions for the administration, département or region, channel and severity filters on any table
    holding those columns (``administration_id``, ``territory_code``, ``channel_code``, ``severity``, given by
    name: the reports, a daily rollup); a filter whose column is not given is left out."""
    conditions: list[Any] = []
    column = columns.get
    if filters.administration and column("administration_id") is not None:
        conditions.append(
            column("administration_id")
            == select(Administration.id).where(Administration.slug == filters.administration).scalar_subquery()
        )
    if filters.territory and column("territory_code") is not None:
        conditions.append(column("territory_code") == filters.territory)
    if filters.region and column("territory_code") is not None:
        conditions.append(
            column("territory_code").in_(select(Territory.code).where(Territory.region_code == filters.region))
        )
    if filters.channel and column("channel_code") is not None:
        conditions.append(column("channel_code") == filters.channel)
    if filters.severity and column("severity") is not None:
        conditions.append(column("severity") == filters.severity)
    return conditions


def _procedure_id(value: str) -> Any:
    """The id of the démarche « administration/démarche » (a select of one value, or of none)."""
    administration, _, procedure = value.partition("/")
    return (
        select(Procedure.id)
        .join(Administration, Administration.id == Procedure.administration_id)
        .where(Administration.slug == administration, Procedure.slug == procedure)
    )


def report_conditions(session: Session, filters: InsightFilters, *, period: bool = True) -> list[Any]:
    """SQL conditions on ``Report`` for these filters (the period too unless ``period=False``); an unknown name
    matches nothing. The squad is the one an irritant is assigned to now."""
    conditions: list[Any] = []
    if period:
        lo, hi = filters.moments
        conditions += [Report.created_at >= lo, Report.created_at < hi]
    conditions += column_conditions(
        filters,
        administration_id=Report.administration_id,
        territory_code=Report.territory_code,
        channel_code=Report.channel_code,
        severity=Report.severity,
    )
    if filters.squad:
        squad_id = select(Squad.id).where(Squad.slug == filters.squad).scalar_subquery()
        conditions.append(Report.cluster_id.in_(select(Cluster.id).where(Cluster.squad_id == squad_id)))
    if filters.procedure:
        conditions.append(Report.procedure_id == _procedure_id(filters.procedure).scalar_subquery())
    return conditions
