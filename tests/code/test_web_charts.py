"""The SVG charts carry exactly the numbers they are given, escape every text and survive empty or all-zero data.

Each chart is parsed as XML: a page that inlines it must get one well-formed `<svg>`.
"""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from serving.web.charts import bar_chart, line_chart, nice_ticks, stacked_bar_chart, waterfall_chart

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["2024-01-31", "2024-02-29", "2024-03-31"]


def parse(markup) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    return root


def points(root: ET.Element) -> list[ET.Element]:
    return [el for el in root.iter() if "point" in el.get("class", "").split()]


def classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def tip(el: ET.Element) -> str:
    title = el.find(f"{SVG}title")
    assert title is not None, "every point has a hover title"
    return title.text or ""


def shown(text: ET.Element) -> str:
    """Return what a `<text>` displays: its own text, not the hover title inside it."""
    return (text.text or "") + "".join(child.tail or "" for child in text)


def texts(root: ET.Element, kind: str) -> list[str]:
    return [shown(el) for el in root.iter(f"{SVG}text") if kind in classes(el)]


def pixels_per_unit(root: ET.Element) -> float:
    """Return the y scale read back from the first two tick lines (their data-value and their row)."""
    (a, ya), (b, yb) = [(float(g.get("data-value")), float(g.find(f"{SVG}line").get("y1"))) for g in ticks(root)][:2]
    return (ya - yb) / (b - a)


def ticks(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "tick" in classes(g)]


ALL_KINDS = {
    "bar": lambda: bar_chart(["a", "b"], [1.0, 2.0], title="T & t"),
    "stacked-bar": lambda: stacked_bar_chart(["a", "b"], {"x": [1.0, 2.0], "y": [3.0, 4.0]}, title="T & t"),
    "line": lambda: line_chart(["a", "b"], {"x": [1.0, 2.0]}, title="T & t"),
    "waterfall": lambda: waterfall_chart("base", -2.0, [("f", 0.5)], "score", title="T & t"),
}


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_chart_is_one_responsive_accessible_svg(kind):
    root = parse(ALL_KINDS[kind]())
    assert root.get("role") == "img" and root.get("aria-label") == "T & t"
    assert classes(root) == {"chart", f"chart-{kind}"}
    assert root.get("viewBox") == "0 0 640 280" and root.get("width") == "100%" and root.get("height") is None
    assert {el.tag.removeprefix(SVG) for el in root.iter()} <= {
        "svg",
        "g",
        "a",
        "rect",
        "circle",
        "line",
        "polyline",
        "text",
        "title",
    }
    assert not any(el.get("fill") not in (None, "none") for el in root.iter()), "colours belong to the style sheet"


def test_every_bar_carries_its_exact_number_label_and_series():
    values = [1234.5, 0.1 + 0.2, 7, -250.0, np.float64(1.5), np.int64(3)]
    labels = ["a", "b", "c", "d", "e", "f"]
    root = parse(bar_chart(labels, values, title="Overdue"))
    found = points(root)
    assert [p.get("data-value") for p in found] == ["1234.5", "0.30000000000000004", "7", "-250.0", "1.5", "3"]
    assert [p.get("data-label") for p in found] == labels
    assert {p.get("data-series") for p in found} == {"Overdue"}
    assert tip(found[0]) == "a: 1,234" and tip(found[3]) == "d: -250"
    assert texts(root, "x-label") == labels


def test_a_negative_bar_hangs_below_the_zero_line():
    root = parse(bar_chart(["invoice", "credit note"], [100.0, -40.0], title="t"))
    zero = float(next(el for el in root.iter(f"{SVG}line") if "axis" in classes(el)).get("y1"))
    up, down = points(root)
    assert float(up.get("y")) + float(up.get("height")) == pytest.approx(zero, abs=0.01)
    assert float(down.get("y")) == pytest.approx(zero, abs=0.01)
    assert float(down.get("height")) == pytest.approx(40 * pixels_per_unit(root), abs=0.05)
    assert min(float(g.get("data-value")) for g in ticks(root)) <= -40


