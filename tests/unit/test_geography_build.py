"""scripts/build_geography.py: communes dissolved into départements, shared borders simplified once, postcodes."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

from irritants.referential.locating import Boundaries

_SPEC = importlib.util.spec_from_file_location(
    "build_geography", Path(__file__).parents[2] / "scripts" / "build_geography.py"
)
assert _SPEC is not None and _SPEC.loader is not None
build = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(build)

# A wavy border between the départements 01 (west) and 02 (east) along longitude 1°: waves of ±400 m that the
# 300 m simplification cuts differently depending on where it starts, and one 1.5 km bump that it keeps.
BORDER = [(1.0 + 0.005 * math.sin(i / 4) + (0.02 if i == 50 else 0.0), 45.0 + i / 100) for i in range(101)]


def _communes() -> dict[str, list[list[tuple[float, float]]]]:
    west_south = [(0.0, 45.0), *[p for p in BORDER if p[1] <= 45.5], (0.0, 45.5), (0.0, 45.0)]
    west_north = [(0.0, 45.5), *[p for p in BORDER if p[1] >= 45.5], (0.0, 46.0), (0.0, 45.5)]
    east = [(2.0, 45.0), (2.0, 46.0), *reversed(BORDER), (2.0, 45.0)]
    # One commune drawn clockwise, the others anticlockwise: orientation must not matter.
    return {"01001": [west_south], "01002": [list(reversed(west_north))], "02001": [east]}


def test_the_edges_two_communes_of_one_departement_share_cancel_out():
    edges = build.boundary_edges(_communes(), {"01", "02"})
    inner = ((0, 4550000), (round(1.0 * build.SCALE), 4550000))
    assert inner not in edges["01"]
    vertices = {vertex for edge in edges["01"] for vertex in edge}
    assert (0, 4550000) in vertices  # still on the outer western edge


def test_neighbours_keep_one_shared_simplified_border_with_neither_gap_nor_overlap():
    outlines = build.bounds(_communes(), {"01", "02"}, tolerance_m=300)
    boundaries = Boundaries.from_encoded(outlines, tolerance_km=0.0)
    assert sum(len(ring) // 2 for rings in outlines.values() for ring in rings) < 40  # from 200 border vertices
    assert boundaries.locate(45.5, 1.015) == "01"  # the 1.5 km bump is kept
    for row in range(1, 400):
        lat = 45.0 + row / 400
        for column in range(-40, 41):  # every 20 m across the border
            lon = 1.0 + column * 0.00025
            inside = [area.code for area in boundaries.areas if area.contains(lon, lat)]
            assert len(inside) == 1, (lat, lon, inside)


def test_a_shared_postcode_goes_to_the_departement_with_most_inhabitants_and_a_collectivity_to_none():
    communes = [
        {"departement": "51", "codesPostaux": ["52100"], "population": 800},
        {"departement": "52", "codesPostaux": ["52100"], "population": 25000},
        {"departement": "977", "codesPostaux": ["97133"], "population": 10000},
        {"departement": "75", "codesPostaux": ["75001", "75002"], "population": 1},
    ]
    rows = build.postcode_rows(communes, {"51", "52", "75"})
    assert rows == [
        ("52100", "52", "51"),
        ("75001", "75", ""),
        ("75002", "75", ""),
        ("97133", "", ""),
    ]
