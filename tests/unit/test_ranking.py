"""Explainable cluster score: exact breakdown, monotone inputs, half-life, weights, deterministic ranking."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from irritants.intake.models import Severity
from irritants.ranking import (
    GROWTH_CAP,
    SEVERITIES,
    TERM_LABELS,
    ClusterSignals,
    ScoreBreakdown,
    SeverityFactors,
    Weights,
    decayed_mass,
    rank,
    score_cluster,
)

weight = st.floats(min_value=0, max_value=100, allow_nan=False)
factors = st.lists(st.floats(min_value=0, max_value=50), min_size=4, max_size=4).map(
    lambda values: SeverityFactors(*sorted(values))
)
weights = st.builds(
    Weights,
    people=weight,
    severity=weight,
    severity_factors=factors,
    recency=weight,
    half_life_days=st.floats(min_value=0.5, max_value=365),
    growth=weight,
    breadth=weight,
    equity=weight,
)
count = st.integers(min_value=0, max_value=50_000)
# Enough examples to find a counter-example to any of these properties, few enough to keep the file under seconds.
PROPERTY = settings(max_examples=60, deadline=None)
ages = st.lists(st.floats(min_value=-1, max_value=3650), max_size=12)


@st.composite
def signals(draw: st.DrawFn) -> ClusterSignals:
    reports = draw(count)
    return ClusterSignals(
        people=draw(count),
        reports=reports,
        assisted=draw(st.integers(min_value=0, max_value=reports)),
        severity_counts={severity: draw(count) for severity in SEVERITIES},
        report_ages_days=draw(ages),
        last_30_days=draw(count),
        previous_30_days=draw(count),
        territories=draw(st.integers(min_value=0, max_value=110)),
        administrations=draw(st.integers(min_value=0, max_value=40)),
    )


def plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def total(cluster: ClusterSignals, w: Weights) -> float:
    return score_cluster(cluster, w).total


# --- the breakdown -------------------------------------------------------------------------------------------------


@PROPERTY
@given(signals(), weights)
def test_the_total_is_exactly_the_sum_of_the_contributions_in_any_order(cluster, w):
    breakdown = score_cluster(cluster, w)
    contributions = [term.contribution for term in breakdown.terms.values()]
    assert breakdown.total == sum(contributions) == sum(reversed(contributions)) == math.fsum(contributions)
    assert all(c >= 0 for c in contributions)
    assert list(breakdown.terms) == list(TERM_LABELS)


def test_a_breakdown_whose_total_is_not_the_sum_is_refused():
    breakdown = score_cluster(ClusterSignals(people=3, reports=3))
    with pytest.raises(ValueError):
        ScoreBreakdown(total=breakdown.total + 1, terms=breakdown.terms)


def test_as_dict_is_json_and_keeps_the_display_order():
    breakdown = score_cluster(ClusterSignals(people=42, reports=40, assisted=4, territories=3, administrations=1))
    data = json.loads(json.dumps(breakdown.as_dict()))
    assert data["total"] == breakdown.total
    assert [t["name"] for t in data["terms"]] == list(TERM_LABELS)
    assert data["terms"][0] == {
        "name": "people",
        "label": "Personnes concernées",
        "value": "42\u00a0personnes",
        "contribution": breakdown.terms["people"].contribution,
        "explanation": breakdown.terms["people"].explanation,
        "inputs": {"people": 42},
    }


# --- monotone in each positive input, non-increasing in the negative one ------------------------------------------


def grown(cluster: ClusterSignals, more: int, severity: str, age: float, index: int, younger_by: float):
    """The cluster with one positive input grown at a time, by name."""
    counts = dict(cluster.severity_counts)
    counts[severity] += more
    ages = list(cluster.report_ages_days)
    variants = {
        "people": replace(cluster, people=cluster.people + more),
        f"severity_counts[{severity}]": replace(cluster, severity_counts=counts),
        "one more dated item": replace(cluster, report_ages_days=[*ages, age]),
        "last_30_days": replace(cluster, last_30_days=cluster.last_30_days + more),
        "territories": replace(cluster, territories=cluster.territories + more),
        "administrations": replace(cluster, administrations=cluster.administrations + more),
    }
    if ages:
        ages[index % len(ages)] -= younger_by
        variants["a younger item"] = replace(cluster, report_ages_days=ages)
    if cluster.assisted < cluster.reports:
        variants["assisted, reports fixed"] = replace(cluster, assisted=cluster.assisted + 1)
    return variants


# One test draws once and checks every input: drawing dominates the cost, and each failure names its input.
@PROPERTY
@given(
    signals(),
    weights,
    st.integers(min_value=1, max_value=1000),
    st.sampled_from(SEVERITIES),
    st.floats(min_value=0, max_value=3650),
    st.integers(min_value=0, max_value=100),
    st.floats(min_value=0, max_value=3650),
)
def test_the_score_never_decreases_when_a_positive_input_grows(cluster, w, more, severity, age, index, younger_by):
    base = total(cluster, w)
    for name, bigger in grown(cluster, more, severity, age, index, younger_by).items():
        assert total(bigger, w) >= base, name
    assert total(replace(cluster, previous_30_days=cluster.previous_30_days + more), w) <= base, "previous_30_days"


@PROPERTY
@given(signals(), weights, st.sampled_from(SEVERITIES), st.booleans(), st.booleans())
@example(  # a share-based equity term would lower this fully assisted cluster's score
    cluster=ClusterSignals(people=10, reports=10, assisted=10),
    w=Weights(severity=0, recency=0, growth=0, breadth=0, equity=5),
    severity="gene",
    assisted=False,
    new_place=False,
)
def test_a_new_report_assisted_or_not_never_lowers_the_score(cluster, w, severity, assisted, new_place):
    counts = dict(cluster.severity_counts)
    counts[severity] += 1
    newer = replace(
        cluster,
        people=cluster.people + 1,
        reports=cluster.reports + 1,
        assisted=cluster.assisted + assisted,
        severity_counts=counts,
        report_ages_days=[*cluster.report_ages_days, 0.0],
        last_30_days=cluster.last_30_days + 1,
        territories=cluster.territories + new_place,
    )
    assert total(newer, w) >= total(cluster, w)


# --- recency and half-life -----------------------------------------------------------------------------------------


def test_a_report_one_half_life_old_counts_half():
    assert decayed_mass([30.0], 30.0) == 0.5
    assert decayed_mass([0.0, 60.0], 30.0) == 1.25
    assert decayed_mass([7.0], 7.0) == 0.5


def test_one_report_a_half_life_old_weighs_what_two_reports_two_half_lives_old_do():
    one = score_cluster(ClusterSignals(report_ages_days=[30.0]))
    two = score_cluster(ClusterSignals(report_ages_days=[60.0, 60.0]))
    assert one.terms["recency"].contribution == two.terms["recency"].contribution > 0


def test_a_longer_half_life_keeps_old_reports_heavier():
    old = ClusterSignals(report_ages_days=[90.0] * 10)
    short, long = Weights(half_life_days=15), Weights(half_life_days=90)

    def recency(w: Weights) -> float:
        return score_cluster(old, w).terms["recency"].contribution

    assert recency(long) > recency(short) > 0


def test_decayed_mass_is_exact_whatever_the_row_order_and_treats_clock_skew_as_fresh():
    ages = [0.1 * i for i in range(1000)]
    assert decayed_mass(ages, 30.0) == decayed_mass(list(reversed(ages)), 30.0)
    assert decayed_mass([-0.5], 30.0) == 1.0
    assert decayed_mass([], 30.0) == 0.0
    with pytest.raises(ValueError):
        decayed_mass([1.0], 0.0)


# --- growth, breadth and equity shapes -----------------------------------------------------------------------------


def test_growth_is_never_negative_smoothed_for_small_numbers_and_capped():
    def growth(last: int, previous: int) -> float:
        return score_cluster(ClusterSignals(last_30_days=last, previous_30_days=previous)).terms["growth"].contribution

    assert growth(0, 50) == 0.0
    assert 0 < growth(1, 0) < Weights().growth
    assert growth(10_000, 0) == growth(100_000, 0) == Weights().growth * GROWTH_CAP


def test_a_single_departement_and_administration_add_no_breadth():
    one = score_cluster(ClusterSignals(territories=1, administrations=1)).terms["breadth"]
    assert one.contribution == 0.0
    wide = score_cluster(ClusterSignals(territories=10, administrations=2)).terms["breadth"]
    assert wide.contribution == pytest.approx(Weights().breadth * math.log(20), abs=1e-5)


def test_an_assisted_report_counts_for_one_plus_equity_people():
    alone = score_cluster(ClusterSignals(people=1, reports=1, assisted=1))
    three = score_cluster(ClusterSignals(people=3, reports=3))
    assert alone.terms["people"].contribution + alone.terms["equity"].contribution == three.terms["people"].contribution


def test_repeated_assisted_reports_of_one_person_stand_for_one_person_only():
    repeated = score_cluster(ClusterSignals(people=1, reports=3, assisted=3)).terms["equity"]
    once = score_cluster(ClusterSignals(people=1, reports=1, assisted=1)).terms["equity"]
    assert repeated.contribution == once.contribution > 0


def test_a_lone_assisted_report_does_not_outrank_a_larger_cluster():
    lone = ClusterSignals(people=1, reports=1, assisted=1, severity_counts={"blocage": 1}, report_ages_days=[0])
    larger = ClusterSignals(people=5, reports=5, severity_counts={"blocage": 5}, report_ages_days=[0] * 5)
    assert [key for key, _ in rank({"lone": lone, "larger": larger})] == ["larger", "lone"]


# --- weights -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["people", "severity", "recency", "growth", "breadth", "equity"])
def test_a_zero_weight_removes_its_term_and_says_so(name):
    cluster = ClusterSignals(
        people=20,
        reports=15,
        assisted=5,
        severity_counts={"blocage": 15},
        report_ages_days=[1.0] * 20,
        last_30_days=20,
        territories=4,
        administrations=2,
    )
    term = score_cluster(cluster, Weights.from_mapping({name: 0})).terms[name]
    assert term.contribution == 0.0
    assert "critère désactivé" in term.explanation
    assert score_cluster(cluster).terms[name].contribution > 0


def test_without_the_people_term_equity_has_nothing_to_weigh():
    cluster = ClusterSignals(people=20, reports=15, assisted=5)
    equity = score_cluster(cluster, Weights(people=0)).terms["equity"]
    assert equity.contribution == 0.0 and "sans effet" in equity.explanation


@pytest.mark.parametrize(
    "raw",
    [
        {"people": -1},
        {"growth": -0.5},
        {"equity": float("nan")},
        {"recency": float("inf")},
        {"breadth": True},
        {"severity": "5"},
        {"severity": 2_000_000},
        {"half_life_days": 0},
        {"severity_factors": {"blocage": -4}},
        {"severity_factors": {"blocage": 16}},
        {"severity_factors": {"urgence": 3}},
        {"severity_factors": [1, 2, 4, 8]},
        {"popularity": 1},
    ],
)
def test_invalid_weights_are_refused(raw):
    with pytest.raises(ValueError):
        Weights.from_mapping(raw)


def test_weights_from_configuration_keep_defaults_and_round_trip():
    w = Weights.from_mapping(json.loads('{"people": 12, "severity_factors": {"rupture_de_droits": 10}}'))
    assert w.people == 12.0 and w.recency == Weights().recency
    assert w.severity_factors == SeverityFactors(rupture_de_droits=10)
    assert Weights.from_mapping(w.as_dict()) == w
    assert Weights.from_mapping({}) == Weights()


def test_weights_from_json_text_as_the_environment_gives_them():
    assert Weights.from_json('{"people": 12}') == Weights(people=12)
    assert Weights.from_json("  ") == Weights()
    for bad in ('{"people": 12', "[1]", '{"people": "12"}', '{"people": NaN}', '{"popularity": 1}'):
        with pytest.raises(ValueError):
            Weights.from_json(bad)


def test_severity_codes_match_the_report_vocabulary():
    assert tuple(s.value for s in Severity) == SEVERITIES


def test_signals_are_validated():
    with pytest.raises(ValueError):
        ClusterSignals(reports=2, assisted=3)
    with pytest.raises(ValueError):
        ClusterSignals(people=-1)
    with pytest.raises(ValueError):
        ClusterSignals(severity_counts={"urgence": 1})
    with pytest.raises(ValueError):
        ClusterSignals(report_ages_days=[1.0, float("nan")])
    assert ClusterSignals(severity_counts={Severity.BLOCAGE: 2}).severity_counts["blocage"] == 2


# --- ranking -------------------------------------------------------------------------------------------------------


def test_ranking_puts_the_highest_total_first_and_breaks_ties_by_key():
    same = ClusterSignals(people=4, reports=4, report_ages_days=[2.0, 3.0, 5.0, 8.0])
    bigger = ClusterSignals(people=40, reports=40)
    clusters = {"c": same, "a": replace(same, report_ages_days=[8.0, 5.0, 3.0, 2.0]), "z": bigger, "b": same}
    first = rank(clusters)
    assert [key for key, _ in first] == ["z", "a", "b", "c"]
    assert [key for key, _ in rank(dict(reversed(clusters.items())))] == ["z", "a", "b", "c"]
    assert first[1][1] == first[2][1]


# --- French explanations -------------------------------------------------------------------------------------------


def test_explanations_are_french_and_give_the_numbers():
    cluster = ClusterSignals(
        people=12_345,
        reports=80,
        assisted=10,
        severity_counts={"gene": 30, "blocage": 20, "rupture_de_droits": 5},
        report_ages_days=[30.0, 30.0],
        last_30_days=30,
        previous_30_days=25,
        territories=20,
        administrations=2,
    )
    terms = score_cluster(cluster).terms
    text = {name: plain(term.explanation) for name, term in terms.items()}
    points = f"{terms['people'].contribution:.1f}".replace(".", ",")
    assert text["people"] == f"12 345 personnes distinctes (signalements et « moi aussi ») : +{points} points"
    assert "5 ruptures de droits (×8), 20 blocages (×4) et 30 gênes (×1)" in text["severity"]
    assert "soit 150 en équivalent gêne : +" in text["severity"]
    assert "2 signalements et « moi aussi », soit 1,0 après amortissement" in text["recency"]
    assert "demi-vie 30 jours" in text["recency"]
    assert "30 signalements et « moi aussi » sur les 30 derniers jours contre 25" in text["growth"]
    assert text["breadth"].startswith("20 départements et 2 administrations concernés : +")
    assert "10 signalements sur 80 (12,5 %) faits avec accompagnement" in text["equity"]
    assert "comptés chacun pour 3 personnes : +" in text["equity"]
    assert {term.label for term in terms.values()} == set(TERM_LABELS.values())


def test_explanations_use_the_french_singular_below_two():
    terms = score_cluster(ClusterSignals(people=1, reports=1, assisted=1, last_30_days=0, previous_30_days=3)).terms
    assert plain(terms["people"].explanation).startswith("1 personne distincte ")
    assert plain(terms["growth"].explanation).endswith("sans hausse : +0,0 point")
    assert "1 signalement sur 1 (100 %) fait avec accompagnement, compté pour 3 personnes" in plain(
        terms["equity"].explanation
    )
