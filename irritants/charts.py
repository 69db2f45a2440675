"""The geometry of charts drawn on the server as inline SVG (pure: standard library only, no Flask, no I/O).

The pages' Content-Security-Policy forbids inline styles and scripts, and charts must read without JavaScript, so
no chart library fits (pygal embeds ``<style>`` and ``<script>``, ``@gouvfr/dsfr-chart`` draws in the browser).
This module only computes: scales, « nice » ticks, the points of lines, the rectangles of bars and the place of the
legend, as plain frozen dataclasses; ``templates/macros/charts.html`` turns them into ``<svg role="img">`` with a
title, a description, presentation attributes and CSS classes (``static/css/irritants.css``), and every chart
comes with a table of the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 320
# Room around the plot: y labels on the left, x labels below, the legend above.
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 52, 16, 40, 44
MAX_X_LABELS = 12
CHAR_WIDTH = 7.0  # average width of a 12 px character, to lay the legend out
LEGEND_SWATCH = 24
MAX_BAR_WIDTH = 48  # a lone sprint's bar stays a bar, not a wall


@dataclass(frozen=True)
class Box:
    """The plot area, in pixels from the top left corner of the SVG."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


@dataclass(frozen=True)
class Scale:
    """Maps the values of [lo, hi] onto the pixels [start, end] (``end < start`` on a y axis: SVG grows down)."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        if self.hi == self.lo:
            return self.start
        return round(self.start + (value - self.lo) * (self.end - self.start) / (self.hi - self.lo), 2)


@dataclass(frozen=True)
class Tick:
    value: float
    position: float  # pixels along its axis
    label: str


@dataclass(frozen=True)
class Series:
    """What a chart is given: a named list of values, one per category (None: no value, e.g. a day to come).
    ``tone`` picks the colour (1, 2, 3…: ``irritants-chart__tone--N``), ``dashed`` the stroke, so that series stay
    apart without colour."""

    name: str
    values: Sequence[float | None]
    tone: int = 1
    dashed: bool = False


@dataclass(frozen=True)
class LegendItem:
    x: float
    y: float
    name: str
    tone: int
    dashed: bool


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    category: str


@dataclass(frozen=True)
class Line:
    """A series drawn: one polyline per run of values without a gap (``points`` attributes), and its markers."""

    name: str
    tone: int
    dashed: bool
    segments: tuple[str, ...]
    markers: tuple[Point, ...]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    category: str
    name: str
    tone: int


@dataclass(frozen=True)
class Rule:
    """A vertical line across the plot at ``x`` (e.g. the day a fix was delivered), its label written at its top."""

    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    """A chart ready to draw: its size, plot area, axes, legend, lines or bars, and vertical rules."""

    width: int
    height: int
    plot: Box
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    legend: tuple[LegendItem, ...]
    lines: tuple[Line, ...] = ()
    bars: tuple[Bar, ...] = ()
    rules: tuple[Rule, ...] = ()
    empty: bool = False  # no value at all: the macro says so instead of drawing axes around nothing


@dataclass(frozen=True)
class Figure:
    """A chart and the table that says the same thing (``macros/charts.html``: ``figure`` and ``table``)."""

    chart: Chart
    title: str
    description: str
    headers: tuple[str, ...]
    rows: list[list[str]]


def number_fr(value: float) -> str:
    """A figure as French pages write it: narrow no-break space between thousands, decimal comma."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:,.2f}".rstrip("0").rstrip(".").replace(",", "\u202f").replace(".", ",")


def _nice(value: float, *, rounding: bool) -> float:
    """The « nice » number (1, 2, 5 or 10 times a power of ten) nearest ``value`` (rounded) or just above it."""
    exponent = math.floor(math.log10(value))
    fraction = value / 10**exponent
    if rounding:
        nice = 1 if fraction < 1.5 else 2 if fraction < 3 else 5 if fraction < 7 else 10
    else:
        nice = 1 if fraction <= 1 else 2 if fraction <= 2 else 5 if fraction <= 5 else 10
    return nice * 10**exponent