def test_a_missing_value_draws_no_point_but_keeps_its_place():
    labels = ["a", "b", "c", "d"]
    gappy = parse(bar_chart(labels, [1.0, None, float("nan"), 4.0], title="t"))
    full = parse(bar_chart(labels, [1.0, 2.0, 3.0, 4.0], title="t"))
    assert [p.get("data-label") for p in points(gappy)] == ["a", "d"]
    assert [p.get("x") for p in points(gappy)] == [p.get("x") for p in points(full) if p.get("data-label") in "ad"]
    assert texts(gappy, "x-label") == labels


def test_a_line_breaks_at_a_missing_value():
    series = {"DSO": [41.0, 43.0, None, 44.0, 45.0], "lonely": [None, 30.0, None, 31.0, None]}
    root = parse(line_chart(["1", "2", "3", "4", "5"], series, title="DSO", value_format="{:.1f}".format))
    dso = [p for p in points(root) if p.get("data-series") == "DSO"]
    assert [p.tag for p in dso] == [f"{SVG}circle"] * 4
    assert [p.get("data-value") for p in dso] == ["41.0", "43.0", "44.0", "45.0"]
    assert tip(dso[0]) == "1 · DSO: 41.0"
    lines = list(root.iter(f"{SVG}polyline"))
    assert [len(el.get("points").split()) for el in lines] == [2, 2], "two runs of DSO, none of single points"
    assert all("series-0" in classes(el) for el in lines)
    assert [p.get("data-label") for p in points(root) if p.get("data-series") == "lonely"] == ["2", "4"]
    assert texts(root, "legend-label") == ["DSO", "lonely"]


def test_a_target_is_a_dashed_line_at_its_value_and_is_on_the_scale():
    root = parse(line_chart(MONTHS, {"DSO": [10.0, 12.0, 11.0]}, title="t", target=45, target_label="Ziel"))
    target = next(el for el in root.iter(f"{SVG}line") if "target" in classes(el))
    zero = float(next(el for el in root.iter(f"{SVG}line") if "axis" in classes(el)).get("y1"))
    assert target.get("stroke-dasharray") not in (None, "none")
    assert zero - float(target.get("y1")) == pytest.approx(45 * pixels_per_unit(root), abs=0.05)
    assert texts(root, "target-label") == ["Ziel: 45"]
    assert "point" not in classes(target)


def test_texts_are_escaped_and_read_back_whole():
    name = "<script>alert(1)</script> & Söhne"
    markup = str(
        bar_chart([name, "B&B"], [1.0, 2.0], title="Top <2> & more", links=['/c?id=1&x="2"', None])
        + stacked_bar_chart(["x"], {name: [1.0]}, title=name)
    )
    assert "<script>" not in markup
    bars = parse(bar_chart([name, "B&B"], [1.0, 2.0], title="Top <2> & more"))
    assert bars.get("aria-label") == "Top <2> & more"
    assert [p.get("data-label") for p in points(bars)] == [name, "B&B"]
    assert texts(bars, "x-label") == [name, "B&B"]
    assert tip(points(bars)[0]) == f"{name}: 1"
    stacked = parse(stacked_bar_chart(["x"], {name: [1.0]}, title=name))
    assert points(stacked)[0].get("data-series") == name and texts(stacked, "legend-label") == [name[:23] + "…"]


def test_a_long_label_is_shortened_on_the_axis_but_whole_in_the_data_and_the_hover():
    labels = [f"A very long customer name number {i}" for i in range(12)]
    root = parse(bar_chart(labels, [float(i) for i in range(12)], title="t"))
    axis = [el for el in root.iter(f"{SVG}text") if "x-label" in classes(el)]
    assert all(shown(el).endswith("…") and len(shown(el)) < len(labels[0]) for el in axis)
    assert [tip(el) for el in axis] == labels
    assert [p.get("data-label") for p in points(root)] == labels


def test_links_wrap_the_bars_they_are_given_for():
    root = parse(bar_chart(["a", "b", "c"], [1.0, 2.0, None], title="t", links=["/list?bucket=a&x=1", None, "/c"]))
    parent = {child: el for el in root.iter() for child in el}
    a, b = points(root)
    assert parent[a].tag == f"{SVG}a" and parent[a].get("href") == "/list?bucket=a&x=1"
    assert parent[b] is root
    assert len(list(root.iter(f"{SVG}a"))) == 1, "no link without a bar"
    with pytest.raises(ValueError, match="links"):
        bar_chart(["a", "b"], [1.0, 2.0], title="t", links=["/a"])


