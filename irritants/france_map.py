"""A map of France by département, coloured by a figure (a choropleth); pure: standard library only, no Flask, no SQL.

The shapes come as a ``Geometry`` (``referential/geography.py`` reads the bundled file); this module classes the
values on a sequential, colour-blind-safe scale (ColorBrewer's YlGnBu, five classes at most, its lightest class
for zero), gives every département its accessible name (« Nord : 12,3 signalements pour 100 000 habitants ») and
its link, lays the legend out, and writes the table that says the same figures. ``templates/macros/france_map.html``
draws it: an SVG whose départements are links, then the table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from irritants.charts import CHAR_WIDTH, number_fr

# ColorBrewer YlGnBu, 5 classes: sequential, readable with every common colour-vision deficiency and in grey.
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
CLASSES = len(PALETTE)
LEGEND_ROW = 22
LEGEND_SWATCH = 18
PER = 100_000
UNIT = "signalements pour 100\u00a0000 habitants"


@dataclass(frozen=True)
class Inset:
    """The frame of an overseas département drawn beside the metropolitan map."""

    code: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Geometry:
    """Every département's outline (SVG path data, in the map's own pixels), the frames of the insets, and the
    credit the map's licence asks for."""

    width: int
    height: int
    shapes: Mapping[str, str]
    insets: tuple[Inset, ...]
    attribution: str

    @classmethod
    def from_json(cls, text: str) -> Geometry:
        """The geometry of ``referential/data/france_departements.json``."""
        data = json.loads(text)
        return cls(
            width=int(data["width"]),
            height=int(data["height"]),
            shapes={shape["code"]: shape["d"] for shape in data["shapes"]},
            insets=tuple(Inset(**inset) for inset in data["insets"]),
            attribution=data["attribution"],
        )


@dataclass(frozen=True)
class Area:
    """A département as drawn: its outline, value, class (None: no value) and the words that name it."""

    code: str
    name: str
    d: str
    value: float | None
    shown: str  # the value as the page writes it, or « sans donnée »
    label: str  # the accessible name: « Nord : 12,3 signalements pour 100 000 habitants »
    klass: int | None
    fill: str | None
    href: str | None


@dataclass(frozen=True)
class LegendItem:
    klass: int | None  # None: « sans donnée »
    label: str
    fill: str | None
    x: float
    y: float


@dataclass(frozen=True)
class InsetFrame:
    code: str
    name: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class FranceMap:
    """A choropleth ready to draw, with its table (``headers``; ``rows``: one per département, the largest value
    first, each a list of (text, link or None) cells whose first names the département)."""

    width: int
    height: int
    title: str
    description: str
    unit: str
    areas: tuple[Area, ...]
    insets: tuple[InsetFrame, ...]
    legend: tuple[LegendItem, ...]
    legend_top: float
    attribution: str
    headers: tuple[str, ...]
    rows: tuple[tuple[tuple[str, str | None], ...], ...]
    empty: bool


def _round_down(value: float) -> float:
    """``value`` cut to two significant digits (0.0347 → 0.034, 1234 → 1200): breaks a reader can take in."""
    if value <= 0:
        return 0.0
    exponent = math.floor(math.log10(value)) - 1
    return float(math.floor(value / 10**exponent) * 10**exponent)


def class_breaks(values: Sequence[float], count: int = CLASSES) -> tuple[float, ...]:
    """The lower bounds of the classes, first one included (quantiles, rounded down to two significant digits).

    A zero gets a class of its own (« aucun »), the positive values share the others by quantiles; fewer classes
    when the values do not part more."""
    positive = sorted(v for v in values if v > 0)
    bounds: list[float] = [0.0] if any(v == 0 for v in values) else []
    room = count - len(bounds)
    for k in range(room if positive else 0):
        low = round(_round_down(positive[math.floor(k * len(positive) / room)]), 10)
        if not bounds or low > bounds[-1]:
            bounds.append(low)
    return tuple(bounds)


def classify(value: float, bounds: Sequence[float]) -> int:
    """The index of the class ``value`` falls in (the last bound it reaches)."""
    index = 0
    for i, low in enumerate(bounds):
        if value >= low:
            index = i
    return index


def _palette(count: int) -> tuple[str, ...]:
    """``count`` colours spread over the scale, lightest first (two classes stay far apart)."""
    if count <= 1:
        return (PALETTE[2],)
    return tuple(PALETTE[round(i * (CLASSES - 1) / (count - 1))] for i in range(count))


