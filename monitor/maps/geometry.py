"""From boundaries in EPSG:28992 (metres, y up) to compact SVG paths (pixels, y down).

Every shape of a map is projected with one affine map that fits the map's areas into the drawing
box, simplified for display with shapely (`simplify(tolerance, preserve_topology=True)`, the
tolerance a fraction of a pixel at the drawn size, so that no simplification is visible) and
written as an SVG path `d` string with coordinates rounded to a tenth of a pixel. Holes and
the parts of a multipolygon are subpaths of the one path (drawn with fill-rule evenodd).

Each shape is simplified on its own, so shared borders are not simplified identically on both
sides; below a pixel the difference cannot be seen. An area too small to keep three distinct
points after rounding is drawn as a small square at a point inside it, so that no area of the
map disappears (and each stays hoverable)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

TOLERANCE_PX = 0.4  # simplification tolerance in pixels of the drawn map
DECIMALS = 1  # pixel coordinates rounded to a tenth
MIN_SIZE_PX = 2.0  # side of the square that stands in for an area too small to draw


def from_wkb(blob: bytes | bytearray | memoryview, code: str = "?") -> BaseGeometry:
    """A shapely geometry from a WKB blob, refusing what cannot be drawn as an area."""
    try:
        geometry = shapely.from_wkb(bytes(blob))
    except shapely.errors.ShapelyError as error:
        raise ValueError(f"boundary of {code}: the geometry blob is not readable WKB ({error})") from error
    if geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(
            f"boundary of {code}: expected a non-empty Polygon or MultiPolygon, got {geometry.geom_type}"
            + (" (empty)" if geometry.is_empty else "")
        )
    return geometry


@dataclass(frozen=True)
class Projection:
    """EPSG:28992 metres -> SVG pixels: x right, y down (flipped), origin at the box's corner."""

    min_x: float
    max_y: float
    scale: float  # pixels per metre
    offset_x: float  # where min_x lands
    offset_y: float  # where max_y lands
    width: float  # of the drawn map in pixels
    height: float

    @classmethod
    def fit(
        cls, geometries: Iterable[BaseGeometry], box: tuple[float, float, float, float], max_height: float
    ) -> Projection:
        """Fit the bounds of `geometries` into `box` (x, y, width, height), at most `max_height`
        tall, centred horizontally, keeping the aspect ratio (metres are metres both ways)."""
        min_x, min_y, max_x, max_y = shapely.total_bounds(np.asarray(list(geometries), dtype=object))
        x, y, width, height = box
        height = min(height, max_height)
        dx, dy = max(max_x - min_x, 1.0), max(max_y - min_y, 1.0)
        scale = min(width / dx, height / dy)
        drawn_w, drawn_h = dx * scale, dy * scale
        return cls(min_x, max_y, scale, x + (width - drawn_w) / 2, y, drawn_w, drawn_h)

    def apply(self, coords: np.ndarray) -> np.ndarray:
        out = np.empty_like(coords)
        out[:, 0] = (coords[:, 0] - self.min_x) * self.scale + self.offset_x
        out[:, 1] = (self.max_y - coords[:, 1]) * self.scale + self.offset_y
        return out

    @property
    def tolerance_m(self) -> float:
        return TOLERANCE_PX / self.scale


def _number(value: float) -> str:
    text = f"{value:.{DECIMALS}f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _tenths(value: int) -> str:
    """An integer count of tenths of a pixel as SVG number text: 123 -> '12.3', -5 -> '-.5'."""
    sign, value = ("-", -value) if value < 0 else ("", value)
    whole, tenth = divmod(value, 10)
    return sign + (str(whole) if whole else ("" if tenth else "0")) + (f".{tenth}" if tenth else "")


def _join(numbers: list[str]) -> str:
    """Numbers of a path: a minus sign separates as well as a space does (shorter paths)."""
    out = numbers[0]
    for n in numbers[1:]:
        out += n if n.startswith("-") else " " + n
    return out


def _ring(points: np.ndarray) -> str | None:
    """'M x y l dx dy dx dy ...z' of a ring in pixels (relative linetos on the rounded points, so
    no rounding error adds up), or None when fewer than three distinct points remain after
    rounding."""
    rounded = np.rint(points * 10**DECIMALS).astype(np.int64)
    keep = np.ones(len(rounded), dtype=bool)
    keep[1:] = np.any(rounded[1:] != rounded[:-1], axis=1)
    rounded = rounded[keep]
    if len(rounded) > 1 and np.all(rounded[0] == rounded[-1]):
        rounded = rounded[:-1]  # the closing point: z closes the ring
    if len(np.unique(rounded, axis=0)) < 3:
        return None
    steps = np.diff(rounded, axis=0).ravel().tolist()
    start = _join([_tenths(int(rounded[0, 0])), _tenths(int(rounded[0, 1]))])
    return f"M{start}l{_join([_tenths(v) for v in steps])}z"


def _square(geometry: BaseGeometry, projection: Projection) -> str:
    point = geometry.representative_point()
    (x, y), half = projection.apply(np.array([[point.x, point.y]]))[0], MIN_SIZE_PX / 2
    return (
        f"M{_number(x - half)} {_number(y - half)}h{_number(MIN_SIZE_PX)}v{_number(MIN_SIZE_PX)}"
        f"h-{_number(MIN_SIZE_PX)}Z"
    )


def path_d(geometry: BaseGeometry, projection: Projection) -> str:
    """The `d` of one area: every ring of every part, simplified below a pixel."""
    simplified = shapely.simplify(geometry, projection.tolerance_m, preserve_topology=True)
    rings = []
    for part in shapely.get_parts(simplified):
        exterior = _ring(projection.apply(np.asarray(part.exterior.coords)[:, :2]))
        if exterior is None:
            continue  # a part below a pixel: its neighbours or the square below stand for it
        rings.append(exterior)
        rings += [r for r in (_ring(projection.apply(np.asarray(h.coords)[:, :2])) for h in part.interiors) if r]
    return "".join(rings) if rings else _square(geometry, projection)
