"""Server-side SVG charts drawn from the numbers a page shows beside them, so a test can hold the two equal.

Each function returns one `<svg role="img">` (`Markup`), 100 % wide, viewBox 640 x 280. Every data point is one
element of class "point" with `data-series`, `data-label`, `data-value` (`repr(float)` or `str(int)`) and a hover
`<title>`. Colours are CSS classes only (`series-<k>`, `positive`, `negative`, `total`): the page's style sheet
holds the palette. A missing value (None, NaN, infinite) draws nothing but keeps its place on the x axis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from numbers import Integral

from markupsafe import Markup, escape

__all__ = ["bar_chart", "line_chart", "stacked_bar_chart", "waterfall_chart"]

Format = Callable[[float], str]
Links = Sequence[str | None] | None  # one URL (or None) per x label
Series = Mapping[str, Sequence[float | None]]  # name -> one value per x label, None (or NaN) where missing
DEFAULT_FORMAT: Format = "{:,.0f}".format
WIDTH, HEIGHT, PLOT_RIGHT = 640, 280, 628  # the plot ends 12 units short of the right edge
# Labels are fitted by counting characters: an 11 px sans-serif character is about 6.5 px wide on average.
FONT_SIZE, CHAR_WIDTH = 11, 6.5
ROTATED_CHARS, LEGEND_CHARS = 14, 24  # an x label too wide for its bar turns 45 degrees, cut to 14 characters


def _n(x: float) -> str:
    """Return a coordinate with at most two decimals: enough for a 640-unit viewBox, short in the page."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _raw(value: float) -> str:
    """Return the number as the data-value attribute states it: `str(int)` for integers, else `repr(float)`."""
    return str(value) if isinstance(value, int) else repr(value)


def _number(value: float | None) -> float | None:
    """Return a Python int or float (numpy's repr is "np.float64(1.5)"), None when missing: None, NaN, inf, NA."""
    try:
        number = int(value) if isinstance(value, Integral) else float(value)  # type: ignore[arg-type]
    except TypeError:  # None, pandas.NA
        return None
    return number if math.isfinite(number) else None


def _el(tag: str, attrs: Mapping[str, object], content: str = "") -> str:
    """Return one SVG element; attribute values are escaped here, `content` must already be markup."""
    pairs = ((name, _n(value) if isinstance(value, float) else value) for name, value in attrs.items())
    attributes = "".join(f' {name}="{escape(value)}"' for name, value in pairs)
    return f"<{tag}{attributes}>{content}</{tag}>" if content else f"<{tag}{attributes}/>"


def _text(x: float, y: float, text: str, attrs: Mapping[str, object], chars: int | None = None) -> str:
    """Return a `<text>` of the escaped `text`, cut to `chars` with an ellipsis and then whole in a hover title."""
    shown = text if chars is None or len(text) <= chars else text[: chars - 1] + "…"
    hover = _el("title", {}, str(escape(text))) if shown != text else ""
    return _el("text", {"x": x, "y": y, **attrs}, hover + str(escape(shown)))


def _point(tag: str, shape: Mapping[str, object], kind: str, series: str, label: str, value: float, tip: str) -> str:
    """Return one data point: its shape, the data-* attributes a test reads back, and its hover `tip` (a title)."""
    attrs = {"class": f"point {kind}", "data-series": series, "data-label": label, "data-value": _raw(value)}
    return _el(tag, {**attrs, **shape}, _el("title", {}, str(escape(tip))))


def _hline(kind: str, y: float, left: float, right: float, stroke: str, dash: str = "none") -> str:
    """Return a horizontal line, its grey given as presentation attributes, which the page's CSS overrides."""
    attrs = {"class": kind, "x1": left, "x2": right, "y1": y, "y2": y}
    return _el("line", {**attrs, "stroke": stroke, "stroke-dasharray": dash})