def _number(value: float, decimals: int) -> str:
    return number_fr(round(value, decimals))


def _class_labels(bounds: Sequence[float], decimals: int) -> list[str]:
    labels = []
    for i, low in enumerate(bounds):
        high = bounds[i + 1] if i + 1 < len(bounds) else None
        if low == 0 and high is not None and i == 0:
            labels.append("0")
        elif high is None:
            labels.append(f"{_number(low, decimals)} ou plus")
        elif i == 1 and bounds[0] == 0:
            labels.append(f"plus de 0 et moins de {_number(high, decimals)}")
        else:
            labels.append(f"de {_number(low, decimals)} à moins de {_number(high, decimals)}")
    return labels


def _legend(labels: Sequence[str], fills: Sequence[str | None], width: int, top: float) -> tuple[LegendItem, ...]:
    items, x, y = [], 8.0, top + 14
    for klass, (label, fill) in enumerate(zip(labels, fills, strict=True)):
        size = LEGEND_SWATCH + 6 + len(label) * CHAR_WIDTH + 18
        if x + size > width and x > 8:
            x, y = 8.0, y + LEGEND_ROW
        items.append(LegendItem(klass if fill else None, label, fill, round(x, 2), y))
        x += size
    return tuple(items)


def per_inhabitants(counts: Mapping[str, int], populations: Mapping[str, int], per: int = PER) -> dict[str, float]:
    """Counts per ``per`` inhabitants, for every département with a population (no count: zero)."""
    return {code: counts.get(code, 0) * per / population for code, population in populations.items() if population}


def choropleth(
    geometry: Geometry,
    names: Mapping[str, str],
    values: Mapping[str, float],
    *,
    title: str,
    unit: str = UNIT,
    decimals: int = 1,
    link: Callable[[str], str | None] | None = None,
    columns: Sequence[tuple[str, Mapping[str, str]]] = (),
) -> FranceMap:
    """The map of ``values`` by département code (a code without a value is drawn hatched, « sans donnée »).

    ``link(code)``: where a département leads (the irritants behind its figure); ``columns``: more columns for the
    table, each (header, code → text already formatted), e.g. the counts and the populations behind a rate."""
    known = {code: value for code, value in values.items() if code in geometry.shapes}
    bounds = class_breaks(list(known.values()))
    fills = _palette(len(bounds)) if bounds else ()
    areas = []
    for code, d in geometry.shapes.items():
        name = names.get(code, code)
        value = known.get(code)
        klass = None if value is None else classify(value, bounds)
        shown = "sans donnée" if value is None else _number(value, decimals)
        label = f"{name} : sans donnée" if value is None else f"{name} : {shown} {unit}"
        href = link(code) if link else None
        fill = None if klass is None else fills[klass]
        areas.append(Area(code, name, d, value, shown, label, klass, fill, href))
    labels = _class_labels(bounds, decimals)
    legend_fills: list[str | None] = list(fills)
    if len(known) < len(geometry.shapes):
        labels.append("sans donnée")
        legend_fills.append(None)
    legend_top = float(geometry.height)
    legend = _legend(labels, legend_fills, geometry.width, legend_top)
    height = int((legend[-1].y if legend else legend_top) + 12)
    ordered = sorted(areas, key=lambda a: (a.value is None, -(a.value or 0), a.name))
    rows = tuple(
        ((area.name, area.href), (area.shown, None), *((column.get(area.code, "—"), None) for _, column in columns))
        for area in ordered
    )
    with_values = [a for a in ordered if a.value is not None]
    if with_values:
        top = with_values[0]
        description = (
            f"Carte des départements colorés selon le nombre de {unit}, en {len(bounds)} classe"
            f"{'s' if len(bounds) > 1 else ''} ; le plus élevé : {top.name} ({top.shown})."
        )
    else:
        description = "Carte des départements : aucune donnée pour cette période."
    insets = tuple(
        InsetFrame(inset.code, names.get(inset.code, inset.code), inset.x, inset.y, inset.width, inset.height)
        for inset in geometry.insets
    )
    return FranceMap(
        width=geometry.width,
        height=height,
        title=title,
        description=description,
        unit=unit,
        areas=tuple(areas),
        insets=insets,
        legend=legend,
        legend_top=legend_top,
        attribution=geometry.attribution,
        headers=("Département", unit[:1].upper() + unit[1:], *(header for header, _ in columns)),
        rows=rows,
        empty=not with_values,
    )