def test_stacked_segments_are_proportional_to_their_values_and_stack_without_gaps():
    series = {"current": [500.0, 300.0, 0.0], "1-30": [120.0, None, 80.0], "over 30": [60.0, 45.5, 20.0]}
    root = parse(stacked_bar_chart(MONTHS, series, title="Aging"))
    scale = pixels_per_unit(root)
    found = points(root)
    assert len(found) == 8, "the missing segment is not drawn; a zero one is, with no height"
    for p in found:
        value = series[p.get("data-series")][MONTHS.index(p.get("data-label"))]
        assert p.get("data-value") == repr(value)
        assert float(p.get("height")) == pytest.approx(value * scale, abs=0.05)
        assert {f"series-{list(series).index(p.get('data-series'))}"} <= classes(p)
    for month in MONTHS:
        column = [p for p in found if p.get("data-label") == month]
        for lower, upper in itertools.pairwise(column):
            assert float(upper.get("y")) + float(upper.get("height")) == pytest.approx(float(lower.get("y")), abs=0.02)
    assert texts(root, "legend-label") == list(series)
    assert max(float(g.get("data-value")) for g in ticks(root)) >= 680


def test_stacked_negative_parts_go_below_zero():
    root = parse(stacked_bar_chart(["m"], {"invoices": [100.0], "credit notes": [-30.0]}, title="t"))
    zero = float(next(el for el in root.iter(f"{SVG}line") if "axis" in classes(el)).get("y1"))
    up, down = points(root)
    assert float(up.get("y")) + float(up.get("height")) == pytest.approx(zero, abs=0.01)
    assert float(down.get("y")) == pytest.approx(zero, abs=0.01)


def test_series_of_other_lengths_than_the_labels_are_refused():
    with pytest.raises(ValueError, match="other lengths"):
        stacked_bar_chart(MONTHS, {"a": [1.0, 2.0]}, title="t")
    with pytest.raises(ValueError, match="other lengths"):
        line_chart(MONTHS, {"a": [1.0]}, title="t")


def test_the_waterfall_ends_at_the_start_plus_the_contributions():
    steps = [("avg_days_late_365d", 0.82), ("years_as_customer", -0.42), ("unknown", float("nan")), ("overdue", 0.1)]
    root = parse(
        waterfall_chart("base value", -3.1, steps, "this customer", title="Why", value_format="{:+.2f}".format)
    )
    found = points(root)
    by_series = {s: [p for p in found if p.get("data-series") == s] for s in ("base", "contribution", "total")}
    assert [p.get("data-value") for p in by_series["base"]] == ["-3.1"]
    assert [(p.get("data-label"), p.get("data-value")) for p in by_series["contribution"]] == [
        ("avg_days_late_365d", "0.82"),
        ("years_as_customer", "-0.42"),
        ("overdue", "0.1"),
    ]
    (end,) = by_series["total"]
    assert end.get("data-label") == "this customer"
    assert float(end.get("data-value")) == pytest.approx(-3.1 + 0.82 - 0.42 + 0.1, abs=1e-12)
    assert float(end.get("data-value")) == -3.1 + math.fsum([0.82, -0.42, 0.1])
    assert [p for p in by_series["contribution"] if "positive" in classes(p)] == by_series["contribution"][::2]
    assert "negative" in classes(by_series["contribution"][1])
    assert all("total" in classes(p) for p in (*by_series["base"], end))
    assert tip(by_series["contribution"][0]) == "avg_days_late_365d: +0.82"
    scale = pixels_per_unit(root)
    assert float(end.get("height")) == pytest.approx(abs(float(end.get("data-value"))) * scale, abs=0.05)
    # Each step starts where the one before ended: the bottom of +0.82 is the base level.
    first = by_series["contribution"][0]
    base = by_series["base"][0]
    assert float(first.get("y")) + float(first.get("height")) == pytest.approx(
        float(base.get("y")) + float(base.get("height")), abs=0.02
    )
    assert "unknown" in texts(root, "x-label"), "the missing step keeps its place"