def _svg(kind: str, title: str, parts: Iterable[str]) -> Markup:
    root = {"xmlns": "http://www.w3.org/2000/svg", "class": f"chart chart-{kind}", "role": "img", "aria-label": title}
    size = {"viewBox": f"0 0 {WIDTH} {HEIGHT}", "width": "100%", "font-size": FONT_SIZE, "font-family": "sans-serif"}
    return Markup(_el("svg", {**root, **size}, "".join(parts)))


def _empty(kind: str, title: str, empty_text: str) -> Markup:
    return _svg(kind, title, [_text(WIDTH / 2, HEIGHT / 2, empty_text, {"class": "empty", "text-anchor": "middle"})])


def nice_ticks(low: float, high: float) -> list[float]:
    """Return the ticks of an axis holding 0, `low` and `high`, from the lowest to the highest.

    The step is 1, 2, 2.5 or 5 x 10^k, the smallest giving at most 5 intervals (4 to 6 ticks when one end is 0).
    """
    low, high = min(0.0, low), max(0.0, high)
    high = high if high > low else 1.0  # all zero: an axis from 0 to 1 rather than a division by zero
    exponent = math.floor(math.log10((high - low) / 5))
    while True:
        for mantissa in (1, 2, 2.5, 5):
            step = mantissa * 10.0**exponent
            # The tolerance keeps 0.30000000000000004 / 0.1 from asking for one more interval.
            bottom, top = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
            if top - bottom <= 5:
                return [float(f"{k * step:.12g}") for k in range(bottom, top + 1)]  # 12 digits: no 0.1 * 3 noise
        exponent += 1


def _tick_labels(ticks: Sequence[float], value_format: Format) -> list[str]:
    """Return the ticks in the chart's own format where it shows each one exactly, else with just enough decimals."""
    labels, step = [value_format(t) for t in ticks], ticks[1] - ticks[0]
    rounded = any(value_format(t - step / 1e6) != value_format(t + step / 1e6) for t in ticks if t)  # 2.5 as "2"
    decimals = next((f",.{d}f" for d in range(10) if abs(round(step, d) - step) < 1e-6 * step), "g")  # g: tiny steps
    return labels if len(set(labels)) == len(labels) and not rounded else [f"{t:{decimals}}" for t in ticks]


@dataclass(frozen=True)
class _Frame:
    """The plot area: x bands of width `band` from `left`; a value v at pixel row `zero - v * scale`."""

    left: float
    band: float
    zero: float
    scale: float

    def x(self, i: int) -> float:
        return self.left + (i + 0.5) * self.band

    def y(self, value: float) -> float:
        return self.zero - value * self.scale

    def bar(self, i: int, base: float, level: float) -> dict[str, object]:
        """Return the geometry of a bar in band `i` from value `base` to value `level`, either side of zero."""
        y0, y1, width = self.y(base), self.y(level), self.band * 0.7
        return {"x": self.x(i) - width / 2, "y": min(y0, y1), "width": width, "height": abs(y1 - y0)}


def _frame(labels: Sequence[str], values: list[float], value_format: Format, legend: bool) -> tuple[_Frame, list[str]]:
    """Return the plot area fitted to `values` and the markup of its grid, ticks, zero line and x labels."""
    ticks = nice_ticks(min(values, default=0.0), max(values, default=0.0))
    tick_text = _tick_labels(ticks, value_format)
    left = 14 + CHAR_WIDTH * max(len(t) for t in tick_text)
    longest = max(len(label) for label in labels)
    rotate = longest * CHAR_WIDTH > (PLOT_RIGHT - left) / len(labels) - 4
    extent = min(longest, ROTATED_CHARS) * CHAR_WIDTH * 0.71 if rotate else 0.0  # a turned label's width and height
    left = max(left, extent + 4 - (PLOT_RIGHT - left) / len(labels) / 2)  # the first turned label inside the picture
    band, bottom = (PLOT_RIGHT - left) / len(labels), HEIGHT - (20 + extent if rotate else 22)
    scale = (bottom - (30 if legend else 12)) / (ticks[-1] - ticks[0])  # the top: below the legend, if any
    frame = _Frame(left, band, bottom + ticks[0] * scale, scale)
    parts = []
    for tick, text in zip(ticks, tick_text):
        y = frame.y(tick)
        label = _text(left - 6, y + 4, text, {"class": "tick-label", "text-anchor": "end"})
        grid = _hline("grid", y, left, PLOT_RIGHT, "#e4e4e4")
        parts.append(_el("g", {"class": "tick", "data-value": _raw(tick)}, grid + label))
    parts.append(_hline("axis", frame.y(0.0), left, PLOT_RIGHT, "#888"))
    every = math.ceil(FONT_SIZE * 1.4 / band) if rotate else 1  # rotated labels too close: label every k-th one
    cut, anchor = (ROTATED_CHARS, {"text-anchor": "end"}) if rotate else (None, {"text-anchor": "middle"})
    for i in range(0, len(labels), every):
        x, y = frame.x(i) + (4 if rotate else 0), bottom + (8 if rotate else 14)
        turn = {"transform": f"rotate(-45 {_n(x)} {_n(y)})"} if rotate else {}
        parts.append(_text(x, y, labels[i], {"class": "x-label", **anchor, **turn}, cut))
    return frame, parts