def nice_ticks(lo: float, hi: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values covering [lo, hi], about ``count`` of them (``integer``: steps of 1 at least)."""
    lo, hi = min(lo, hi), max(lo, hi)
    if hi == lo:
        hi = lo + 1
    step = _nice(_nice(hi - lo, rounding=False) / max(count - 1, 1), rounding=True)
    if integer:
        step = max(1.0, math.ceil(step))
    first, last = math.floor(lo / step) * step, math.ceil(hi / step) * step
    return [round(first + i * step, 10) for i in range(round((last - first) / step) + 1)]


def _plot(width: int, height: int) -> Box:
    return Box(MARGIN_LEFT, MARGIN_TOP, width - MARGIN_LEFT - MARGIN_RIGHT, height - MARGIN_TOP - MARGIN_BOTTOM)


def _y_axis(series: Sequence[Series], plot: Box, integer: bool) -> tuple[Scale, tuple[Tick, ...]]:
    values = [v for s in series for v in s.values if v is not None]
    values = values or [0.0]
    ticks = nice_ticks(min(0.0, *values), max(0.0, *values), integer=integer)
    scale = Scale(ticks[0], ticks[-1], plot.bottom, plot.top)
    return scale, tuple(Tick(t, scale(t), number_fr(t)) for t in ticks)


def _legend(series: Sequence[Series], width: int) -> tuple[LegendItem, ...]:
    items, x, y = [], float(MARGIN_LEFT), 14.0
    for s in series:
        size = LEGEND_SWATCH + 6 + len(s.name) * CHAR_WIDTH + 16
        if x + size > width and x > MARGIN_LEFT:  # next row
            x, y = float(MARGIN_LEFT), y + 16
        items.append(LegendItem(round(x, 2), y, s.name, s.tone, s.dashed))
        x += size
    return tuple(items)


def _x_labels(categories: Sequence[str], positions: Sequence[float], plot: Box) -> tuple[Tick, ...]:
    every = max(1, math.ceil(len(categories) / MAX_X_LABELS))
    last = len(categories) - 1
    shown = [i for i in range(len(categories)) if i % every == 0 or i == last]
    if len(shown) > 1 and shown[-1] - shown[-2] < every:  # the last label would touch the one before
        shown.pop(-2)
    return tuple(Tick(i, positions[i], categories[i]) for i in shown)


def _frame(
    categories: Sequence[str], series: Sequence[Series], width: int, height: int, integer: bool
) -> tuple[Box, Scale, tuple[Tick, ...]]:
    """What lines and bars share: one value per category, the plot area, the y scale and its ticks."""
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(f"{s.name}: {len(s.values)} values for {len(categories)} categories")
    plot = _plot(width, height)
    return (plot, *_y_axis(series, plot, integer))


def line_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
    integer: bool = True,
) -> Chart:
    """Lines over categories evenly spread along x (days, sprints); a None value breaks its line."""
    plot, y, y_ticks = _frame(categories, series, width, height, integer)
    count = len(categories)
    step = plot.width / (count - 1) if count > 1 else 0.0
    xs = [round(plot.left + i * step, 2) if count > 1 else plot.left + plot.width / 2 for i in range(count)]
    lines = []
    for s in series:
        segments: list[list[Point]] = [[]]
        for x, value, category in zip(xs, s.values, categories, strict=True):
            if value is None:
                segments.append([])
            else:
                segments[-1].append(Point(x, y(value), value, category))
        runs = [run for run in segments if run]
        lines.append(
            Line(
                s.name,
                s.tone,
                s.dashed,
                tuple(" ".join(f"{p.x:g},{p.y:g}" for p in run) for run in runs),
                tuple(p for run in runs for p in run),
            )
        )
    empty = all(not line.markers for line in lines)
    return Chart(
        width, height, plot, _x_labels(categories, xs, plot), y_ticks, _legend(series, width), lines=tuple(lines),
        empty=empty,
    )  # fmt: skip


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
    integer: bool = True,
    overlay: bool = False,
    rule: tuple[int, str] | None = None,
) -> Chart:
    """Vertical bars, grouped by category (one bar per series in each group); a None value draws no bar.

    ``overlay``: the series share each category's one slot (series that never both have a value there, such as the
    weeks before and after a fix). ``rule``: (i, label), a vertical line just before category i."""
    plot, y, y_ticks = _frame(categories, series, width, height, integer)
    band = plot.width / len(categories) if categories else plot.width
    slots = 1 if overlay else max(len(series), 1)
    bar_width = round(min(band * 0.7 / slots, MAX_BAR_WIDTH), 2)
    group = bar_width * slots
    centres = [round(plot.left + band * (i + 0.5), 2) for i in range(len(categories))]
    zero = y(max(y.lo, 0.0))
    bars = []
    for index, s in enumerate(series):
        for centre, value, category in zip(centres, s.values, categories, strict=True):
            if value is None:
                continue
            left = round(centre - group / 2 + (0 if overlay else index) * bar_width, 2)
            top = min(y(value), zero)
            bars.append(Bar(left, top, bar_width, round(abs(zero - y(value)), 2), value, category, s.name, s.tone))
    rules = () if rule is None else (Rule(round(plot.left + band * rule[0], 2), rule[1]),)
    empty = not bars
    return Chart(
        width, height, plot, _x_labels(categories, centres, plot), y_ticks, _legend(series, width), bars=tuple(bars),
        rules=rules, empty=empty,
    )  # fmt: skip
