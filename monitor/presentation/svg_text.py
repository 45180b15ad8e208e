"""Text in the hand-written SVG drawings (the factsheets' charts, the maps): how wide a text
is, wrapped into lines that fit a column, written as one `<text>` with a `<tspan>` per line,
and the sizes that keep it legible on a laptop and on a phone.

SVG has no line wrapping of its own, and a drawing scales with the width of its column, so its
text shrinks with it: the legibility rule below bounds that scale from both sides.

Widths are estimated with the advance widths of DejaVu Sans, the widest font of the pages' font
stack (style.FONT_FAMILY) and the one Debian's chromium falls back to: a text that fits in
DejaVu Sans fits in Segoe UI, Roboto, Arial and Liberation Sans too."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

# advance width per character in ems (DejaVu Sans Book), by groups of about equal width
_WIDTHS = {
    "'ijlIJ": 0.28,
    " .,·:;/": 0.33,
    "f-t()r": 0.38,
    "–*sz": 0.52,
    "cLkFvxyP": 0.58,
    "aoTYeéëbdghnpquES0123456789": 0.63,
    "KAVBRXZC": 0.69,
    "UHNDGOQ": 0.77,
    "w+−→M": 0.85,
    "%mW": 0.98,
}
EM = {ch: width for chars, width in _WIDTHS.items() for ch in chars}
DEFAULT_EM = 0.66  # any other character: a little wider than the average letter
BOLD = 1.13  # DejaVu Sans Bold against Book, measured on the pages' labels

# The legibility rule: no text of a drawing is drawn smaller than MIN_SCREEN_PX on screen. A
# drawing of `width` units whose smallest text is `smallest` units therefore never renders
# narrower than width * MIN_SCREEN_PX / smallest pixels (narrower columns scroll it in its own
# box), and never wider than MAX_SCALE times its units, so that on a wide screen its text stays
# about the size of the page's own text instead of growing with the column.
MIN_SCREEN_PX = 11
MAX_SCALE = 1.25


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of `text` at font size `size`, in the same units as `size`."""
    ems = sum(EM.get(ch, DEFAULT_EM) for ch in text)
    return ems * size * (BOLD if bold else 1.0)


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """`text` in lines no wider than `width`, broken between words (a single word longer than
    the width keeps its own line: cutting a name is worse than a line that sticks out)."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(candidate, size, bold) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines or [""]


def svg_text(
    x: float,
    y: float,
    lines: list[str] | str,
    size: float,
    anchor: str = "start",
    cls: str = "",
    weight: str = "",
    line_height: float | None = None,
) -> str:
    """One `<text>` whose first line sits on `y` and every further line `line_height` below it,
    each a `<tspan>`. The space a line was broken at stays in the text, so that the element's
    text content reads as the whole text (what tests, search and copying see): on the side
    where the anchor does not see it (before a right-aligned line, after a left-aligned one)."""
    lines = [lines] if isinstance(lines, str) else lines
    step = _number(line_height if line_height is not None else round(size * 1.2, 1))
    if anchor == "end":
        shown = [lines[0], *(" " + line for line in lines[1:])]
    else:
        shown = [*(line + " " for line in lines[:-1]), lines[-1]]
    attrs = f' text-anchor="{anchor}"' if anchor != "start" else ""
    attrs += f' class="{cls}"' if cls else ""
    attrs += f' font-weight="{weight}"' if weight else ""
    rest = "".join(f'<tspan x="{_number(x)}" dy="{step}">{escape(line)}</tspan>' for line in shown[1:])
    return f'<text x="{_number(x)}" y="{_number(y)}" font-size="{_number(size)}"{attrs}>{escape(shown[0])}{rest}</text>'


def scaling_style(width: float, smallest: float) -> str:
    """The CSS that keeps a drawing of `width` units, whose smallest text is `smallest` units,
    within the legibility rule (an inline style: every drawing has its own width)."""
    narrowest = math.ceil(width * MIN_SCREEN_PX / smallest)
    widest = math.floor(width * MAX_SCALE)
    return f"min-width:{narrowest}px;max-width:{widest}px"


def _number(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")
