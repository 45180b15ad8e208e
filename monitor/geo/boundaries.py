"""Read an edition's boundaries folder (the layout in monitor/geo/__init__.py) into one frame.

Two shapes of delivery, one result:
- the GeoJSON files of PDOK's CBS gebiedsindelingen (`gemeenten.geojson`, `wijken.geojson`,
  `buurten.geojson`, each optional; properties `statcode`, `statnaam`), or
- CBS's wijk- en buurtkaart GeoPackage (one `*.gpkg`), whose layer and column names differ by
  year: older years have layers `gemeente_2017_v3`, `wijk_2017_v3`, `buurt_2017_v3` with
  `GM_CODE`/`GM_NAAM`, `WK_CODE`/`WK_NAAM`, `BU_CODE`/`BU_NAAM` and a `WATER` column (JA/NEE);
  newer years layers `gemeenten`, `wijken`, `buurten` with `gemeentecode`/`gemeentenaam`,
  `wijkcode`/`wijknaam`, `buurtcode`/`buurtnaam` and `water`.

GDAL (through pyogrio) reads both; shapely repairs geometry. Three outcomes, never a silent one:
- the folder or a file is refused (`BoundaryFileError`) when it cannot be read at all (no known
  file, malformed file, a layer without a code column), naming the file and what was expected;
- a feature whose geometry is empty, not a polygon or beyond repair keeps its row with the
  reason in `problem` (the raw check refuses the edition and names the code); an invalid
  polygon that `shapely.make_valid` repairs is kept repaired, with `repaired` true;
- every other feature is a row. Water-only features of the wijk- en buurtkaart (`WATER = JA`)
  are left out of the map and counted in `BoundariesLoad.water_features`; several features of
  one code are merged into one geometry and counted in `merged_features`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.geo import CODE_PREFIX, CODE_PROPERTY, EPSG, GEOJSON_FILES, NAME_PROPERTY

# per region type: the columns that may hold its code and its name, in order of preference
CODE_COLUMNS = {
    "gemeente": (CODE_PROPERTY, "GM_CODE", "gemeentecode"),
    "wijk": (CODE_PROPERTY, "WK_CODE", "wijkcode"),
    "buurt": (CODE_PROPERTY, "BU_CODE", "buurtcode"),
}
NAME_COLUMNS = {
    "gemeente": (NAME_PROPERTY, "GM_NAAM", "gemeentenaam"),
    "wijk": (NAME_PROPERTY, "WK_NAAM", "wijknaam"),
    "buurt": (NAME_PROPERTY, "BU_NAAM", "buurtnaam"),
}
WATER_COLUMN = "water"  # case-insensitive; JA = a water-only feature of the wijk- en buurtkaart
# a GeoPackage layer's region type from its name: gemeente_2017_v3, gemeenten, buurt_2020_v1, ...
LAYER_NAME = re.compile(r"^(?:cbs_)?(gemeente|wijk|buurt)(?:e?n)?(?:_.*)?$", re.IGNORECASE)
EXPECTED_CRS = f"EPSG:{EPSG}"
COLUMNS = {
    "edition": "int64",
    "region_type": "string",
    "region_code": "string",
    "region_name": "string",
    "geometry": "object",  # WKB bytes, EPSG:28992
    "repaired": "bool",
    "problem": "string",
    "crs": "string",
    "source_file": "string",
    "source_layer": "string",
}


class BoundaryFileError(ValueError):
    """A boundaries file cannot be read at all; the message names the file and says what was
    expected and what to do."""


@dataclass
class BoundariesLoad:
    frame: pd.DataFrame  # COLUMNS, one row per area
    files: list[str] = field(default_factory=list)
    water_features: int = 0
    merged_features: int = 0
    ignored_layers: list[str] = field(default_factory=list)  # GeoPackage layers that are not gemeenten, wijken or buurten


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS.items()})


def load_boundaries(folder: Path | None, edition: int) -> BoundariesLoad:
    """All boundaries of the edition's folder (`None` or an empty result when none were delivered)."""
    if folder is None:
        return BoundariesLoad(empty_frame())
    folder = Path(folder)
    geojson = [folder / name for name in GEOJSON_FILES.values() if (folder / name).is_file()]
    packages = sorted(folder.glob("*.gpkg"))
    if geojson and packages:
        raise BoundaryFileError(
            f"{folder}: both GeoJSON files ({', '.join(p.name for p in geojson)}) and a GeoPackage "
            f"({', '.join(p.name for p in packages)}); keep the one the edition should use"
        )
    if len(packages) > 1:
        raise BoundaryFileError(f"{folder}: more than one GeoPackage ({', '.join(p.name for p in packages)}); keep one")
    if not geojson and not packages:
        raise BoundaryFileError(
            f"{folder}: no boundaries; expected {', '.join(GEOJSON_FILES.values())} (each optional) or a "
            "wijk- en buurtkaart GeoPackage (*.gpkg); remove the empty folder to refresh without maps, or run "
            f"`monitor fetch-cbs-map --year {edition}`"
        )
    layers = [(path, None, kind) for kind, name in GEOJSON_FILES.items() for path in geojson if path.name == name]
    ignored: list[str] = []
    if packages:
        layers, ignored = _package_layers(packages[0])
    loads = [_read_layer(path, layer, kind, edition) for path, layer, kind in layers]
    frames = [frame for frame, _, _ in loads if len(frame)]
    frame = pd.concat(frames, ignore_index=True) if frames else empty_frame()
    return BoundariesLoad(
        frame=frame.astype(COLUMNS),
        files=sorted({p.name for p, _, _ in layers}),
        water_features=sum(water for _, water, _ in loads),
        merged_features=sum(merged for _, _, merged in loads),
        ignored_layers=ignored,
    )


