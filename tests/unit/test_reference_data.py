"""The shipped referential files: départements, administrations and their démarches, contact channels."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

# Located by path so these checks run even while the package itself does not import.
DATA = Path(__file__).resolve().parents[2] / "irritants" / "referential" / "data"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

EXPECTED_CODES = (
    {f"{i:02d}" for i in range(1, 20)}
    | {"2A", "2B"}
    | {f"{i:02d}" for i in range(21, 96)}
    | {"971", "972", "973", "974", "976"}
)
EXPECTED_REGIONS = {
    "84": "Auvergne-Rhône-Alpes",
    "27": "Bourgogne-Franche-Comté",
    "53": "Bretagne",
    "24": "Centre-Val de Loire",
    "94": "Corse",
    "44": "Grand Est",
    "32": "Hauts-de-France",
    "11": "Île-de-France",
    "28": "Normandie",
    "75": "Nouvelle-Aquitaine",
    "76": "Occitanie",
    "52": "Pays de la Loire",
    "93": "Provence-Alpes-Côte d'Azur",
    "01": "Guadeloupe",
    "02": "Martinique",
    "03": "Guyane",
    "04": "La Réunion",
    "06": "Mayotte",
}


def _csv(name: str) -> tuple[list[str], list[dict[str, str]]]:
    raw = (DATA / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), f"{name} must not start with a BOM"
    reader = csv.DictReader(raw.decode("utf-8").splitlines())
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _administrations() -> list[dict]:
    return json.loads((DATA / "administrations.json").read_text(encoding="utf-8"))


def test_territories_are_the_101_departements() -> None:
    header, rows = _csv("territories.csv")
    assert header == ["code", "name", "region_code", "region_name", "population"]
    codes = [r["code"] for r in rows]
    assert len(rows) == 101
    assert len(set(codes)) == 101
    assert set(codes) == EXPECTED_CODES
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= set(codes)
    assert "975" not in codes and "20" not in codes
    assert all(r["name"].strip() == r["name"] and r["name"] for r in rows)


def test_every_departement_has_its_insee_population() -> None:
    _, rows = _csv("territories.csv")
    population = {r["code"]: int(r["population"]) for r in rows}
    # Spot checks against the INSEE legal populations (a vintage of the 2020s: Nord the most, Lozère the least).
    assert 2_550_000 < population["59"] < 2_650_000
    assert 70_000 < population["48"] < 80_000
    assert 2_000_000 < population["75"] < 2_200_000
    assert 800_000 < population["974"] < 950_000
    assert max(population, key=population.get) == "59" and min(population, key=population.get) == "48"
    assert 67_000_000 < sum(population.values()) < 70_000_000  # metropolitan France and the five DROM


def test_the_map_has_one_outline_per_departement_and_a_frame_per_overseas_one() -> None:
    geometry = json.loads((DATA / "france_departements.json").read_text(encoding="utf-8"))
    assert {shape["code"] for shape in geometry["shapes"]} == EXPECTED_CODES
    assert all(re.fullmatch(r"(m[-0-9., ]+z)+", shape["d"]) for shape in geometry["shapes"])
    assert [inset["code"] for inset in geometry["insets"]] == ["971", "972", "973", "974", "976"]
    assert "CC BY 4.0" in geometry["attribution"] and "MapSVG" in geometry["attribution"]


def test_each_region_code_has_one_name_and_matches_insee() -> None:
    _, rows = _csv("territories.csv")
    names_by_code: dict[str, set[str]] = {}
    codes_by_name: dict[str, set[str]] = {}
    for r in rows:
        names_by_code.setdefault(r["region_code"], set()).add(r["region_name"])
        codes_by_name.setdefault(r["region_name"], set()).add(r["region_code"])
    assert all(len(v) == 1 for v in names_by_code.values())
    assert all(len(v) == 1 for v in codes_by_name.values())
    assert {code: next(iter(names)) for code, names in names_by_code.items()} == EXPECTED_REGIONS


def test_territory_spot_checks_with_accents() -> None:
    _, rows = _csv("territories.csv")
    by_code = {r["code"]: r for r in rows}
    assert (by_code["22"]["name"], by_code["22"]["region_code"]) == ("Côtes-d'Armor", "53")
    assert (by_code["63"]["name"], by_code["63"]["region_code"]) == ("Puy-de-Dôme", "84")
    assert (by_code["2A"]["name"], by_code["2A"]["region_name"]) == ("Corse-du-Sud", "Corse")
    assert (by_code["75"]["name"], by_code["75"]["region_name"]) == ("Paris", "Île-de-France")
    assert (by_code["90"]["name"], by_code["90"]["region_code"]) == ("Territoire de Belfort", "27")
    assert (by_code["976"]["name"], by_code["976"]["region_code"]) == ("Mayotte", "06")
    assert (by_code["974"]["name"], by_code["974"]["region_name"]) == ("La Réunion", "La Réunion")
    assert by_code["13"]["region_name"] == "Provence-Alpes-Côte d'Azur"
    region_sizes: dict[str, int] = {}
    for r in rows:
        region_sizes[r["region_code"]] = region_sizes.get(r["region_code"], 0) + 1
    assert region_sizes["84"] == 12 and region_sizes["76"] == 13 and region_sizes["11"] == 8


def test_administrations_have_unique_slugs_and_procedures() -> None:
    admins = _administrations()
    assert isinstance(admins, list) and len(admins) >= 20
    slugs = [a["slug"] for a in admins]
    assert len(slugs) == len(set(slugs))
    assert {"caf", "assurance-maladie", "france-travail", "dgfip", "ants", "prefecture", "mairie"} <= set(slugs)
    for admin in admins:
        assert set(admin) == {"slug", "name", "acronym", "procedures"}
        assert SLUG.match(admin["slug"]) and len(admin["slug"]) <= 60
        assert admin["name"].strip() and len(admin["name"]) <= 160
        assert admin["acronym"] is None or (admin["acronym"].strip() and len(admin["acronym"]) <= 30)
        procedures = admin["procedures"]
        assert 3 <= len(procedures) <= 8, admin["slug"]
        proc_slugs = [p["slug"] for p in procedures]
        assert len(proc_slugs) == len(set(proc_slugs)), admin["slug"]
        for proc in procedures:
            assert set(proc) == {"slug", "name"}
            assert SLUG.match(proc["slug"]) and len(proc["slug"]) <= 80
            assert proc["name"].strip() and len(proc["name"]) <= 160


def test_administrations_are_public_bodies_only() -> None:
    slugs = {a["slug"] for a in _administrations()}
    assert "la-poste" not in slugs and "pole-emploi" not in slugs
    caf = next(a for a in _administrations() if a["slug"] == "caf")
    assert caf["acronym"] == "CAF"
    assert "demande-rsa" in {p["slug"] for p in caf["procedures"]}


def test_channels() -> None:
    header, rows = _csv("channels.csv")
    assert header == ["code", "label", "position"]
    assert [r["code"] for r in rows] == ["en_ligne", "telephone", "guichet", "courrier", "france_services", "email"]
    assert [int(r["position"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    assert all(r["label"].strip() and len(r["label"]) <= 80 for r in rows)
    assert next(r for r in rows if r["code"] == "telephone")["label"] == "Par téléphone"
