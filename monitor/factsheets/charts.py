"""Hand-written SVG charts for the factsheets: dot-and-interval charts (an estimate with its
95 % interval per row, one or more series per row), inline in the HTML, text kept as text
(screen readers, search, copy), no JavaScript, no fonts or files to fetch.

Hand-written rather than matplotlib: about a hundred charts per edition render in well under
a second, the markup is small and stable for tests, and there is no dependency to add."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from monitor.presentation.flagged import FLAGGED_SHORT
from monitor.presentation.style import ALERT, FONT_FAMILY
from monitor.presentation.svg_text import scaling_style, svg_text, text_width, wrap

# Sizes in the chart's own units. The SVG scales with its column between the bounds of the
# legibility rule (svg_text.scaling_style): WIDTH is chosen so that a chart fits the card of a
# 390 px phone with every text (FONT, the smallest) at 11 px or more, and a laptop's half-page
# card at about 15 px. Labels that do not fit their column wrap onto more lines.
WIDTH = 370
FONT = 12  # every text but the panel titles
TITLE = 13
LINE = 14  # from one line of a wrapped text to the next
LABEL_SHARE = 0.42  # the row labels take at most this share of the width
RIGHT = 20  # room for half the last tick label
GAP = 8  # between a row label and the plot


@dataclass(frozen=True)
class Series:
    label: str
    color: str
    marker: str = "circle"  # circle, square, diamond, triangle


# the same colours and markers on every chart of a page (colour-blind safe: also the marker differs)
SERIES = {
    "gemeente": Series("Gemeente", "#1f4e79", "circle"),
    "gebied": Series("Gebied", "#1f4e79", "circle"),  # an area of any level (the toetsingskader)
    "regio": Series("Regio (COROP)", "#2a9d8f", "square"),
    "regio_grootteklasse": Series("Grootteklasse in de regio", "#b36b00", "triangle"),
    "provincie": Series("Noord-Brabant", "#7a7a7a", "diamond"),
    "wijk": Series("Wijk", "#1f4e79", "circle"),
    # "overall goed, maar niet overal" (the caption beside the chart says the rule in full)
    "signalering": Series(FLAGGED_SHORT[:1].upper() + FLAGGED_SHORT[1:], ALERT, "circle"),
    "verschil": Series("Verschil", "#1f4e79", "circle"),
    "significant": Series("Significant verschil", "#c0392b", "circle"),
    "categorie": Series("Percentage veerkrachtig in de categorie", "#1f4e79", "circle"),
}


@dataclass(frozen=True)
class Point:
    series: str
    estimate: float
    ci_lower: float | None = None
    ci_upper: float | None = None
    title: str = ""  # tooltip (native <title>, no script)


@dataclass
class Row:
    label: str
    points: list[Point] = field(default_factory=list)
    note: str | None = None  # shown instead of points, e.g. "onderdrukt"
    heading: bool = False  # a group row: bold label
    highlight: bool = False  # a light red band behind the row
    mark: bool = False  # a light yellow band: the row is related to a highlighted area


@dataclass
class Panel:
    title: str
    rows: list[Row]
    domain: tuple[float, float]
    ticks: list[float]
    axis_label: str = ""
    reference: tuple[float, str] | None = None  # a dashed vertical line with its label
    tick_format: Callable[[float], str] = str


def nice_scale(
    values: list[float],
    lower: float | None = None,
    upper: float | None = None,
    include: tuple[float, ...] = (),
    target_ticks: int = 5,
) -> tuple[tuple[float, float], list[float]]:
    """A domain on round numbers around `values` (and `include`), within [lower, upper]."""
    values = [v for v in [*values, *include] if v is not None and math.isfinite(v)]
    if not values:
        lo, hi = (lower or 0.0), (upper if upper is not None else 1.0)
    else:
        lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    raw = (hi - lo) / target_ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    if lower is not None:
        lo = max(lo, lower)
    if upper is not None:
        hi = min(hi, upper)
    ticks, t = [], math.ceil(lo / step - 1e-9) * step
    while t <= hi + 1e-9:
        ticks.append(round(t, 10))
        t += step
    return (lo, hi), ticks


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _marker(kind: str, x: float, y: float, color: str, size: float = 4.5) -> str:
    if kind == "square":
        return f'<rect x="{_f(x - size)}" y="{_f(y - size)}" width="{_f(2 * size)}" height="{_f(2 * size)}" fill="{color}"/>'
    if kind == "triangle":
        s = size * 1.25
        return (
            f'<path d="M{_f(x)} {_f(y - s)}L{_f(x + s)} {_f(y + s * 0.8)}L{_f(x - s)} {_f(y + s * 0.8)}Z" '
            f'fill="{color}"/>'
        )
    if kind == "diamond":
        s = size * 1.3
        return f'<path d="M{_f(x)} {_f(y - s)}L{_f(x + s)} {_f(y)}L{_f(x)} {_f(y + s)}L{_f(x - s)} {_f(y)}Z" fill="{color}"/>'
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(size)}" fill="{color}"/>'


def _legend(series: list[str], x0: float, y: float, right: float) -> tuple[list[str], float]:
    """The series side by side, flowing onto a next line where the width ends; returns the
    parts and the baseline of the last line."""
    parts, x = [], x0
    for key in series:
        s = SERIES[key]
        lines = wrap(s.label, right - x0 - 14, FONT)
        item = 14 + max(text_width(line, FONT) for line in lines)
        if x > x0 and x + item > right:
            x, y = x0, y + LINE + 4
        parts.append(_marker(s.marker, x + 5, y - 4, s.color))
        parts.append(svg_text(x + 14, y, lines, FONT, cls="legend", line_height=LINE))
        y += (len(lines) - 1) * LINE
        x += item + 14
    return parts, y


def row_label_width(panels: list[Panel], width: int = WIDTH) -> float:
    """As wide as the longest row label, up to LABEL_SHARE of the chart (longer labels wrap
    between words), and never narrower than the longest single word (which cannot wrap)."""
    rows = [row for panel in panels for row in panel.rows]
    widest = max((text_width(row.label, FONT, bold=row.heading) for row in rows), default=0.0)
    word = max((text_width(w, FONT, bold=row.heading) for row in rows for w in row.label.split()), default=0.0)
    return max(min(widest, LABEL_SHARE * width), word, 36.0) + GAP + 4


@dataclass(frozen=True)
class _Placed:
    """A row as laid out: its lines of label and note, its band from top to top + height."""

    row: Row
    label: list[str]
    note: list[str]
    top: float
    height: float

    @property
    def middle(self) -> float:
        return self.top + self.height / 2


def _place_rows(rows: list[Row], top: float, row_height: int, label_room: float, note_room: float) -> list[_Placed]:
    placed, y = [], top
    for row in rows:
        label = wrap(row.label, label_room, FONT, bold=row.heading)
        note = wrap(row.note, note_room, FONT) if row.note else []
        height = max(row_height, max(len(label), len(note)) * LINE + 6)
        placed.append(_Placed(row, label, note, y, height))
        y += height
    return placed


def _lines_at(middle: float, lines: list[str]) -> float:
    """The baseline of the first of `lines` centred on `middle`."""
    return middle - (len(lines) - 1) * LINE / 2 + FONT * 0.35


def _tick_labels(panel: Panel, sx: Callable[[float], float]) -> list[tuple[float, str]]:
    """The ticks that get a label: every one where they fit, else every second (third, ...)
    one, so that no two labels overlap on a narrow plot (every tick keeps its grid line)."""
    texts = [(sx(t), panel.tick_format(t)) for t in panel.ticks]
    if len(texts) < 2:
        return texts
    spacing = abs(texts[1][0] - texts[0][0])
    widest = max(text_width(text, FONT) for _, text in texts)
    every = max(1, math.ceil((widest + 6) / max(spacing, 1e-9)))
    return texts[::every]


def _beside(x: float, label: str, left: float, right: float) -> tuple[float, str]:
    """Where a label beside a vertical line goes: right of it where it fits, else left of it,
    else as far right as it fits."""
    w = text_width(label, FONT)
    if x + 4 + w <= right:
        return x + 4, "start"
    if x - 4 - w >= left:
        return x - 4, "end"
    return max(left, right - w), "start"


def interval_chart(
    panels: list[Panel],
    aria_label: str,
    width: int = WIDTH,
    label_width: float | None = None,
    row_height: int = 22,
    legend: list[str] | None = None,
) -> str:
    """One SVG with the panels stacked: per row a label and, per series, a marker at the
    estimate with a line over its 95 % interval; rows with a note show the note instead."""
    label_width = label_width or row_label_width(panels, width)
    plot_x0, plot_x1 = label_width, width - RIGHT
    out: list[str] = []
    y = 4.0
    used = (
        legend
        if legend is not None
        else list(dict.fromkeys(p.series for pn in panels for r in pn.rows for p in r.points))
    )
    if used:
        parts, y = _legend(used, 4, y + FONT + 2, width - 4)
        out += parts
        y += 6
    for panel in panels:
        lo, hi = panel.domain

        def sx(v: float, lo=lo, hi=hi) -> float:
            v = min(max(v, lo), hi)
            return plot_x0 + (v - lo) / (hi - lo) * (plot_x1 - plot_x0)

        if panel.title:
            lines = wrap(panel.title, width - 8, TITLE, bold=True)
            y += TITLE + 6
            out.append(svg_text(4, y, lines, TITLE, cls="panel-title", weight="bold", line_height=LINE + 1))
            y += (len(lines) - 1) * (LINE + 1)
        y += 8
        top = y
        if panel.reference is not None:
            y += FONT + 2  # room for the reference label
        body_top = y
        placed = _place_rows(panel.rows, body_top, row_height, plot_x0 - GAP - 2, plot_x1 - plot_x0 - 4)
        # row bands and labels first, so that grid lines and intervals lie on top
        for p in placed:
            row = p.row
            band = (
                ("highlight", "#fbe3e0") if row.highlight
                else ("mark", "#fdf0cf") if row.mark
                else ("group", "#eef2f7") if row.heading
                else None
            )  # fmt: skip
            if band:
                out.append(
                    f'<rect class="{band[0]}" x="0" y="{_f(p.top)}" width="{width}" height="{_f(p.height)}" fill="{band[1]}"/>'
                )
            out.append(
                svg_text(
                    plot_x0 - GAP, _lines_at(p.middle, p.label), p.label, FONT, anchor="end", cls="row-label",
                    weight="bold" if row.heading else "", line_height=LINE,
                )
            )  # fmt: skip
        body_bottom = placed[-1].top + placed[-1].height if placed else body_top
        for t in panel.ticks:
            x = sx(t)
            out.append(f'<line x1="{_f(x)}" y1="{_f(body_top)}" x2="{_f(x)}" y2="{_f(body_bottom)}" stroke="#dddddd"/>')
        for x, text in _tick_labels(panel, sx):
            out.append(svg_text(x, body_bottom + FONT + 3, text, FONT, anchor="middle", cls="tick"))
        if panel.reference is not None:
            value, label = panel.reference
            x = sx(value)
            out.append(
                f'<line class="reference" x1="{_f(x)}" y1="{_f(body_top - 2)}" x2="{_f(x)}" y2="{_f(body_bottom)}" '
                'stroke="#333333" stroke-dasharray="4 3"/>'
            )
            at, anchor = _beside(x, label, 2, width - 2)
            out.append(svg_text(at, top + FONT, label, FONT, anchor=anchor, cls="reference-label"))
        for p in placed:
            row = p.row
            if row.note:
                out.append(svg_text(plot_x0 + 4, _lines_at(p.middle, p.note), p.note, FONT, cls="note", line_height=LINE))
                continue
            k = len(row.points)
            spread = min(row_height * 0.5, 7.0 * (k - 1))
            for j, point in enumerate(row.points):
                s = SERIES[point.series]
                py = p.middle + (j - (k - 1) / 2) * (spread / max(k - 1, 1))
                g = [f'<g class="point {point.series}">']
                if point.title:
                    g.append(f"<title>{escape(point.title)}</title>")
                if point.ci_lower is not None and point.ci_upper is not None:
                    g.append(
                        f'<line x1="{_f(sx(point.ci_lower))}" y1="{_f(py)}" x2="{_f(sx(point.ci_upper))}" '
                        f'y2="{_f(py)}" stroke="{s.color}" stroke-width="2"/>'
                    )
                g.append(_marker(s.marker, sx(point.estimate), py, s.color, size=min(4.5, row_height / 4)))
                g.append("</g>")
                out.append("".join(g))
        y = body_bottom + FONT + 4
        if panel.axis_label:
            lines = wrap(panel.axis_label, width - 8, FONT)
            y += FONT + 2
            half = max(text_width(line, FONT) for line in lines) / 2  # centred under the plot, within the chart
            middle = min(max((plot_x0 + plot_x1) / 2, 4 + half), width - 4 - half)
            out.append(svg_text(middle, y, lines, FONT, anchor="middle", cls="axis-label", line_height=LINE))
            y += (len(lines) - 1) * LINE
        y += 4
    height = math.ceil(y + 4)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" style="{scaling_style(width, FONT)}" role="img" aria-label={quoteattr(aria_label)} '
        f'font-family="{FONT_FAMILY}" fill="#222222">'
        f"<title>{escape(aria_label)}</title>" + "".join(out) + "</svg>"
    )
