"""The published boundaries of an edition (monitor.monitor_area_boundaries), read once and
turned into shapely geometries, for the maps of the factsheets and the kaartenboek.

Only areas with a geometry have rows, and an edition without delivered boundaries has none:
then `Boundaries.empty` and the pages say that the map is missing and why."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from monitor.maps.geometry import from_wkb

TABLE = "monitor_area_boundaries"
LEVELS = ("gemeente", "wijk", "buurt")


@dataclass(frozen=True)
class Boundary:
    level: str
    code: str
    name: str | None
    gemeente_code: str | None
    geometry: BaseGeometry
    source_file: str | None


@dataclass
class Boundaries:
    edition: int
    areas: dict[tuple[str, str], Boundary] = field(default_factory=dict)  # (level, code) -> boundary
    table_present: bool = True  # False: the warehouse predates the boundaries table

    @property
    def empty(self) -> bool:
        return not self.areas

    def of_level(self, level: str, gemeente_code: str | None = None) -> dict[str, Boundary]:
        return {
            code: b
            for (lvl, code), b in self.areas.items()
            if lvl == level and (gemeente_code is None or b.gemeente_code == gemeente_code)
        }

    def sources(self, level: str) -> list[str]:
        return sorted({b.source_file for (lvl, _), b in self.areas.items() if lvl == level and b.source_file})


def _table_exists(conn, schema: str) -> bool:
    sql = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    return conn.execute(sql, [schema, TABLE]).fetchone()[0] > 0


def read_boundaries(conn, edition: int, schema: str = "monitor") -> Boundaries:
    """Every published boundary of `edition` as shapely geometries (WKB parsed in one go)."""
    if not _table_exists(conn, schema):
        return Boundaries(int(edition), table_present=False)
    rows = conn.execute(
        f"""select area_level, area_code, area_name, gemeente_code, geometry, source_file
            from {schema}.{TABLE} where edition = ? order by area_level, area_code""",
        [int(edition)],
    ).fetchall()
    if not rows:
        return Boundaries(int(edition))
    try:
        geometries = shapely.from_wkb(np.array([bytes(r[4]) for r in rows], dtype=object))
    except shapely.errors.ShapelyError:
        # name the area whose blob cannot be read
        geometries = [from_wkb(r[4], r[1]) for r in rows]
    areas = {}
    for (level, code, name, gemeente, blob, source), geometry in zip(rows, geometries):
        if geometry is None or geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
            from_wkb(blob, code)  # raises with the code and what was found
        areas[(level, code)] = Boundary(level, code, name, gemeente, geometry, source)
    return Boundaries(int(edition), areas)