def _package_layers(path: Path) -> tuple[list[tuple[Path, str, str]], list[str]]:
    import pyogrio

    try:
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as err:  # GDAL's errors vary by version; the message is what matters
        raise BoundaryFileError(f"{path}: cannot be read as a GeoPackage ({err}); deliver the wijk- en buurtkaart as CBS distributes it") from err
    found = {}
    ignored = []
    for name in names:
        match = LAYER_NAME.match(name)
        kind = match.group(1).lower() if match else None
        if kind is None or kind in found:
            ignored.append(name)
        else:
            found[kind] = name
    if not found:
        raise BoundaryFileError(
            f"{path}: no layer of gemeenten, wijken or buurten (layers: {', '.join(names) or 'none'}); expected "
            "layers named like gemeente_2017_v3 / buurt_2017_v3 or gemeenten / wijken / buurten"
        )
    return [(path, found[kind], kind) for kind in CODE_PREFIX if kind in found], ignored


def _column(fields: list[str], candidates: tuple[str, ...]) -> str | None:
    by_lower = {f.lower(): f for f in fields}
    return next((by_lower[c.lower()] for c in candidates if c.lower() in by_lower), None)


def _read_layer(path: Path, layer: str | None, kind: str, edition: int) -> tuple[pd.DataFrame, int, int]:
    """One file or layer of one region type: (rows, water features left out, features merged)."""
    import pyogrio

    where = f"{path.name}" + (f", layer {layer}" if layer else "")
    try:
        meta, _, geometry, values = pyogrio.raw.read(path, layer=layer)
    except Exception as err:
        raise BoundaryFileError(f"{where}: cannot be read ({err}); expected {GEOJSON_FILES[kind]} as PDOK delivers it") from err
    fields = [str(f) for f in meta["fields"]]
    code_column = _column(fields, CODE_COLUMNS[kind])
    if code_column is None:
        raise BoundaryFileError(
            f"{where}: no column with the {kind} code (expected one of {', '.join(CODE_COLUMNS[kind])}; "
            f"found {', '.join(fields) or 'none'})"
        )
    table = pd.DataFrame({name: values[i] for i, name in enumerate(fields)})
    name_column = _column(fields, NAME_COLUMNS[kind])
    frame = pd.DataFrame({
        "region_code": table[code_column].astype("string").str.strip().str.upper(),
        "region_name": table[name_column].astype("string").str.strip() if name_column else pd.Series(pd.NA, index=table.index, dtype="string"),
        "geometry": list(geometry) if geometry is not None else [None] * len(table),
    })
    water = _water(table, fields)
    frame = frame.loc[~water]
    frame, merged = _merge_duplicates(frame)
    frame = _repaired(frame, where)
    return frame.assign(
        edition=edition, region_type=kind, crs=_crs(meta, path), source_file=path.name, source_layer=layer or path.stem,
    )[list(COLUMNS)], int(water.sum()), merged


