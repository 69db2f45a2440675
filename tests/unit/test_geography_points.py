"""A point (WGS84) → the département containing it (irritants.referential.locating)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from irritants.referential.geography import departement_at, names
from irritants.referential.locating import Area, Boundaries, Ring, boundaries

PREFECTURES = Path(__file__).resolve().parent / "data" / "prefectures.csv"


def _prefectures() -> list[tuple[str, float, float]]:
    with PREFECTURES.open(encoding="utf-8") as fh:
        return [(row["departement"], float(row["lat"]), float(row["lon"])) for row in csv.DictReader(fh)]


def test_the_prefectures_cover_every_departement_of_the_referential():
    assert sorted(code for code, _, _ in _prefectures()) == sorted(names())


@pytest.mark.parametrize(("code", "lat", "lon"), _prefectures(), ids=lambda value: str(value))
def test_each_prefecture_lies_in_its_departement(code, lat, lon):
    assert departement_at(lat, lon) == code


@pytest.mark.parametrize(
    ("place", "lat", "lon", "expected"),
    [
        # Paris and its inner ring, a few hundred metres either side of the boundary.
        ("Notre-Dame de Paris", 48.8530, 2.3499, "75"),
        ("Bois de Vincennes", 48.8330, 2.4330, "75"),
        ("Boulogne-Billancourt", 48.8353, 2.2400, "92"),
        ("Issy-les-Moulineaux", 48.8240, 2.2700, "92"),
        ("Montreuil", 48.8638, 2.4485, "93"),
        ("Vincennes", 48.8474, 2.4390, "94"),
        ("Saint-Mandé", 48.8422, 2.4186, "94"),
        # Either bank of a river.
        ("Avignon", 43.9493, 4.8055, "84"),
        ("Villeneuve-lès-Avignon", 43.9640, 4.7960, "30"),
        ("Sainte-Foy-la-Grande", 44.8369, 0.2197, "33"),
        ("Port-Sainte-Foy", 44.8436, 0.2139, "24"),
        ("Le Havre", 49.4944, 0.1079, "76"),
        ("Honfleur", 49.4190, 0.2330, "14"),
        ("Lyon", 45.7640, 4.8357, "69"),
        ("Villeurbanne", 45.7719, 4.8902, "69"),
        # On a national border.
        ("Saint-Genis-Pouilly", 46.2437, 6.0233, "01"),
        ("Annemasse", 46.1934, 6.2342, "74"),
        ("Saint-Louis", 47.5900, 7.5600, "68"),
        ("Strasbourg", 48.5734, 7.7521, "67"),
        ("Givet", 50.1379, 4.8256, "08"),
        ("Hendaye", 43.3589, -1.7745, "64"),
        ("Menton", 43.7747, 7.4975, "06"),
        # An enclave and the département around it, Corsica, islands.
        ("Valréas (enclave des papes)", 44.3847, 4.9903, "84"),
        ("Nyons", 44.3606, 5.1403, "26"),
        ("Bastia", 42.6970, 9.4509, "2B"),
        ("Ajaccio", 41.9192, 8.7386, "2A"),
        ("Ouessant", 48.4597, -5.0856, "29"),
        ("Île de Sein", 48.0380, -4.8500, "29"),
        ("Groix", 47.6389, -3.4500, "56"),
        ("Île d'Aix", 46.0120, -1.1740, "17"),
        # Overseas départements.
        ("Pointe-à-Pitre", 16.2411, -61.5331, "971"),
        ("Fort-de-France", 14.6161, -61.0588, "972"),
        ("Cayenne", 4.9372, -52.3260, "973"),
        ("Saint-Denis de La Réunion", -20.8823, 55.4504, "974"),
        ("Mamoudzou", -12.7806, 45.2278, "976"),
    ],
)
def test_towns_near_a_border_go_to_their_own_departement(place, lat, lon, expected):
    assert departement_at(lat, lon) == expected, place


@pytest.mark.parametrize(
    ("place", "lat", "lon"),
    [
        ("Bay of Biscay", 45.0, -3.0),
        ("off Arcachon", 45.0, -1.3),
        ("Ligurian Sea", 43.0, 7.5),
        ("5 km off Nice", 43.65, 7.26),
        ("English Channel", 50.2, -1.0),
        ("Indian Ocean off La Réunion", -21.5, 56.0),
        ("Geneva", 46.2044, 6.1432),
        ("Freiburg im Breisgau", 47.999, 7.842),
        ("Brussels", 50.8467, 4.3525),
        ("Barcelona", 41.3874, 2.1686),
        ("Saint-Barthélemy", 17.8962, -62.8498),
        ("Marigot, Saint-Martin", 18.0708, -63.0501),
        ("Saint-Pierre-et-Miquelon", 46.7811, -56.1764),
        ("Null Island", 0.0, 0.0),
    ],
)
def test_the_sea_and_other_countries_are_none(place, lat, lon):
    assert departement_at(lat, lon) is None, place


def test_a_point_just_off_the_coast_goes_to_the_coastal_departement():
    assert departement_at(43.685, 7.26) == "06"  # 1 km off the Promenade des Anglais


@pytest.mark.parametrize(
    ("lat", "lon"), [(math.nan, 2.35), (48.85, math.nan), (91.0, 2.0), (48.0, 181.0), (-95.0, 0.0)]
)
def test_impossible_coordinates_are_none(lat, lon):
    assert departement_at(lat, lon) is None


def test_the_outlines_are_read_once_and_cover_every_departement():
    assert boundaries() is boundaries()
    assert sorted(area.code for area in boundaries().areas) == sorted(names())


def _square(west: float, south: float, size: float) -> Ring:
    return Ring.from_points([(west, south), (west + size, south), (west + size, south + size), (west, south + size)])


def test_even_odd_rule_makes_a_hole_of_an_inner_ring_and_the_tolerance_reaches_the_nearest_area():
    # A 1° square with a 0.2° hole (an enclave), and a small island 0.001° east of it.
    outlines = Boundaries(
        [
            Area.from_rings("AA", [_square(0.0, 45.0, 1.0), _square(0.4, 45.4, 0.2)]),
            Area.from_rings("BB", [_square(0.45, 45.45, 0.1)]),
        ],
        tolerance_km=2.0,
    )
    assert outlines.locate(45.1, 0.1) == "AA"
    assert outlines.locate(45.5, 0.5) == "BB"  # inside the hole, inside BB
    assert outlines.locate(45.42, 0.42) == "AA"  # in the hole, 1.6 km from its edge, 3 km from BB
    assert outlines.locate(45.5, 1.01) == "AA"  # 0.8 km east of AA
    assert outlines.locate(45.5, 1.05) is None  # 3.9 km east of AA
    assert outlines.locate(44.99, 0.5) == "AA"  # 1.1 km south
    assert outlines.locate(44.9, 0.5) is None


def test_a_point_in_a_hole_far_from_its_rings_is_none():
    outlines = Boundaries([Area.from_rings("AA", [_square(0.0, 45.0, 1.0), _square(0.2, 45.2, 0.6)])])
    assert outlines.locate(45.5, 0.5) is None
    assert outlines.locate(45.1, 0.1) == "AA"
