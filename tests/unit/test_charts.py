"""The geometry of server-side charts (irritants/charts.py), without an app: scales, ticks, points, bars."""

from __future__ import annotations

import pytest

from irritants.charts import Scale, Series, bar_chart, line_chart, nice_ticks, number_fr


def test_a_scale_maps_its_ends_onto_the_pixels_and_flips_for_a_y_axis():
    y = Scale(0, 20, 300, 100)
    assert (y(0), y(20), y(10), y(5)) == (300, 100, 200, 250)
    assert Scale(3, 3, 40, 10)(3) == 40  # a flat range does not divide by zero


@pytest.mark.parametrize(
    ("lo", "hi", "integer", "expected"),
    [
        (0, 13, False, [0, 5, 10, 15]),
        (0, 100, False, [0, 20, 40, 60, 80, 100]),
        (0, 0.9, False, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0, 3, True, [0, 1, 2, 3]),  # no half points or half people
        (0, 0, True, [0, 1]),  # nothing yet: an axis from 0 to 1
        (-4, 12, False, [-5, 0, 5, 10, 15]),
        (1234, 5678, False, [1000, 2000, 3000, 4000, 5000, 6000]),
    ],
)
def test_nice_ticks_cover_the_range_with_round_steps(lo, hi, integer, expected):
    ticks = nice_ticks(lo, hi, integer=integer)
    assert ticks == pytest.approx(expected)
    assert ticks[0] <= lo and ticks[-1] >= hi


def test_figures_are_written_the_french_way():
    shown = (number_fr(0), number_fr(1234567), number_fr(6.5), number_fr(2.25))
    assert shown == ("0", "1\u202f234\u202f567", "6,5", "2,25")


def test_a_line_chart_places_each_value_and_breaks_the_line_on_missing_days():
    chart = line_chart(
        ["07/12", "08/12", "09/12", "10/12", "11/12"],
        [Series("Points restants", [10, 8, None, None, 2]), Series("Ligne idéale", [10, 7.5, 5, 2.5, 0], 2, True)],
    )
    plot = chart.plot
    remaining, ideal = chart.lines
    assert [t.value for t in chart.y_ticks] == [0, 2, 4, 6, 8, 10]
    assert chart.y_ticks[0].position == plot.bottom and chart.y_ticks[-1].position == plot.top
    # Two runs: the first two days, then the last one alone.
    assert len(remaining.segments) == 2
    first = remaining.markers[0]
    assert (first.x, first.y, first.value, first.category) == (plot.left, plot.top, 10, "07/12")
    assert remaining.markers[-1].x == plot.right
    assert remaining.markers[1].y == pytest.approx(plot.bottom - plot.height * 0.8)
    assert remaining.segments[0] == f"{plot.left:g},{plot.top:g} {remaining.markers[1].x:g},{remaining.markers[1].y:g}"
    assert ideal.dashed and ideal.tone == 2 and len(ideal.segments) == 1 and len(ideal.markers) == 5
    assert [item.name for item in chart.legend] == ["Points restants", "Ligne idéale"]
    assert chart.legend[0].x < chart.legend[1].x
    assert not chart.empty


def test_a_line_chart_of_one_point_puts_it_in_the_middle():
    chart = line_chart(["07/12"], [Series("Personnes touchées", [42])])
    (point,) = chart.lines[0].markers
    assert point.x == chart.plot.left + chart.plot.width / 2
    assert chart.lines[0].segments == (f"{point.x:g},{point.y:g}",)
    assert [t.label for t in chart.x_ticks] == ["07/12"]


def test_a_chart_without_values_is_empty_but_still_has_axes():
    chart = line_chart(["a", "b"], [Series("Points", [None, None])])
    assert chart.empty and chart.lines[0].segments == () and [t.value for t in chart.y_ticks] == [0, 1]
    assert line_chart([], [Series("Points", [])]).empty
    assert bar_chart([], [Series("Points", [])]).empty


def test_x_labels_are_thinned_on_long_series_but_keep_the_first_and_last():
    days = [f"{d:02d}/01" for d in range(1, 31)]
    chart = line_chart(days, [Series("Points", list(range(30)))])
    labels = [t.label for t in chart.x_ticks]
    assert len(labels) <= 12 and labels[0] == "01/01" and labels[-1] == "30/01"


def test_bars_stand_on_zero_side_by_side_in_their_group():
    chart = bar_chart(
        ["Sprint 1", "Sprint 2"], [Series("Points faits", [8, 0]), Series("Irritants corrigés", [2, None], 2)]
    )
    plot = chart.plot
    bars = {(b.category, b.name): b for b in chart.bars}
    assert len(chart.bars) == 3  # no bar for the missing value
    eight = bars[("Sprint 1", "Points faits")]
    assert eight.y == plot.top and eight.y + eight.height == plot.bottom
    two = bars[("Sprint 1", "Irritants corrigés")]
    assert two.x == pytest.approx(eight.x + eight.width) and two.height == pytest.approx(plot.height / 4)
    assert bars[("Sprint 2", "Points faits")].height == 0
    assert eight.x > plot.left and bars[("Sprint 2", "Points faits")].x < plot.right
    assert [t.label for t in chart.x_ticks] == ["Sprint 1", "Sprint 2"]
    # Each group is centred on its label, and a lone bar keeps a bar's width.
    assert eight.x + eight.width == pytest.approx(chart.x_ticks[0].position)
    (alone,) = bar_chart(["Sprint 1"], [Series("Points faits", [5])]).bars
    assert alone.width == 48 and alone.x + 24 == pytest.approx(chart.plot.left + chart.plot.width / 2)


def test_values_must_match_the_categories():
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        line_chart(["a", "b", "c"], [Series("Points", [1, 2])])


def test_overlaid_bars_share_their_slot_and_a_rule_marks_the_boundary():
    before, after = Series("Avant", [3, 4, None, None], 2), Series("Après", [None, None, 1, 0])
    chart = bar_chart(["s1", "s2", "s3", "s4"], [before, after], overlay=True, rule=(2, "Correctif livré"))
    band = chart.plot.width / 4
    centres = [chart.plot.left + band * (i + 0.5) for i in range(4)]
    assert [round(b.x + b.width / 2, 1) for b in chart.bars] == [round(c, 1) for c in centres]
    assert [b.tone for b in chart.bars] == [2, 2, 1, 1]
    (rule,) = chart.rules
    assert rule.x == pytest.approx(chart.plot.left + 2 * band) and rule.label == "Correctif livré"
    assert bar_chart(["s1"], [Series("x", [1])]).rules == ()