def _crs(meta: dict, path: Path) -> str:
    """The CRS as GDAL reports it. A GeoJSON without a `crs` member is RFC 7946 longitude/latitude
    to GDAL (EPSG:4326); the raw check refuses anything but EPSG:28992 and says so."""
    crs = meta.get("crs")
    return str(crs) if crs else "unknown"


def _water(table: pd.DataFrame, fields: list[str]) -> pd.Series:
    column = _column(fields, (WATER_COLUMN,))
    if column is None:
        return pd.Series(False, index=table.index)
    return table[column].astype("string").str.strip().str.upper().eq("JA").fillna(False).astype(bool)


def _merge_duplicates(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One geometry per code: features of the same code (parts CBS delivers separately) merged."""
    import shapely

    duplicated = frame["region_code"].duplicated(keep=False)
    if not duplicated.any():
        return frame, 0
    rows = []
    for code, group in frame.loc[duplicated].groupby("region_code", sort=False):
        parts = shapely.from_wkb([g for g in group["geometry"] if g is not None])
        rows.append({
            "region_code": code,
            "region_name": group["region_name"].dropna().iloc[0] if group["region_name"].notna().any() else pd.NA,
            "geometry": shapely.to_wkb(shapely.make_valid(shapely.union_all(shapely.make_valid(parts)))),
        })
    merged = pd.concat([frame.loc[~duplicated], pd.DataFrame(rows)], ignore_index=True)
    return merged, int(duplicated.sum() - len(rows))


def _repaired(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Valid polygonal geometry per row, or the reason it cannot be had in `problem`."""
    import shapely

    geometries = np.array([shapely.from_wkb(g) if g is not None else None for g in frame["geometry"]], dtype=object)
    problems: list[str | None] = []
    repaired: list[bool] = []
    out: list[bytes | None] = []
    for code, geometry in zip(frame["region_code"], geometries):
        fixed, problem = _valid_polygonal(geometry)
        problems.append(None if problem is None else f"{code} in {where}: {problem}")
        repaired.append(problem is None and fixed is not geometry)
        out.append(shapely.to_wkb(fixed) if fixed is not None else None)
    return frame.assign(geometry=out, problem=pd.Series(problems, index=frame.index, dtype="string"), repaired=repaired)


def _valid_polygonal(geometry):
    """(geometry, None) when usable (repaired when needed), else (what there is, the reason)."""
    import shapely

    if geometry is None or geometry.is_empty:
        return None, "empty geometry"
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        return geometry, f"a {geometry.geom_type}, not a polygon"
    if geometry.is_valid:
        return geometry, None
    fixed = shapely.make_valid(geometry)
    polygons = [part for part in shapely.get_parts(fixed) if part.geom_type in ("Polygon", "MultiPolygon")]
    if not polygons:
        return geometry, f"invalid geometry ({shapely.is_valid_reason(geometry)}) that cannot be repaired to a polygon"
    fixed = shapely.union_all(polygons)
    if fixed.is_empty or not fixed.is_valid or fixed.area < 0.5 * abs(geometry.area):
        return geometry, f"invalid geometry ({shapely.is_valid_reason(geometry)}); the repair loses most of its area"
    return fixed, None
