"""Demo-data generator: determinism, valid fields, realistic long-tailed irritant sizes."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import importlib.util
import json
import re
import string
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2] / "irritants"
DATA = ROOT / "referential" / "data"
NOW = dt.datetime(2025, 6, 1, 9, 30, tzinfo=dt.UTC)
SEVERITIES = {"gene", "perte_de_temps", "blocage", "rupture_de_droits"}
KEYS = {
    "description",
    "administration",
    "procedure",
    "territory",
    "channel",
    "severity",
    "occurred_on",
    "created_at",
    "assisted",
    "email",
    "underlying_id",
}
EMAIL = re.compile(r"^[a-z]+\.[a-z]+\d+@example\.(?:org|com|net)$")
ANY_EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


@functools.cache
def _demo() -> ModuleType:
    # Loaded by path so the generator is tested even while the package's __init__ is being reworked.
    spec = importlib.util.spec_from_file_location("_irritants_demo_under_test", ROOT / "intake" / "demo.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@functools.cache
def _referential() -> tuple[dict[str, list[str]], list[str], list[str]]:
    admins = json.loads((DATA / "administrations.json").read_text(encoding="utf-8"))
    with (DATA / "territories.csv").open(encoding="utf-8") as f:
        territories = [r["code"] for r in csv.DictReader(f)]
    with (DATA / "channels.csv").open(encoding="utf-8") as f:
        channels = [r["code"] for r in csv.DictReader(f)]
    return {a["slug"]: [p["slug"] for p in a["procedures"]] for a in admins}, territories, channels


def _generate(n: int, seed: int, **overrides) -> list[dict]:
    admins, territories, channels = _referential()
    kwargs = {"administrations": admins, "territories": territories, "channels": channels, "now": NOW}
    kwargs.update(overrides)
    return list(_demo().generate_reports(n, seed=seed, **kwargs))


@functools.cache
def _big_sample() -> tuple[dict, ...]:
    return tuple(_generate(20_000, seed=2024))


def test_respects_n() -> None:
    assert _generate(0, seed=1) == []
    assert len(_generate(37, seed=1)) == 37


def test_same_seed_same_sequence() -> None:
    assert _generate(800, seed=42) == _generate(800, seed=42)


def test_output_does_not_depend_on_referential_order() -> None:
    admins, territories, channels = _referential()
    shuffled = {slug: list(reversed(procs)) for slug, procs in reversed(list(admins.items()))}
    assert _generate(300, seed=9) == _generate(
        300, seed=9, administrations=shuffled, territories=territories[::-1], channels=channels[::-1]
    )


def test_different_seed_differs() -> None:
    a, b = _generate(200, seed=1), _generate(200, seed=2)
    assert [r["description"] for r in a] != [r["description"] for r in b]
    assert sum(x["description"] == y["description"] for x, y in zip(a, b, strict=True)) < 20


def test_fields_are_valid() -> None:
    admins, territories, channels = _referential()
    oldest = NOW - dt.timedelta(days=550)
    for report in _big_sample()[:5000]:
        assert set(report) == KEYS
        text = report["description"]
        assert isinstance(text, str) and 20 <= len(text) <= 4000
        assert "{" not in text and "}" not in text, text
        assert text == text.strip()
        assert report["administration"] in admins
        assert report["procedure"] is None or report["procedure"] in admins[report["administration"]]
        assert report["territory"] in territories
        assert report["channel"] in channels
        assert report["severity"] in SEVERITIES
        created = report["created_at"]
        assert created.tzinfo is not None and created.utcoffset() == dt.timedelta(0)
        assert oldest <= created <= NOW
        occurred = report["occurred_on"]
        assert occurred is None or (isinstance(occurred, dt.date) and occurred <= NOW.date())
        assert occurred is None or occurred <= created.date()
        assert isinstance(report["assisted"], bool)
        assert report["email"] is None or EMAIL.match(report["email"]), report["email"]
        assert isinstance(report["underlying_id"], int)


def test_no_real_looking_email_anywhere() -> None:
    for report in _big_sample():
        for domain in ANY_EMAIL.findall(report["description"]):
            assert domain.lower() in {"example.org", "example.com", "example.net"}, report["description"]


def test_rates_are_plausible() -> None:
    sample = _big_sample()
    n = len(sample)
    assert 0.09 <= sum(r["assisted"] for r in sample) / n <= 0.16
    assert 0.17 <= sum(r["email"] is not None for r in sample) / n <= 0.23
    assisted_at_fs = [r["assisted"] for r in sample if r["channel"] == "france_services"]
    assisted_elsewhere = [r["assisted"] for r in sample if r["channel"] != "france_services"]
    assert sum(assisted_at_fs) / len(assisted_at_fs) > 3 * sum(assisted_elsewhere) / len(assisted_elsewhere)
    assert sum(r["occurred_on"] is None for r in sample) / n < 0.4
    assert len({r["severity"] for r in sample}) == 4
    assert len({r["channel"] for r in sample}) == 6


def test_text_noise_is_present_but_bounded() -> None:
    texts = [r["description"] for r in _big_sample()]
    unaccented = sum(not re.search(r"[éèàêçô]", t) for t in texts) / len(texts)
    assert 0.1 < unaccented < 0.6
    assert any(re.search(r"\b(svp|pr|ds|rdv|bcp)\b", t) for t in texts)
    assert any(re.search(r"\b[A-ZÉÈ]{4,} [A-ZÉÈ]{4,} [A-ZÉÈ]{4,}\b", t) for t in texts)
    assert any(re.search(r"\b0[67][ .]?\d{2}", t) for t in texts)
    assert any(re.search(r"allocataire \d{7}", t) for t in texts)
    assert max(len(t) for t in texts) > 500
    assert sum(len(t) < 120 for t in texts) > len(texts) // 10


def test_territories_weighted_by_population() -> None:
    counts = Counter(r["territory"] for r in _big_sample())
    assert counts["75"] + counts["59"] + counts["13"] > 20 * max(counts["48"], 1)
    assert counts["59"] > 5 * max(counts["48"], 1)


def test_many_distinct_irritants_with_a_long_tail() -> None:
    sizes = sorted(Counter(r["underlying_id"] for r in _big_sample()).values(), reverse=True)
    total = sum(sizes)
    assert len(sizes) >= 300
    top = max(1, len(sizes) // 100)
    assert sum(sizes[:top]) / total > 0.10  # the top 1% of irritants hold over ten times their share
    small = sum(1 for s in sizes if s <= 0.0005 * total)
    assert small >= 0.25 * len(sizes)
    assert sizes[0] >= 50 * sizes[len(sizes) // 2]


def test_channel_and_severity_follow_the_theme() -> None:
    by_irritant: dict[int, list[dict]] = {}
    for r in _big_sample():
        by_irritant.setdefault(r["underlying_id"], []).append(r)
    biggest = sorted(by_irritant.values(), key=len, reverse=True)[:10]
    for reports in biggest:
        top_channel = Counter(r["channel"] for r in reports).most_common(1)[0][1]
        top_severity = Counter(r["severity"] for r in reports).most_common(1)[0][1]
        assert top_channel / len(reports) > 0.35
        assert top_severity / len(reports) > 0.4
    phone = [r for r in _big_sample() if "au téléphone" in r["description"] or "décroche" in r["description"]]
    assert Counter(r["channel"] for r in phone).most_common(1)[0][0] == "telephone"


def test_only_given_slugs_are_used_and_missing_ones_are_tolerated() -> None:
    reports = _generate(
        3000,
        seed=5,
        administrations={"caf": ["demande-rsa", "aide-au-logement"], "organisme-local": ["demarche-inconnue"]},
        territories=["75", "13", "976"],
        channels=["en_ligne", "telephone"],
    )
    assert {r["administration"] for r in reports} == {"caf", "organisme-local"}
    assert {r["procedure"] for r in reports} <= {"demande-rsa", "aide-au-logement", "demarche-inconnue", None}
    assert {r["territory"] for r in reports} <= {"75", "13", "976"}
    assert {r["channel"] for r in reports} == {"en_ligne", "telephone"}
    assert all("{" not in r["description"] for r in reports)


def test_naive_and_non_utc_now() -> None:
    naive = NOW.replace(tzinfo=None)
    for report in _generate(300, seed=3, now=naive):
        assert report["created_at"] <= NOW
    new_york_evening = dt.datetime(2025, 6, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    for report in _generate(300, seed=3, now=new_york_evening):
        assert report["created_at"] <= new_york_evening
        assert report["occurred_on"] is None or report["occurred_on"] <= new_york_evening.date()


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        _generate(-1, seed=1)
    with pytest.raises(ValueError):
        _generate(10, seed=1, administrations={})
    with pytest.raises(ValueError):
        _generate(10, seed=1, territories=[])


def test_catalogue_matches_the_referential() -> None:
    catalogue = json.loads((ROOT / "intake" / "demo_catalogue.json").read_text(encoding="utf-8"))
    admins, territories, _ = _referential()
    assert set(catalogue["administrations"]) == set(admins)
    assert set(catalogue["cities"]) == set(territories) == set(catalogue["population"])
    slots = {"admin", "Admin", "demarche", "ville", "montant", "ref", "tel", "mail"} | set(catalogue["pools"])
    for slug, meta in catalogue["administrations"].items():
        assert set(meta["procedures"]) == set(admins[slug])
        for theme in meta["themes"]:
            procedures = theme.get("procedures")
            if isinstance(procedures, list):
                assert set(procedures) <= set(admins[slug]), (slug, theme["key"])
            assert set(theme.get("territories", [])) <= set(territories)
            assert 4 <= len(theme["templates"]) <= 10, (slug, theme["key"])
    for theme in [t for m in catalogue["administrations"].values() for t in m["themes"]] + catalogue["generic_themes"]:
        for template in theme["templates"]:
            assert {f for _, f, _, _ in string.Formatter().parse(template) if f} <= slots, template


# --- local offices stay in their département ------------------------------------------------------------------

_OFFICE = r"(?:prefecture|mairie|pmi|france services|agence|accueil|crous)"


def _fold(text: str) -> str:
    return _demo().noise.strip_accents(text).lower()


@functools.cache
def _cities() -> tuple[dict[str, str], str]:
    """Folded name of each département's préfecture town → its code, and a pattern finding one in a text."""
    towns = {_fold(town): code for code, town in _demo()._catalogue()["cities"].items()}
    alternation = "|".join(re.escape(t) for t in sorted(towns, key=len, reverse=True))
    return towns, rf"(?<![\w-])({alternation})(?![\w-])"