@pytest.mark.parametrize(
    "chart",
    [
        lambda e: bar_chart([], [], title="t", empty_text=e),
        lambda e: bar_chart(["a", "b"], [None, float("nan")], title="t", empty_text=e),
        lambda e: stacked_bar_chart([], {}, title="t", empty_text=e),
        lambda e: stacked_bar_chart(MONTHS, {"a": [None] * 3}, title="t", empty_text=e),
        lambda e: line_chart([], {"a": []}, title="t", empty_text=e),
        lambda e: waterfall_chart("base", -2.0, [], "end", title="t", empty_text=e),
        lambda e: waterfall_chart("base", float("nan"), [("f", 1.0)], "end", title="t", empty_text=e),
    ],
)
def test_no_data_gives_the_empty_text(chart):
    root = parse(chart("keine Daten & so"))
    assert [shown(el) for el in root.iter(f"{SVG}text")] == ["keine Daten & so"]
    assert not points(root) and root.get("role") == "img"


def test_all_zero_values_draw_without_dividing_by_zero():
    bars = parse(bar_chart(["a", "b"], [0, 0.0], title="t"))
    assert [p.get("data-value") for p in points(bars)] == ["0", "0.0"]
    assert all(float(p.get("height")) == 0 for p in points(bars))
    assert ticks(bars)[0].get("data-value") == "0.0" and len(ticks(bars)) >= 4
    assert len(set(texts(bars, "tick-label"))) == len(ticks(bars)), "0..1 ticks keep their decimals"
    parse(stacked_bar_chart(["a"], {"x": [0.0], "y": [0.0]}, title="t"))
    parse(line_chart(["a", "b"], {"x": [0.0, 0.0]}, title="t", target=0.0))
    parse(waterfall_chart("base", 0.0, [("f", 0.0)], "end", title="t"))
    tiny = parse(bar_chart(["a"], [3e-13], title="t"))
    assert points(tiny)[0].get("data-value") == "3e-13" and len(set(texts(tiny, "tick-label"))) == len(ticks(tiny))


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 100, [0, 20, 40, 60, 80, 100]),
        (0, 7, [0, 2, 4, 6, 8]),
        (0, 880_000, [0, 200_000, 400_000, 600_000, 800_000, 1_000_000]),
        (0, 0.05, [0, 0.01, 0.02, 0.03, 0.04, 0.05]),
        (0, 11, [0, 2.5, 5, 7.5, 10, 12.5]),
        (-18_000, 125_000, [-50_000, 0, 50_000, 100_000, 150_000]),
        (-3.1, -1.6, [-4, -3, -2, -1, 0]),
        (0, 3e-13, [0, 1e-13, 2e-13, 3e-13]),
    ],
)
def test_ticks_are_nice_round_numbers(low, high, expected):
    assert nice_ticks(low, high) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("values", "value_format", "expected"),
    [
        ([11.0], "{:,.0f}".format, ["0.0", "2.5", "5.0", "7.5", "10.0", "12.5"]),  # not "2" and "8"
        ([0.05], "{:.0%}".format, ["0%", "1%", "2%", "3%", "4%", "5%"]),  # the page's own format where exact
        ([-18_000.0, 125_000.0], "{:,.0f}".format, ["-50,000", "0", "50,000", "100,000", "150,000"]),
        ([3e-13], "{:,.0f}".format, ["0", "1e-13", "2e-13", "3e-13"]),
    ],
)
def test_tick_labels_show_each_tick_exactly(values, value_format, expected):
    root = parse(bar_chart([str(i) for i in range(len(values))], values, title="t", value_format=value_format))
    assert texts(root, "tick-label") == expected


@given(st.floats(min_value=1e-6, max_value=1e12))
def test_ticks_from_zero_are_four_to_six_and_cover_the_maximum(high):
    found = nice_ticks(0, high)
    step = found[1] - found[0]
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
    assert found[0] == 0 and found[-1] >= high * (1 - 1e-9) and 4 <= len(found) <= 6
    assert min(abs(mantissa - m) for m in (1, 2, 2.5, 5, 10)) < 1e-6
