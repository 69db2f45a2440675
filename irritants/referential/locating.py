"""Which département contains a point (WGS84 latitude, longitude): pure, no Flask, no SQL.

The outlines are ``data/departement_bounds.json`` (IGN ADMIN EXPRESS, simplified to 300 m by
``scripts/build_geography.py``), read once per process on the first lookup. A point is inside a département when a
ray from it crosses the département's rings an odd number of times (even-odd rule: islands, enclaves and holes need
no special case), after bounding-box filters: a grid of the départements' boxes, then each ring's and each chunk's.
A point in no outline but within ``TOLERANCE_KM`` of one (a pier, a beach, a boat in a harbour, a small island the
simplification dropped) goes to the nearest; further out (the open sea, abroad) it is None.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

TOLERANCE_KM = 2.0
_SCALE = 100_000  # the file's unit: 1e-5 degree
_KM_PER_DEGREE = 111.195  # mean great-circle length of a degree (R = 6,371 km)
CHUNK = 16  # edges per chunk of a ring
GRID = 0.25  # degrees: the side of a cell of the index of areas by bounding box


def _box_km(box: Chunk | Ring, x: float, y: float) -> float:
    """Distance from (x, y) to a bounding box (0 inside it), on the same local flat projection."""
    outside_x = max(box.west - x, 0.0, x - box.east) * _KM_PER_DEGREE * math.cos(math.radians(y))
    outside_y = max(box.south - y, 0.0, y - box.north) * _KM_PER_DEGREE
    return math.hypot(outside_x, outside_y)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A run of consecutive edges of a ring (its vertices, the next chunk's first one included) and their box."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def from_points(cls, xs: Sequence[float], ys: Sequence[float]) -> Chunk:
        return cls(tuple(xs), tuple(ys), min(xs), min(ys), max(xs), max(ys))

    def crossings(self, x: float, y: float) -> int:
        """How many of the chunk's edges a ray from (x, y) towards the east crosses."""
        if y < self.south or y > self.north or x > self.east:
            return 0
        count = 0
        xs, ys = self.xs, self.ys
        x_prev, y_prev = xs[0], ys[0]
        for index in range(1, len(xs)):
            x_here, y_here = xs[index], ys[index]
            if (y_here > y) != (y_prev > y) and x < (x_prev - x_here) * (y - y_here) / (y_prev - y_here) + x_here:
                count += 1
            x_prev, y_prev = x_here, y_here
        return count

    def distance_km(self, x: float, y: float, within: float) -> float:
        """Distance from (x, y) to the nearest edge if under ``within`` km (else ``within``), on a local flat
        projection: fine for the few kilometres of the tolerance."""
        if _box_km(self, x, y) >= within:
            return within
        kx = _KM_PER_DEGREE * math.cos(math.radians(y))
        ky = _KM_PER_DEGREE
        best = within * within
        xs, ys = self.xs, self.ys
        ax, ay = (xs[0] - x) * kx, (ys[0] - y) * ky
        for index in range(1, len(xs)):
            bx, by = (xs[index] - x) * kx, (ys[index] - y) * ky
            dx, dy = bx - ax, by - ay
            length = dx * dx + dy * dy
            t = 0.0 if length == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length))
            px, py = ax + t * dx, ay + t * dy
            best = min(best, px * px + py * py)
            ax, ay = bx, by
        return math.sqrt(best)


@dataclass(frozen=True, slots=True)
class Ring:
    """One closed ring, cut into chunks of ``CHUNK`` edges so that a lookup skips most of them by their box."""

    chunks: tuple[Chunk, ...]
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def from_points(cls, points: Sequence[tuple[float, float]]) -> Ring:
        xs = [point[0] for point in points] + [points[0][0]]
        ys = [point[1] for point in points] + [points[0][1]]
        chunks = tuple(
            Chunk.from_points(xs[start : start + CHUNK + 1], ys[start : start + CHUNK + 1])
            for start in range(0, len(xs) - 1, CHUNK)
        )
        return cls(chunks, min(xs), min(ys), max(xs), max(ys))

    def crossings(self, x: float, y: float) -> int:
        """How many of the ring's edges a ray from (x, y) towards the east crosses."""
        return sum(chunk.crossings(x, y) for chunk in self.chunks)

    def distance_km(self, x: float, y: float, within: float = math.inf) -> float:
        """Distance from (x, y) to the ring's nearest edge, or ``within`` if none is nearer."""
        if _box_km(self, x, y) >= within:
            return within
        for chunk in self.chunks:
            within = chunk.distance_km(x, y, within)
        return within