def test_a_named_prefecture_is_the_one_of_the_reports_departement() -> None:
    towns, town = _cities()
    named = re.compile(rf"prefecture (?:de|d'|du) {town}")
    checked = 0
    for report in _big_sample():
        for town in named.findall(_fold(report["description"])):
            checked += 1
            assert towns[town] == report["territory"], report
    assert checked > 20  # Bobigny and Mamoudzou: préfectures named in their own département


def _told_in(towns_in: str) -> dict[str, set[str]]:
    """Reports whose complaint names a town (a pattern on the text, the town as <ville>) → their départements."""
    _, town = _cities()
    pattern, wanted = re.compile(town), re.compile(towns_in)
    departements: dict[str, set[str]] = {}
    for report in _big_sample():
        # Where the citizen lives (« j'habite près de <ville> ») is context, not the complaint.
        signature = " ".join(pattern.sub("<ville>", _fold(report["description"])).split())
        if wanted.search(signature.replace("habite pres de <ville>", "")):
            departements.setdefault(signature, set()).add(report["territory"])
    return departements


def test_one_complaint_about_a_local_office_is_not_told_in_several_departements() -> None:
    # A clustering groups reports by what they say: when the same words about « the préfecture of <town> » come
    # from sixteen départements, the irritant is titled after one préfecture and spans sixteen départements.
    departements = _told_in(rf"{_OFFICE}[^.!?\n]{{0,25}}<ville>")
    assert len(departements) > 20
    spread = {text: sorted(codes) for text, codes in departements.items() if len(codes) > 1}
    assert not spread, list(spread.items())[:3]


def test_no_complaint_names_a_town_in_several_departements() -> None:
    # The same for any town: « Je viens d'emménager à Lille… » titled an irritant of 21 départements.
    spread = {text: sorted(codes) for text, codes in _told_in("<ville>").items() if len(codes) > 1}
    assert not spread, list(spread.items())[:3]
