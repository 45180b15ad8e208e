"""Choropleth maps as SVG: one path per area, coloured by its class, with a legend.

No JavaScript, no fonts, images or styles to fetch: the only references are to the hatch
patterns defined in the SVG itself (`url(#<map id>-hatch)`), so a page opens from disk and a
map file opens in any viewer. Every area is a `<path data-code="<CBS code>">` with a `<title>`
child "<name>: <figure>" (the browser shows it on hover, a screen reader reads it).

Drawn in a box WIDTH units wide (its own coordinates). The page scales it to its column within the
legibility rule of monitor/presentation/svg_text.py: WIDTH is chosen so that the map fits the card
of a 390 px phone with its smallest text (FONT) at 11 px or more; on a laptop it is drawn at most
MAX_SCALE times its units (text about 15 px). Texts that do not fit the width wrap:

- areas with a figure: the colour of their class (monitor.maps.classes);
- suppressed areas (disclosure control): hatched, grey lines on white;
- areas without a figure at all (a boundary the published tables do not have): dotted;
- areas flagged below their gemeente ("overall goed, maar niet overal"): a thick red outline,
  drawn after the others so that no neighbour covers it;
- the legend under the map, one column: the classes with their bounds and count, then the
  hatch, the dots and the outline where the map has them, and a marker beside the class that
  holds a reference figure (the gemeente's own on a gemeente map, the province's on the province map)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from shapely.geometry.base import BaseGeometry

from monitor.maps.classes import METHOD, Classes, quantile_classes
from monitor.maps.geometry import Projection, path_d
from monitor.presentation.style import ALERT, FONT_FAMILY, INK
from monitor.presentation.svg_text import scaling_style, svg_text, text_width, wrap

WIDTH = 370
MAP_MAX_HEIGHT = 400
PAD = 8
FONT = 12  # the legend and the credit: the smallest text of a map
TITLE = 14
LINE = 15  # from one line of a wrapped text to the next
ROW = 20  # legend row height (one line)
SWATCH = (22, 14)
STANDALONE_SCALE = 1.5  # a map file is drawn this many pixels per unit (a page scales it itself)
AREA_STROKE = ("#ffffff", 0.6)
OUTLINE_WIDTH = 2.4
HATCH_INK = "#6f6f6f"


@dataclass(frozen=True)
class Drawing:
    """The areas of a map projected and simplified once: a map per indicator reuses it."""

    paths: dict[str, str]  # area code -> path d
    height: float  # of the drawn map, pixels
    projection: Projection


def draw(geometries: dict[str, BaseGeometry]) -> Drawing:
    """Project and simplify every geometry (code -> shapely geometry in EPSG:28992), into a box
    whose top is 0: the map moves its areas below its title, however many lines that takes."""
    if not geometries:
        raise ValueError("a map needs at least one area with a geometry")
    projection = Projection.fit(geometries.values(), (PAD, 0, WIDTH - 2 * PAD, MAP_MAX_HEIGHT), MAP_MAX_HEIGHT)
    return Drawing({code: path_d(g, projection) for code, g in geometries.items()}, projection.height, projection)


@dataclass(frozen=True)
class MapArea:
    """An area as the map shows it. `figure` is its figure as the pages print it ("6,8 (95%-BI
    6,5 – 7,1)", "onderdrukt (minder dan 50 inwoners)", "geen schatting"); `value` the number
    it is coloured by (None when suppressed or without a figure)."""

    code: str
    name: str
    value: float | None
    figure: str
    suppressed: bool = False
    outlined: bool = False
    note: str = ""  # added to the tooltip, e.g. "significant onder de gemeente"

    @property
    def title(self) -> str:
        return f"{self.name}: {self.figure}" + (f"; {self.note}" if self.note else "")


@dataclass(frozen=True)
class Marker:
    """A reference figure marked on the legend, e.g. ("Tilburg", 6.8)."""

    label: str
    value: float


@dataclass(frozen=True)
class LegendText:
    """The Dutch words of a map's legend."""

    heading: str  # e.g. "Veerkrachtscore (0–10)"
    areas: str  # plural noun of the counted areas: "buurten", "gemeenten"
    suppressed: str = "onderdrukt (te weinig respondenten of inwoners)"
    missing: str = "geen schatting"
    outlined: str = "significant onder de gemeente"


