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

from monitor.presentation.style import FONT_FAMILY

FONT = 12  # px, in the chart's own coordinates (the SVG scales to the column width)


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
    "signalering": Series("Significant onder de gemeente", "#c0392b", "circle"),
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


def _text(
    x: float, y: float, text: str, anchor: str = "start", cls: str = "", size: int = FONT, weight: str = ""
) -> str:
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' font-weight="{weight}"' if weight else ""
    return f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" font-size="{size}"{attrs}>{escape(text)}</text>'


def _legend(series: list[str], x0: float, y: float) -> tuple[list[str], float]:
    parts, x = [], x0
    for key in series:
        s = SERIES[key]
        parts.append(_marker(s.marker, x + 5, y - 4, s.color))
        parts.append(_text(x + 14, y, s.label, cls="legend"))
        x += 14 + 6.6 * len(s.label) + 18
    return parts, y + 10


def interval_chart(
    panels: list[Panel],
    aria_label: str,
    width: int = 620,
    label_width: int = 210,
    row_height: int = 22,
    legend: list[str] | None = None,
) -> str:
    """One SVG with the panels stacked: per row a label and, per series, a marker at the
    estimate with a line over its 95 % interval; rows with a note show the note instead."""
    right = 16
    plot_x0, plot_x1 = label_width, width - right
    out: list[str] = []
    y = 4.0
    used = (
        legend
        if legend is not None
        else list(dict.fromkeys(p.series for pn in panels for r in pn.rows for p in r.points))
    )
    if used:
        parts, y = _legend(used, plot_x0 - label_width + 4, y + FONT + 2)
        out += parts
        y += 6
    for panel in panels:
        lo, hi = panel.domain

        def sx(v: float, lo=lo, hi=hi) -> float:
            v = min(max(v, lo), hi)
            return plot_x0 + (v - lo) / (hi - lo) * (plot_x1 - plot_x0)

        if panel.title:
            y += FONT + 6
            out.append(_text(4, y, panel.title, cls="panel-title", weight="bold", size=FONT + 1))
        y += 8
        top = y
        if panel.reference is not None:
            y += FONT + 2  # room for the reference label
        body_top = y
        # row bands and labels first, so that grid lines and intervals lie on top
        for i, row in enumerate(panel.rows):
            cy = body_top + i * row_height + row_height / 2
            if row.highlight:
                out.append(
                    f'<rect class="highlight" x="0" y="{_f(cy - row_height / 2)}" width="{width}" '
                    f'height="{row_height}" fill="#fbe3e0"/>'
                )
            elif row.mark:
                out.append(
                    f'<rect class="mark" x="0" y="{_f(cy - row_height / 2)}" width="{width}" '
                    f'height="{row_height}" fill="#fdf0cf"/>'
                )
            elif row.heading:
                out.append(
                    f'<rect class="group" x="0" y="{_f(cy - row_height / 2)}" width="{width}" '
                    f'height="{row_height}" fill="#eef2f7"/>'
                )
            out.append(
                _text(
                    plot_x0 - 8,
                    cy + FONT * 0.35,
                    row.label,
                    anchor="end",
                    cls="row-label",
                    weight="bold" if row.heading else "",
                )
            )
        body_bottom = body_top + len(panel.rows) * row_height
        for t in panel.ticks:
            x = sx(t)
            out.append(f'<line x1="{_f(x)}" y1="{_f(body_top)}" x2="{_f(x)}" y2="{_f(body_bottom)}" stroke="#dddddd"/>')
            out.append(
                _text(x, body_bottom + FONT + 3, panel.tick_format(t), anchor="middle", cls="tick", size=FONT - 1)
            )
        if panel.reference is not None:
            value, label = panel.reference
            x = sx(value)
            out.append(
                f'<line class="reference" x1="{_f(x)}" y1="{_f(body_top - 2)}" x2="{_f(x)}" y2="{_f(body_bottom)}" '
                'stroke="#333333" stroke-dasharray="4 3"/>'
            )
            anchor = "end" if x > (plot_x0 + plot_x1) / 2 else "start"
            out.append(
                _text(
                    x + (-4 if anchor == "end" else 4),
                    top + FONT,
                    label,
                    anchor=anchor,
                    cls="reference-label",
                    size=FONT - 1,
                )
            )
        for i, row in enumerate(panel.rows):
            cy = body_top + i * row_height + row_height / 2
            if row.note:
                out.append(_text(plot_x0 + 4, cy + FONT * 0.35, row.note, cls="note", size=FONT - 1))
                continue
            k = len(row.points)
            spread = min(row_height * 0.5, 7.0 * (k - 1))
            for j, point in enumerate(row.points):
                s = SERIES[point.series]
                py = cy + (j - (k - 1) / 2) * (spread / max(k - 1, 1))
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
            y += FONT + 2
            out.append(
                _text((plot_x0 + plot_x1) / 2, y, panel.axis_label, anchor="middle", cls="axis-label", size=FONT - 1)
            )
        y += 4
    height = math.ceil(y + 4)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label={quoteattr(aria_label)} '
        f'font-family="{FONT_FAMILY}" fill="#222222">'
        f"<title>{escape(aria_label)}</title>" + "".join(out) + "</svg>"
    )
