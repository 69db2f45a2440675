"""The one vocabulary of the dashboard's, the exports' and the statistics' filters (irritants/insights/filters.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from irritants.errors import ValidationFailed
from irritants.insights.filters import InsightFilters, check_known, load_filters, parse_filters, report_conditions
from irritants.intake.models import Report, Severity
from irritants.referential.models import Administration, Procedure
from tests.conftest import make_cluster, make_report, make_squad

ON = dt.date(2026, 12, 3)


def test_without_parameters_the_last_ninety_days_up_to_today():
    filters, errors = parse_filters(MultiDict(), on=ON)
    assert errors == {}
    assert (filters.start, filters.end, filters.days) == (dt.date(2026, 9, 5), ON, 90)
    assert not filters.narrowed
    previous = filters.previous()
    assert (previous.start, previous.end) == (dt.date(2026, 6, 7), dt.date(2026, 9, 4))


def test_parameters_round_trip_through_the_url():
    args = MultiDict(
        {"from": "2026-11-01", "to": "2026-11-30", "administration": "caf", "region": "32", "channel": "telephone"}
    )
    filters, errors = parse_filters(args, on=ON)
    assert errors == {}
    assert filters == InsightFilters(
        start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30), administration="caf", region="32", channel="telephone"
    )
    assert filters.narrowed
    assert parse_filters(MultiDict(filters.as_query()), on=ON)[0] == filters
    assert filters.previous().start == dt.date(2026, 10, 2)  # 30 days before


@pytest.mark.parametrize(
    ("args", "param", "message"),
    [
        ({"from": "2026-13-01"}, "from", "Date de début invalide (AAAA-MM-JJ)."),
        ({"from": "2026-11-10", "to": "2026-11-01"}, "from", "La date de début doit précéder la date de fin."),
        ({"to": "2027-02-01"}, "to", "La date de fin ne peut pas être dans le futur."),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "from", "Période trop longue : trois ans au plus."),
        ({"territory": "59", "region": "32"}, "region", "Choisissez un département ou une région, pas les deux."),
        ({"territory": "999"}, "territory", "Code de département invalide (ex. 59, 2A, 974)."),
        ({"severity": "enorme"}, "severity", "Gravité inconnue."),
    ],
)
def test_a_wrong_value_is_named_in_french_and_the_rest_still_applies(args, param, message):
    filters, errors = parse_filters(MultiDict({**args, "channel": "courrier"}), on=ON)
    assert errors[param] == [message]
    assert filters.channel == "courrier"
    with pytest.raises(ValidationFailed) as refused:
        load_filters({**args, "channel": "courrier"}, on=ON)
    assert refused.value.errors[param] == [message]


def test_conditions_select_the_reports_of_the_period_and_the_filters(session):
    squad = make_squad(session, "Rendez-vous en ligne")
    taken = make_cluster(session, reports=0, squad_id=squad.id)
    other = make_cluster(session, "Autre irritant", reports=0)
    inside = dt.datetime(2026, 11, 30, 22, 30, tzinfo=dt.UTC)  # 23:30 in Paris: still 30 November
    after = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # 00:30 in Paris on 1 December
    make_report(session, cluster=taken, created_at=inside, territory="59", channel="telephone")
    make_report(session, cluster=taken, created_at=after, territory="59", channel="telephone")
    make_report(session, cluster=other, created_at=inside, territory="62", severity="blocage")
    make_report(session, cluster=other, created_at=inside, territory="13")

    def count(**params):
        filters = load_filters({"from": "2026-11-01", "to": "2026-11-30", **params}, on=ON)
        return session.scalar(select(func.count(Report.id)).where(*report_conditions(session, filters)))

    assert count() == 3
    assert count(region="32") == 2  # Nord and Pas-de-Calais, not Bouches-du-Rhône
    assert count(territory="59", channel="telephone") == 1
    assert count(severity=Severity.BLOCAGE.value) == 1
    assert count(squad=squad.slug) == 1
    assert count(squad="personne") == 0
    assert count(administration="inconnue") == 0


def test_unknown_names_are_reported(session):
    filters = load_filters({"administration": "inconnue", "territory": "59", "squad": "personne"}, on=ON)
    assert check_known(session, filters) == {
        "administration": ["Administration inconnue."],
        "squad": ["Start-up d'État inconnue."],
    }


def test_a_demarche_is_named_with_its_administration(session):
    """« prime-activite » is a démarche of the CAF and of the MSA: ``procedure`` names both, « caf/prime-activite »."""

    def procedure_id(admin, slug):
        return session.scalar(
            select(Procedure.id).join(Administration).where(Administration.slug == admin, Procedure.slug == slug)
        )

    at = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    make_report(session, created_at=at, procedure_id=procedure_id("caf", "prime-activite"))
    make_report(session, administration="msa", created_at=at, procedure_id=procedure_id("msa", "prime-activite"))
    filters, errors = parse_filters(MultiDict({"procedure": "caf/prime-activite", "to": "2026-11-30"}), on=ON)
    assert errors == {} and filters.procedure == "caf/prime-activite" and filters.narrowed
    assert filters.as_query()["procedure"] == "caf/prime-activite"
    assert session.scalar(select(func.count(Report.id)).where(*report_conditions(session, filters))) == 1
    assert check_known(session, filters) == {}
    unknown = load_filters({"procedure": "caf/rien"}, on=ON)
    assert check_known(session, unknown) == {"procedure": ["Démarche inconnue."]}
    assert parse_filters(MultiDict({"procedure": "prime-activite"}), on=ON)[1] == {"procedure": ["Démarche inconnue."]}