def _legend(names: Sequence[str], x: float) -> str:
    parts = []
    for i, name in enumerate(names):
        parts.append(_el("rect", {"class": f"swatch series-{i}", "x": x, "y": 6, "width": 10, "height": 10}))
        parts.append(_text(x + 14, 15, name, {"class": "legend-label"}, LEGEND_CHARS))
        x += 28 + CHAR_WIDTH * min(len(name), LEGEND_CHARS)
    return _el("g", {"class": "legend"}, "".join(parts))


def _columns(labels: Sequence[str], series: Series, links: Links = None) -> list[list[float | None]]:
    """Return each series cleaned, after checking it (and `links`) has one value per label."""
    sizes = {name: len(values) for name, values in series.items()}
    sizes |= {"links": len(links)} if links is not None else {}
    wrong = {name: size for name, size in sizes.items() if size != len(labels)}
    if wrong:
        raise ValueError(f"{len(labels)} labels but these series have other lengths: {wrong}")
    return [[_number(v) for v in values] for values in series.values()]


def _bars(
    kind: str, labels: Sequence[str], series: Series, title: str, fmt: Format, empty: str, links: Links
) -> Markup:
    """Return stacked bars (kind "bar": one series, no legend); positive parts stack up from zero, negative down."""
    columns, legend = _columns(labels, series, links), kind != "bar"
    if all(v is None for column in columns for v in column):
        return _empty(kind, title, empty)
    ups, downs = ([sum(side(v or 0, 0) for v in values) for values in zip(*columns)] for side in (max, min))
    frame, parts = _frame(labels, [*ups, *downs], fmt, legend)
    for i, (label, values) in enumerate(zip(labels, zip(*columns))):
        up = down = 0.0
        for k, (name, value) in enumerate(zip(series, values)):
            if value is None:
                continue
            base = up if value >= 0 else down
            up, down = (up + value, down) if value >= 0 else (up, down + value)
            tip = f"{label} · {name}: {fmt(value)}" if legend else f"{label}: {fmt(value)}"
            bar = _point("rect", frame.bar(i, base, base + value), f"series-{k}", name, label, value, tip)
            parts.append(_el("a", {"href": links[i]}, bar) if links and links[i] else bar)
    return _svg(kind, title, [*parts, _legend(list(series), frame.left)] if legend else parts)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    value_format: Format = DEFAULT_FORMAT,
    links: Links = None,
    empty_text: str = "no data",
) -> Markup:
    """Return a bar per label (negative: below zero), data-series the title; `links` wraps bars in `<a href>`."""
    return _bars("bar", labels, {title: values}, title, value_format, empty_text, links)


def stacked_bar_chart(
    labels: Sequence[str],
    series: Series,
    *,
    title: str,
    value_format: Format = DEFAULT_FORMAT,
    empty_text: str = "no data",
) -> Markup:
    """Return one bar per label stacked from the series in their order, with a legend (`series-<k>` colours)."""
    return _bars("stacked-bar", labels, series, title, value_format, empty_text, None)