@dataclass
class ChoroplethMap:
    map_id: str
    title: str
    svg: str  # for a page: width 100 %, scales to its column
    standalone: str  # for a file: fixed size in pixels, with the XML declaration
    classes: Classes
    counts: list[int]  # areas per class
    drawn: list[str] = field(default_factory=list)  # area codes drawn
    suppressed: int = 0
    missing: int = 0
    outlined: int = 0
    width: int = WIDTH
    height: int = 0


def _f(x: float) -> str:
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(x: float, y: float, text: str, size: int = FONT, cls: str = "", weight: str = "") -> tuple[str, float]:
    """A text wrapped to the map's width from x on; returns it and the baseline of its last line."""
    lines = wrap(text, WIDTH - PAD - x, size, bold=bool(weight))
    return svg_text(x, y, lines, size, cls=cls, weight=weight, line_height=LINE), y + (len(lines) - 1) * LINE


def _patterns(map_id: str) -> str:
    """The hatch (suppressed) and the dots (no figure), defined in the map itself."""
    return (
        "<defs>"
        f'<pattern id="{map_id}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="{HATCH_INK}" stroke-width="1.6"/>'
        "</pattern>"
        f'<pattern id="{map_id}-dots" patternUnits="userSpaceOnUse" width="5" height="5">'
        f'<rect width="5" height="5" fill="#ffffff"/><circle cx="2.5" cy="2.5" r="0.9" fill="{HATCH_INK}"/>'
        "</pattern>"
        "</defs>"
    )


def _area(area: MapArea, d: str, classes: Classes, map_id: str) -> str:
    if area.value is not None and not area.suppressed:
        cls, fill = f"area c{classes.index(area.value) + 1}", classes.color(area.value)
    elif area.suppressed:
        cls, fill = "area suppressed", f"url(#{map_id}-hatch)"
    else:
        cls, fill = "area missing", f"url(#{map_id}-dots)"
    stroke = ""  # the thin white border is the group's (inherited: a page stays light)
    if area.outlined:
        cls, stroke = cls + " outlined", f' stroke="{ALERT}" stroke-width="{OUTLINE_WIDTH}"'
    return (
        f'<path class="{cls}" data-code={quoteattr(area.code)} d="{d}" fill="{fill}"{stroke}>'
        f"<title>{escape(area.title)}</title></path>"
    )


def _swatch(x: float, y: float, fill: str, stroke: str = "#8a8a8a", width: float = 0.8, cls: str = "") -> str:
    w, h = SWATCH
    attrs = f' class="{cls}"' if cls else ""
    return (
        f'<rect{attrs} x="{_f(x)}" y="{_f(y - h + 3)}" width="{w}" height="{h}" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{width}"/>'
    )


def _legend(
    top: float,
    classes: Classes,
    counts: list[int],
    text: LegendText,
    format_value: Callable[[float], str],
    marker: Marker | None,
    specials: list[tuple[str, str, int, dict]],
) -> tuple[list[str], float]:
    out = ['<g class="legend">']
    heading = f"{text.heading}: {classes.count} {'klasse' if classes.count == 1 else 'klassen'} ({METHOD}), aantal {text.areas}"
    part, y = _text(PAD, top + FONT + 4, heading if classes.count else f"{text.heading}: geen cijfers om te kleuren",
                    weight="bold", cls="legend-heading")  # fmt: skip
    out.append(part)
    y += 8
    label_x = PAD + SWATCH[0] + 8
    texts = []
    for i in range(classes.count):
        lower, upper = classes.bounds(i)
        label = format_value(lower) if lower == upper else f"{format_value(lower)} – {format_value(upper)}"
        texts.append(f"{label} ({counts[i]})")
    marker_x = label_x + max((text_width(t, FONT) for t in texts), default=0.0) + 14  # beside the widest class
    for i, (color, label) in enumerate(zip(classes.colors(), texts)):
        ry = y + (i + 1) * ROW
        out.append(f'<g class="legend-class" data-class="{i + 1}">')
        out.append(_swatch(PAD, ry, color))
        out.append(_text(label_x, ry, label)[0])
        out.append("</g>")
    if marker is not None and classes.count:
        i = classes.index(marker.value)
        ry = y + (i + 1) * ROW
        out.append(
            f'<g class="legend-marker" data-class="{i + 1}">'
            f'<path d="M{_f(marker_x)} {_f(ry - 4)}l9 -6v12z" fill="{INK}"/>'
            + _text(marker_x + 14, ry, f"{marker.label} {format_value(marker.value)}", weight="bold")[0]
            + "</g>"
        )
    y += max(classes.count, 0 if specials else 1) * ROW
    for cls, label, n, swatch in specials:
        y += ROW
        part, last = _text(label_x, y, f"{label} ({n})")
        out.append(f'<g class="legend-{cls}">' + _swatch(PAD, y, **swatch) + part + "</g>")
        y = last
    out.append("</g>")
    return out, y + 8


