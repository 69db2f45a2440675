"""The map of France by département (irritants/france_map.py), without an app: classes, names, links, table."""

from __future__ import annotations

import pytest

from irritants import france_map
from irritants.france_map import Geometry, Inset, choropleth, class_breaks, classify, per_inhabitants

SQUARE = "m0,0 10,0 0,10 -10,0z"
GEOMETRY = Geometry(
    width=200,
    height=100,
    shapes={"59": SQUARE, "62": SQUARE, "75": SQUARE, "974": SQUARE},
    insets=(Inset("974", 0, 0, 40, 40),),
    attribution="Fonds de carte : test",
)
NAMES = {"59": "Nord", "62": "Pas-de-Calais", "75": "Paris", "974": "La Réunion"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], ()),
        ([0, 0], (0.0,)),
        ([3, 3, 3], (3.0,)),
        ([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], (0.0, 1.0, 3.0, 6.0, 8.0)),  # zero apart, quartiles of the rest
        ([0.5, 1.234, 20, 300, 4000], (0.5, 1.2, 20.0, 300.0, 4000.0)),  # two significant digits
        ([1, 1, 1, 1, 50], (1.0, 50.0)),  # values that do not part make fewer classes
    ],
)
def test_class_breaks_are_rounded_quantiles_with_zero_in_a_class_of_its_own(values, expected):
    assert class_breaks(values) == pytest.approx(expected)


def test_a_value_falls_in_the_last_class_it_reaches():
    bounds = (0.0, 1.0, 3.0)
    assert [classify(v, bounds) for v in (0, 0.5, 1, 2.9, 3, 100)] == [0, 0, 1, 1, 2, 2]


def test_rates_per_100_000_inhabitants_count_zero_where_nothing_was_reported():
    assert per_inhabitants({"59": 26, "75": 3}, {"59": 2_600_000, "62": 1_000_000, "75": 0}) == {
        "59": 1.0,
        "62": 0.0,
    }  # a département without a population has no rate


def test_each_departement_is_named_with_its_figure_and_links_to_its_irritants():
    fmap = choropleth(
        GEOMETRY,
        NAMES,
        {"59": 12.34, "62": 0.0, "75": 3.0},
        title="Signalements pour 100 000 habitants",
        link=lambda code: f"/agents/suivi?territory={code}",
    )
    areas = {area.code: area for area in fmap.areas}
    assert areas["59"].label == "Nord : 12,3 signalements pour 100\u00a0000 habitants"
    assert areas["59"].href == "/agents/suivi?territory=59"
    assert areas["974"].label == "La Réunion : sans donnée" and areas["974"].fill is None
    # The darkest colour for the largest value, the lightest for zero.
    assert areas["59"].fill == france_map.PALETTE[-1] and areas["62"].fill == france_map.PALETTE[0]
    assert [item.label for item in fmap.legend] == ["0", "plus de 0 et moins de 12", "12 ou plus", "sans donnée"]
    assert fmap.insets[0].name == "La Réunion"
    # The table: the largest figure first, the département without a value last, names linked.
    assert [row[0][0] for row in fmap.rows] == ["Nord", "Paris", "Pas-de-Calais", "La Réunion"]
    assert fmap.rows[0] == (("Nord", "/agents/suivi?territory=59"), ("12,3", None))
    assert "le plus élevé : Nord (12,3)" in fmap.description and not fmap.empty


def test_a_map_without_any_value_says_so():
    fmap = choropleth(GEOMETRY, NAMES, {}, title="Carte")
    assert fmap.empty and "aucune donnée" in fmap.description
    assert all(area.href is None and area.klass is None for area in fmap.areas)
    assert [item.label for item in fmap.legend] == ["sans donnée"]


def test_the_bundled_geography_maps_reports_per_inhabitants_with_counts_and_populations():
    from irritants.referential import geography

    fmap = geography.reports_map({"59": 26}, title="Carte", link=lambda code: f"/x?territory={code}")
    assert len(fmap.areas) == 101
    nord = next(row for row in fmap.rows if row[0][0] == "Nord")
    assert nord[0][1] == "/x?territory=59" and nord[2][0] == "26"
    assert fmap.headers == ("Département", "Signalements pour 100\u00a0000 habitants", "Signalements", "Habitants")
    one_region = geography.reports_map({"59": 26}, title="Carte", codes=["59", "62"])
    assert sum(area.value is not None for area in one_region.areas) == 2