def line_chart(
    labels: Sequence[str],
    series: Series,
    *,
    title: str,
    value_format: Format = DEFAULT_FORMAT,
    empty_text: str = "no data",
    target: float | None = None,
    target_label: str = "target",
) -> Markup:
    """Return a line per series, broken where a value is missing, a circle per point, a dashed `target`, a legend."""
    columns = _columns(labels, series)
    drawn = [v for column in columns for v in column if v is not None]
    if not drawn:
        return _empty("line", title, empty_text)
    goal = _number(target)
    frame, parts = _frame(labels, drawn + ([goal] if goal is not None else []), value_format, legend=True)
    if goal is not None:
        parts.append(_hline("target", frame.y(goal), frame.left, PLOT_RIGHT, "#555", "5 4"))
        text, attrs = f"{target_label}: {value_format(goal)}", {"class": "target-label", "text-anchor": "end"}
        parts.append(_text(PLOT_RIGHT - 2, frame.y(goal) - 4, text, attrs))
    for k, (name, values) in enumerate(zip(series, columns)):
        runs: list[list[str]] = [[]]  # the polyline breaks at every missing value
        circles = []
        for i, (label, value) in enumerate(zip(labels, values)):
            if value is None:
                runs.append([])
                continue
            x, y = frame.x(i), frame.y(value)
            runs[-1].append(f"{_n(x)},{_n(y)}")
            tip, shape = f"{label} · {name}: {value_format(value)}", {"cx": x, "cy": y, "r": 3.5}
            circles.append(_point("circle", shape, f"series-{k}", name, label, value, tip))
        line = {"class": f"line series-{k}", "style": "fill: none", "stroke-width": 2}  # style: over any .series-k fill
        parts.extend(_el("polyline", {**line, "points": " ".join(run)}) for run in runs if len(run) > 1)
        parts.extend(circles)  # after the lines, so the circles stay on top for hover
    return _svg("line", title, [*parts, _legend(list(series), frame.left)])


def waterfall_chart(
    start_label: str,
    start: float,
    steps: Sequence[tuple[str, float]],
    end_label: str,
    *,
    title: str,
    value_format: Format = DEFAULT_FORMAT,
    empty_text: str = "no data",
) -> Markup:
    """Return a waterfall: the `start` level, one bar per step's contribution, then the end level as a total bar.

    For a SHAP explanation: start is the base value (log-odds); a step is `positive` when it raises risk and
    `negative` when it lowers it; end = start + sum(steps). data-value is the contribution of a step and the
    level of start and end (data-series "base", "contribution", "total"). No steps (or no start): `empty_text`.
    """
    base = _number(start)
    if not steps or base is None:
        return _empty("waterfall", title, empty_text)
    contributions = [_number(c) for _, c in steps]
    end = base + math.fsum(c for c in contributions if c is not None)
    levels = list(accumulate((c or 0.0 for c in contributions), initial=base))  # the level after each bar but the last
    labels = [start_label, *(label for label, _ in steps), end_label]
    frame, parts = _frame(labels, [*levels, end], value_format, legend=False)
    half = frame.band * 0.35
    for i, level in enumerate(levels):  # connectors first, under the bars: each level carried to the next bar
        parts.append(_hline("connector", frame.y(level), frame.x(i) + half, frame.x(i + 1) - half, "#999", "2 2"))
    for i, ((label, _), c) in enumerate(zip(steps, contributions), start=1):
        if c is not None:
            geometry, side = frame.bar(i, levels[i - 1], levels[i]), "positive" if c > 0 else "negative"
            parts.append(_point("rect", geometry, side, "contribution", label, c, f"{label}: {value_format(c)}"))
    for i, label, level, series in [(0, start_label, base, "base"), (len(labels) - 1, end_label, end, "total")]:
        tip = f"{label}: {value_format(level)}"
        parts.append(_point("rect", frame.bar(i, 0.0, level), "total", series, label, level, tip))
    return _svg("waterfall", title, parts)