def choropleth(
    drawing: Drawing,
    areas: list[MapArea],
    *,
    map_id: str,
    title: str,
    legend: LegendText,
    format_value: Callable[[float], str],
    digits: int,
    marker: Marker | None = None,
    credit: str = "",
) -> ChoroplethMap:
    """The map of `areas` (those with a path in `drawing`; the caller says what is left out)."""
    drawn = [a for a in areas if a.code in drawing.paths]
    classes = quantile_classes([a.value for a in drawn if a.value is not None and not a.suppressed], digits)
    counts = [0] * classes.count
    for a in drawn:
        if a.value is not None and not a.suppressed:
            counts[classes.index(a.value)] += 1
    # outlined areas last, so that their outline lies on top of every neighbour
    ordered = sorted(drawn, key=lambda a: a.outlined)
    body = [_area(a, drawing.paths[a.code], classes, map_id) for a in ordered]
    n_suppressed = sum(1 for a in drawn if a.suppressed)
    n_missing = sum(1 for a in drawn if a.value is None and not a.suppressed)
    n_outlined = sum(1 for a in drawn if a.outlined)
    specials = []
    if n_suppressed:
        specials.append(("suppressed", legend.suppressed, n_suppressed, {"fill": f"url(#{map_id}-hatch)"}))
    if n_missing:
        specials.append(("missing", legend.missing, n_missing, {"fill": f"url(#{map_id}-dots)"}))
    if n_outlined:
        specials.append(("outlined", legend.outlined, n_outlined, {"fill": "#ffffff", "stroke": ALERT, "width": OUTLINE_WIDTH}))
    title_text, title_bottom = _text(PAD, TITLE + 5, title, size=TITLE, weight="bold", cls="map-title")
    map_top = title_bottom + 11  # the areas below the title, however many lines it took
    legend_parts, y = _legend(map_top + drawing.height + 6, classes, counts, legend, format_value, marker, specials)
    if credit:
        part, y = _text(PAD, y + FONT, credit, cls="credit")
        legend_parts.append(part)
    height = int(y + 8)
    inner = (
        f"<title>{escape(title)}</title>"
        + _patterns(map_id)
        + title_text
        + f'<g class="areas" transform="translate(0 {_f(map_top)})" fill-rule="evenodd" stroke="{AREA_STROKE[0]}" '
        f'stroke-width="{AREA_STROKE[1]}" stroke-linejoin="round">{"".join(body)}</g>'
        + "".join(legend_parts)
    )
    head = (
        f'xmlns="http://www.w3.org/2000/svg" class="map" id="{map_id}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label={quoteattr(title)} font-family="{FONT_FAMILY}" fill="{INK}"'
    )
    size = f'width="{_f(WIDTH * STANDALONE_SCALE)}" height="{_f(height * STANDALONE_SCALE)}"'
    return ChoroplethMap(
        map_id=map_id,
        title=title,
        svg=f'<svg {head} width="100%" style="{scaling_style(WIDTH, FONT)}">{inner}</svg>',
        standalone=f'<?xml version="1.0" encoding="UTF-8"?>\n<svg {head} {size}>{inner}</svg>\n',
        classes=classes,
        counts=counts,
        drawn=[a.code for a in drawn],
        suppressed=n_suppressed,
        missing=n_missing,
        outlined=n_outlined,
        height=height,
    )
