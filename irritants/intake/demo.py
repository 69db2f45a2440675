"""Synthetic citizen reports, realistic enough to demo the service and to measure clustering quality.

Each report is drawn from an *underlying irritant* = (administration, optional procedure, theme), whose
id is returned with the report so that a clustering can be scored against the truth. The theme
catalogue (paraphrase templates written the way citizens write) lives in ``demo_catalogue.json``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from irritants.intake import demo_noise as noise

SEVERITIES = ("gene", "perte_de_temps", "blocage", "rupture_de_droits")

# A theme names its typical severity; reports still spread around it because citizens judge differently.
_SEVERITY_PROFILES = {
    "gene": (0.60, 0.25, 0.10, 0.05),
    "perte_de_temps": (0.15, 0.60, 0.20, 0.05),
    "blocage": (0.08, 0.27, 0.50, 0.15),
    "rupture_de_droits": (0.03, 0.12, 0.35, 0.50),
}
_BASE_CHANNELS = {
    "en_ligne": 0.42,
    "telephone": 0.20,
    "guichet": 0.14,
    "courrier": 0.07,
    "france_services": 0.08,
    "email": 0.09,
}
_MAIN_CHANNEL_SHARE = 0.65
# Zipf–Mandelbrot over popularity ranks: a handful of irritants dominate, hundreds stay small.
_ZIPF_S = 1.6
_ZIPF_Q = 8.0
_HISTORY_DAYS = 540
_UNKNOWN_ADMIN_WEIGHT = 0.5
_UNKNOWN_TERRITORY_POP = 300
# Submission hour (UTC) weights: office hours and evenings, little at night.
_HOUR_CUM = list(
    itertools.accumulate(
        (
            1.0,
            0.5,
            0.3,
            0.2,
            0.2,
            0.5,
            1.5,
            3.0,
            5.0,
            6.5,
            7.0,
            6.5,
            5.5,
            6.0,
            6.5,
            6.0,
            5.5,
            5.0,
            5.0,
            5.5,
            6.0,
            5.0,
            3.5,
            2.0,
        )
    )
)

_CATALOGUE_PATH = Path(__file__).with_name("demo_catalogue.json")


@functools.cache
def _catalogue() -> dict:
    return json.loads(_CATALOGUE_PATH.read_text(encoding="utf-8"))


@functools.cache
def _sms_pattern() -> re.Pattern[str]:
    keys = sorted(_catalogue()["sms"], key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(k) for k in keys) + r")\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Irritant:
    uid: int
    admin: str
    procedure: str | None
    templates: tuple[str, ...]
    spoken: tuple[str, ...]
    demarche: str
    refs: tuple[str, ...]
    territories: tuple[tuple[str, ...], tuple[float, ...]]
    channels: tuple[tuple[str, ...], tuple[float, ...]]
    severities: tuple[float, ...]
    burst: tuple[float, float] | None
    assisted: float
    admin_procedures: tuple[str, ...]


def _cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    return tuple(itertools.accumulate(weights))


def _pick(rng: random.Random, items: Sequence, cum: Sequence[float]):
    return items[bisect.bisect(cum, rng.random() * cum[-1])] if len(items) > 1 else items[0]


def _channel_profile(main: str | None, channels: list[str]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    weights = {c: _BASE_CHANNELS.get(c, 0.05) for c in channels}
    if main in weights:
        others = sum(w for c, w in weights.items() if c != main) or 1.0
        weights = {
            c: _MAIN_CHANNEL_SHARE if c == main else w * (1 - _MAIN_CHANNEL_SHARE) / others for c, w in weights.items()
        }
    codes = tuple(weights)
    return codes, _cumulative([weights[c] for c in codes])


def _build(
    administrations: dict[str, list[str]], territories: list[str], channels: list[str], rng: random.Random
) -> tuple[list[_Irritant], tuple[float, ...]]:
    """Expand the catalogue into concrete irritants restricted to the given slugs, with Zipf popularity."""
    cat = _catalogue()
    pop = cat["population"]
    territory_pools: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[float, ...]]] = {}

    def pool(codes: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[float, ...]]:
        if codes not in territory_pools:
            territory_pools[codes] = (codes, _cumulative([pop.get(c, _UNKNOWN_TERRITORY_POP) for c in codes]))
        return territory_pools[codes]

    national = pool(tuple(territories))
    given_territories = set(territories)
    known = cat["administrations"]
    # Canonical orders keep ids and output independent of how the caller happened to order its référentiel.
    admin_order = [a for a in known if a in administrations] + sorted(a for a in administrations if a not in known)
    irritants: list[_Irritant] = []
    scores: list[float] = []
    for admin in admin_order:
        meta = known.get(admin, {})
        spoken_procs = meta.get("procedures", {})
        given = set(administrations[admin])
        given_procs = tuple([p for p in spoken_procs if p in given] + sorted(given - set(spoken_procs)))
        for theme in (*meta.get("themes", ()), *cat["generic_themes"]):
            spec = theme.get("procedures")
            if spec is None:
                procs: list[str | None] = [None]
            elif spec == "*":
                procs = list(given_procs)
            else:
                procs = [p for p in spec if p in given_procs]
            # One irritant per theme and démarche, however many départements it covers: copies of a theme that
            # differ only by the town they name cannot be told apart, and an irritant grouping them would be titled
            # after one local office while spanning many départements. Only themes of one département name a place.
            wanted = theme.get("territories")
            if wanted is None:
                area = national
            else:
                present = tuple(t for t in wanted if t in given_territories)
                if not present:
                    continue
                area = pool(present)
            for proc in procs:
                score = meta.get("weight", _UNKNOWN_ADMIN_WEIGHT) * theme.get("weight", 1.0)
                scores.append(score * rng.lognormvariate(0.0, 0.5))
                burst = None
                if theme.get("burst"):
                    burst = (rng.uniform(0, _HISTORY_DAYS - 60), rng.uniform(10, 45))
                irritants.append(
                    _Irritant(
                        uid=len(irritants),
                        admin=admin,
                        procedure=proc,
                        templates=tuple(theme["templates"]),
                        spoken=tuple(meta.get("spoken", ("l'administration", "ce service"))),
                        demarche=(spoken_procs.get(proc) or f"la démarche « {proc.replace('-', ' ')} »")
                        if proc
                        else "",
                        refs=tuple(meta.get("refs", cat["pools"]["default_ref"])),
                        territories=area,
                        channels=_channel_profile(theme.get("channel"), channels),
                        severities=_cumulative(_SEVERITY_PROFILES[theme.get("severity", "perte_de_temps")]),
                        burst=burst,
                        assisted=theme.get("assisted", 0.0),
                        admin_procedures=given_procs,
                    )
                )
    if not irritants:
        raise ValueError("no demo irritant matches the given administrations and territories")
    ranks = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)
    weights = [0.0] * len(scores)
    for rank, index in enumerate(ranks, start=1):
        weights[index] = (rank + _ZIPF_Q) ** -_ZIPF_S
    return irritants, _cumulative(weights)


class _Slots(dict):
    """Template slot values, drawn lazily so that unused slots cost nothing and reused ones agree."""

    def __init__(self, rng: random.Random, irritant: _Irritant, territory: str) -> None:
        super().__init__()
        self.rng, self.irritant, self.territory = rng, irritant, territory

    def __missing__(self, key: str) -> str:
        rng, pools = self.rng, _catalogue()["pools"]
        if key == "admin":
            value = rng.choice(self.irritant.spoken)
        elif key == "Admin":
            admin = self["admin"]
            value = admin[:1].upper() + admin[1:]
        elif key == "demarche":
            value = self.irritant.demarche or "ma démarche"
        elif key == "ville":
            value = _catalogue()["cities"].get(self.territory, "ma commune")
        elif key == "montant":
            value = noise.amount(rng)
        elif key == "ref":
            value = noise.fill(rng, rng.choice(self.irritant.refs))
        elif key == "tel":
            value = noise.fill(rng, rng.choice(pools["tel"]))
        elif key == "mail":
            value = _email(rng)
        else:
            value = rng.choice(pools[key])
        self[key] = value
        return value


def _email(rng: random.Random) -> str:
    pools = _catalogue()["pools"]
    digits = rng.randrange(1, 100) if rng.random() < 0.6 else rng.randrange(1950, 2008)
    return f"{rng.choice(pools['prenom'])}.{rng.choice(pools['nom'])}{digits}@{rng.choice(pools['domain'])}"


def _render(template: str, slots: _Slots) -> str:
    text = template.format_map(slots)
    return text[:1].upper() + text[1:] if template.startswith("{") else text


def _describe(rng: random.Random, irritant: _Irritant, territory: str) -> str:
    cat = _catalogue()
    slots = _Slots(rng, irritant, territory)
    template = rng.choice(irritant.templates)
    body = _render(template, slots)
    # Surrounding sentences keep the same administration and child but draw their own durations and amounts.
    extra = _Slots(rng, irritant, territory)
    extra.update((k, v) for k, v in slots.items() if k not in ("duree", "montant", "nb"))
    parts = []
    if rng.random() < 0.42:
        parts.append(rng.choice(cat["openings"]))
    if rng.random() < 0.12:
        # Long accounts: context, the problem told twice in other words, then everything already tried.
        parts.extend(c.format_map(extra) for c in rng.sample(cat["contexts"], 2))
        parts.append(body)
        other = rng.choice(irritant.templates)
        if other != template:
            parts.append(_render(other, slots))
        parts.extend(f.format_map(extra) for f in rng.sample(cat["followups"], rng.randint(2, 4)))
    else:
        if rng.random() < 0.25:
            parts.append(rng.choice(cat["contexts"]).format_map(extra))
        parts.append(body)
        if rng.random() < 0.2:
            parts.append(rng.choice(cat["followups"]).format_map(extra))
    if rng.random() < 0.08:
        parts.append(rng.choice(cat["contacts"]).format_map(extra))
    if rng.random() < 0.33:
        parts.append(rng.choice(cat["closings"]))
    text = ("\n" if rng.random() < 0.3 else " ").join(parts)
    if rng.random() < 0.10:
        sms = cat["sms"]
        text = _sms_pattern().sub(lambda m: sms[m.group().lower()], text)
        if rng.random() < 0.5:
            text = text.lower()
    if rng.random() < 0.15:
        text = noise.strip_accents(text)
    if rng.random() < 0.07:
        text = noise.shout(rng, text)
    if rng.random() < 0.30:
        text = noise.typos(rng, text)
    text = text.strip()
    if len(text) > 4000:
        text = text[:4000].rsplit(" ", 1)[0]
    if len(text) < 20:
        text = f"{text} Merci de votre aide."
    return text


def generate_reports(
    n: int,
    *,
    seed: int,
    administrations: dict[str, list[str]],
    territories: list[str],
    channels: list[str],
    now: dt.datetime,
) -> Iterator[dict]:
    """Yield n realistic French citizen reports, deterministic for a given seed."""
    if n < 0:
        raise ValueError("n must be non-negative")
    if not territories or not channels:
        raise ValueError("territories and channels must not be empty")
    rng = random.Random(seed)
    irritants, cum = _build(administrations, sorted(set(territories)), sorted(set(channels)), rng)
    now_utc = now.astimezone(dt.UTC) if now.tzinfo else now.replace(tzinfo=dt.UTC)
    latest_day = min(now_utc.date(), now.date())
    total = cum[-1]
    for _ in range(n):
        irritant = irritants[bisect.bisect(cum, rng.random() * total)]
        territory = _pick(rng, *irritant.territories)
        channel = _pick(rng, *irritant.channels)
        severity = _pick(rng, SEVERITIES, irritant.severities)
        if irritant.burst and rng.random() < 0.75:
            days_ago = irritant.burst[0] + rng.random() * irritant.burst[1]
        else:
            # Recent months weigh more: the service's audience grows over time.
            days_ago = _HISTORY_DAYS * rng.random() ** 1.25
        created = (now_utc - dt.timedelta(days=days_ago)).replace(
            hour=bisect.bisect(_HOUR_CUM, rng.random() * _HOUR_CUM[-1]),
            minute=rng.randrange(60),
            second=rng.randrange(60),
            microsecond=0,
        )
        if created.weekday() >= 5 and rng.random() < 0.4:
            created -= dt.timedelta(days=created.weekday() - 4)
        if created > now_utc:
            created -= dt.timedelta(days=1)
        occurred_on = None
        if rng.random() < 0.75:
            lag = min(int(rng.expovariate(1 / 25)), 400)
            occurred_on = min(created.date() - dt.timedelta(days=lag), latest_day)
        procedure = irritant.procedure
        if procedure is not None:
            procedure = None if rng.random() < 0.08 else procedure
        elif irritant.admin_procedures and rng.random() < 0.35:
            procedure = rng.choice(irritant.admin_procedures)
        assisted_p = (0.5 if channel == "france_services" else 0.08) + irritant.assisted
        yield {
            "description": _describe(rng, irritant, territory),
            "administration": irritant.admin,
            "procedure": procedure,
            "territory": territory,
            "channel": channel,
            "severity": severity,
            "occurred_on": occurred_on,
            "created_at": created,
            "assisted": rng.random() < assisted_p,
            "email": _email(rng) if rng.random() < 0.2 else None,
            "underlying_id": irritant.uid,
        }