@dataclass(frozen=True, slots=True)
class Area:
    """A département's rings and their common bounding box."""

    code: str
    rings: tuple[Ring, ...]
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def from_rings(cls, code: str, rings: Iterable[Ring]) -> Area:
        rings = tuple(rings)
        return cls(
            code,
            rings,
            min(ring.west for ring in rings),
            min(ring.south for ring in rings),
            max(ring.east for ring in rings),
            max(ring.north for ring in rings),
        )

    def near(self, x: float, y: float, margin: float = 0.0) -> bool:
        """Whether (x, y) lies in the bounding box widened by ``margin`` degrees."""
        return self.west - margin <= x <= self.east + margin and self.south - margin <= y <= self.north + margin

    def contains(self, x: float, y: float) -> bool:
        """Even-odd rule over every ring whose box the eastward ray can meet."""
        crossings = 0
        for ring in self.rings:
            if ring.south <= y <= ring.north and x <= ring.east:
                crossings += ring.crossings(x, y)
        return crossings % 2 == 1

    def distance_km(self, x: float, y: float, within: float = math.inf) -> float:
        """Distance from (x, y) to the area's nearest border, or ``within`` if none is nearer."""
        for ring in self.rings:
            within = ring.distance_km(x, y, within)
        return within


class Boundaries:
    """The départements' areas, and the one lookup over them."""

    def __init__(self, areas: Iterable[Area], tolerance_km: float = TOLERANCE_KM) -> None:
        self.areas = tuple(areas)
        self.tolerance_km = tolerance_km
        # A grid of GRID-degree cells → the areas whose box meets the cell: most points have 1 to 3 candidates.
        self._grid: dict[tuple[int, int], list[Area]] = {}
        for area in self.areas:
            for column in range(math.floor(area.west / GRID), math.floor(area.east / GRID) + 1):
                for row in range(math.floor(area.south / GRID), math.floor(area.north / GRID) + 1):
                    self._grid.setdefault((column, row), []).append(area)

    @classmethod
    def from_encoded(cls, encoded: Mapping[str, Sequence[Sequence[int]]], **options: float) -> Boundaries:
        """From the file's shape: code → rings of delta-encoded (longitude, latitude) pairs in 1e-5 degree."""
        return cls(
            (Area.from_rings(code, (_decode(ring) for ring in rings)) for code, rings in encoded.items()), **options
        )

    def locate(self, lat: float, lon: float) -> str | None:
        """The code of the area containing the point, else of the nearest within the tolerance, else None."""
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # NaN fails too
            return None
        for area in self._grid.get((math.floor(lon / GRID), math.floor(lat / GRID)), ()):
            if area.near(lon, lat) and area.contains(lon, lat):
                return area.code
        margin = self.tolerance_km / (_KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        nearest, best = None, self.tolerance_km
        for area in self.areas:
            if area.near(lon, lat, margin):
                distance = area.distance_km(lon, lat, best)
                if distance < best:
                    nearest, best = area.code, distance
        return nearest


def _decode(flat: Sequence[int]) -> Ring:
    points = []
    x = y = 0
    for index in range(0, len(flat), 2):
        x += flat[index]
        y += flat[index + 1]
        points.append((x / _SCALE, y / _SCALE))
    return Ring.from_points(points)


@functools.cache
def boundaries() -> Boundaries:
    """The bundled outlines, read on first use and kept for the life of the process."""
    text = resources.files("irritants.referential").joinpath("data", "departement_bounds.json").read_text("utf-8")
    return Boundaries.from_encoded(json.loads(text))


def departement_at(lat: float, lon: float) -> str | None:
    """The département containing the point (WGS84); None outside France beyond the tolerance."""
    return boundaries().locate(float(lat), float(lon))
