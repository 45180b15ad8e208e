"""Download a year's generalised boundaries of the Noord-Brabant gemeenten, wijken and buurten
from PDOK into the landing zone: `fetch_boundaries(year, landing, gemeente_codes)` writes
`<landing>/<year>/boundaries/{gemeenten,wijken,buurten}.geojson` in the layout of monitor.geo.

The source. PDOK's OGC API Features of the *CBS gebiedsindelingen*
(https://api.pdok.nl/cbs/gebiedsindelingen/ogc/v1, the years from 2016; 1995-2015 are in
https://api.pdok.nl/cbs/gebiedsindelingen-historisch/ogc/v1), collections
`gemeente_gegeneraliseerd`, `wijk_gegeneraliseerd` and `buurt_gegeneraliseerd`, each holding
every year, selected with `jaarcode=<year>`. Features carry `statcode` and `statnaam` (and
`jrstatcode`, `rubriek`, ...); a mirror serving the wijk- en buurtkaart's property names
(`gemeentecode`/`gemeentenaam`, `wijkcode`, `buurtcode`/`buurtnaam`, or `GM_CODE`/`BU_NAAM`) is
read too: those are copied to `statcode`/`statnaam`. tests/fixtures/pdok/README.md says where
these endpoints and parameters are documented.

Each request asks for the coordinates in EPSG:28992 (`crs=`), so nothing is reprojected, and
for the features in a box around Noord-Brabant (`bbox=` in RD metres, `bbox-crs=`) to keep the
download small; the box also holds parts of the neighbouring provinces, so membership is
decided by code: a wijk `WKxxxxyy` or buurt `BUxxxxyyzz` belongs to gemeente `GMxxxx`. PDOK
returns at most 1,000 features per request and a `next` link to the rest, which is followed.

The folder is assembled in a temporary folder beside it and moved into place only when
complete, so an interrupted or failed fetch leaves nothing that the boundary reader would take
for a delivery. An existing boundaries folder is refused unless `overwrite=True`. Offline, an
HTTP error or an answer that is not the GeoJSON expected gives `MapFetchError`, naming the URL
tried and what to do instead.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from monitor.cbs.fetch import _bypasses_proxy, _checked_codes, _reason
from monitor.geo import BOUNDARIES_DIR, CODE_PREFIX, CODE_PROPERTY, CRS_MEMBER, EPSG, GEOJSON_FILES, NAME_PROPERTY
from monitor.presentation.folders import replace_folder

log = logging.getLogger(__name__)

PDOK_BASE_URL = "https://api.pdok.nl/cbs/gebiedsindelingen/ogc/v1"
PDOK_HISTORIC_BASE_URL = "https://api.pdok.nl/cbs/gebiedsindelingen-historisch/ogc/v1"
FIRST_CURRENT_YEAR = 2016  # gebiedsindelingen holds 2016 onwards, -historisch 1995-2015
COLLECTIONS = {"gemeente": "gemeente_gegeneraliseerd", "wijk": "wijk_gegeneraliseerd", "buurt": "buurt_gegeneraliseerd"}
CRS_URI = f"http://www.opengis.net/def/crs/EPSG/0/{EPSG}"
# RD metres: the extent of the 64 Brabant gemeenten of 2017 (72432, 359075, 200833, 426761,
# ../shared/data/cbs/geo) with 5 km to spare for later boundary changes
BRABANT_BBOX = (67_000, 354_000, 206_000, 432_000)
PAGE_LIMIT = 1000  # the most PDOK's OGC API returns per request
MAX_PAGES = 200  # Brabant's ~2,000 buurten with their neighbours in the box take a few pages
TIMEOUT = (15, 120)  # seconds: connect, read (one page)
FETCH_LOG = "fetch_log.json"
CODE_DIGITS = {"gemeente": 4, "wijk": 6, "buurt": 8}
CODE_PATTERN = {level: re.compile(rf"{CODE_PREFIX[level]}\d{{{n}}}") for level, n in CODE_DIGITS.items()}
EXAMPLE_CODE = {"gemeente": "GM0855", "wijk": "WK085501", "buurt": "BU08550101"}
# (code, name) properties of the wijk- en buurtkaart services, tried when a feature lacks statcode
SOURCE_PROPERTIES = {
    "gemeente": (("gemeentecode", "gemeentenaam"), ("GM_CODE", "GM_NAAM")),
    "wijk": (("wijkcode", "wijknaam"), ("WK_CODE", "WK_NAAM")),
    "buurt": (("buurtcode", "buurtnaam"), ("BU_CODE", "BU_NAAM")),
}
# RD New's valid area (EPSG:28992) in metres: lon/lat degrees fall far outside it
RD_X, RD_Y = (-7_000, 300_000), (289_000, 629_000)


class MapFetchError(RuntimeError):
    """The boundaries could not be downloaded; the message names the URL tried and what to do."""


class BoundariesExist(MapFetchError, FileExistsError):
    """A boundaries folder is already in place and overwrite was not asked for."""


@dataclass
class LevelDownload:
    """What one level's download gave: the kept features and what was left out."""

    level: str
    url: str
    features: list[dict] = field(default_factory=list)
    pages: int = 0
    received: int = 0
    outside: int = 0  # features of gemeenten outside the requested ones (other provinces)
    other_year: int = 0  # features of another year, had the service ignored jaarcode
    gemeenten_without: list[str] = field(default_factory=list)


def default_base_url(year: int) -> str:
    return PDOK_BASE_URL if int(year) >= FIRST_CURRENT_YEAR else PDOK_HISTORIC_BASE_URL


def items_url(base_url: str, level: str) -> str:
    return f"{base_url.rstrip('/')}/collections/{COLLECTIONS[level]}/items"


def query_params(year: int) -> dict[str, str]:
    """The query of a level's first page (the `next` links carry it on)."""
    return {
        "f": "json",
        "jaarcode": str(int(year)),
        "crs": CRS_URI,
        "bbox": ",".join(str(v) for v in BRABANT_BBOX),
        "bbox-crs": CRS_URI,
        "limit": str(PAGE_LIMIT),
    }


def fetch_brabant_boundaries(year: int, landing: Path, **options) -> Path:
    """Download the year's boundaries of the Brabant gemeenten of that year's layout
    (seed brabant_gemeenten)."""
    from monitor.reference import brabant_gemeenten

    codes = brabant_gemeenten(int(year))["gemeente_code"].tolist()
    return fetch_boundaries(year, landing, codes, **options)


def fetch_boundaries(
    year: int,
    landing: Path,
    gemeente_codes: list[str],
    *,
    overwrite: bool = False,
    base_url: str | None = None,
    timeout: tuple[float, float] = TIMEOUT,
    progress: Callable[[str], None] = log.info,
) -> Path:
    """Download the generalised boundaries of `gemeente_codes`, their wijken and buurten, of
    `year` into `<landing>/<year>/boundaries/` and return that folder.

    `base_url` is the OGC API landing page (default: PDOK's gebiedsindelingen API of that
    year); tests point it at a local server. `progress` receives one line per step.
    Raises BoundariesExist when the folder exists and not `overwrite`, MapFetchError when the
    service cannot be reached, answers with an error or with something else than the GeoJSON
    expected, or has no feature of the requested gemeenten at a level."""
    codes = _checked_codes(gemeente_codes)
    base_url = base_url or default_base_url(year)
    _check_base_url(base_url)
    landing = Path(landing)
    edition_dir = landing / str(int(year))
    target = edition_dir / BOUNDARIES_DIR
    if target.exists() and not overwrite:
        raise BoundariesExist(
            f"{target} already exists (boundaries for {year}); pass overwrite=True (`--overwrite`) to download "
            f"them again from {base_url} and replace the folder"
        )

    created = _missing_ancestors(edition_dir)
    edition_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{BOUNDARIES_DIR}-download-", dir=edition_dir))
    try:
        assembled = work / BOUNDARIES_DIR
        assembled.mkdir()
        downloads = []
        for level in GEOJSON_FILES:
            download = _download_level(level, int(year), codes, base_url, landing, timeout, progress)
            _write_geojson(download, assembled / GEOJSON_FILES[level])
            downloads.append(download)
        _write_log(downloads, assembled / FETCH_LOG, int(year), codes, base_url)
        replace_folder(assembled, target)  # whole: the old folder goes only once the new one is in place
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        _remove_if_empty(created)
        raise
    shutil.rmtree(work, ignore_errors=True)
    progress(f"boundaries {year} written to {target} ({', '.join(GEOJSON_FILES.values())}, {FETCH_LOG})")
    return target


def _check_base_url(base_url: str) -> None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be like {PDOK_BASE_URL}, not {base_url!r}")


# --- one level ---------------------------------------------------------------------------


def _download_level(level, year, codes, base_url, landing, timeout, progress) -> LevelDownload:
    first_url = items_url(base_url, level)
    download = LevelDownload(level, first_url)
    wanted = {code[2:] for code in codes}
    kept: dict[str, dict] = {}
    url, params, seen = first_url, query_params(year), set()
    while url:
        if url in seen or download.pages >= MAX_PAGES:
            raise MapFetchError(_failure(level, year, landing, url, (
                f"the `next` links do not end (page {download.pages + 1} repeats an earlier one or exceeds "
                f"{MAX_PAGES} pages)")))
        seen.add(url)
        page, page_url = _get_page(url, params, level, year, landing, timeout)
        download.pages += 1
        for number, feature in enumerate(page["features"], start=1):
            download.received += 1
            _keep(feature, level, year, wanted, kept, download, f"{page_url} (feature {number})", landing)
        url, params = _next_link(page), None  # the next link carries the whole query
        if url and urlsplit(url).netloc != urlsplit(first_url).netloc:
            # a mirror serving PDOK's pages unchanged would send the fetch to the internet after all
            raise MapFetchError(_failure(level, year, landing, page_url, (
                f"its `next` link leaves {urlsplit(first_url).netloc} for {url}; a mirror must rewrite the links "
                "of the pages it serves to itself")))
    download.features = [kept[code] for code in sorted(kept)]
    if not download.features:
        raise MapFetchError(_failure(level, year, landing, first_url, (
            f"no {level} of the {len(codes)} requested gemeente(n) ({', '.join(codes[:5])}"
            f"{', ...' if len(codes) > 5 else ''}) among the {download.received} feature(s) received; "
            f"check that {year} is in the service (jaarcode) and that the gemeenten exist in {year}")))
    present = {feature["properties"][CODE_PROPERTY][2:6] for feature in download.features}
    download.gemeenten_without = [code for code in codes if code[2:] not in present]
    progress(_summary(download))
    return download


def _get_page(url, params, level, year, landing, timeout) -> tuple[dict, str]:
    import requests  # imported here: only a download needs it

    kwargs = {"timeout": timeout, "headers": {"Accept": "application/geo+json, application/json"}}
    if _bypasses_proxy(url):
        kwargs["proxies"] = {"http": None, "https": None}
    try:
        response = requests.get(url, params=params, **kwargs)
        response.raise_for_status()
    except requests.RequestException as err:
        tried = getattr(getattr(err, "request", None), "url", None) or url
        raise MapFetchError(_failure(level, year, landing, tried, _reason(err))) from err
    page_url = response.url
    _check_content_crs(response, level, year, landing)
    try:
        page = response.json()
    except ValueError as err:
        raise MapFetchError(_failure(level, year, landing, page_url, (
            f"the answer (HTTP {response.status_code}, {response.headers.get('Content-Type', 'no content type')}) "
            f"is not JSON: {response.text[:200]!r}"))) from err
    if not isinstance(page, dict) or page.get("type") != "FeatureCollection" or not isinstance(page.get("features"), list):
        shape = page.get("type") if isinstance(page, dict) else type(page).__name__
        raise MapFetchError(_failure(level, year, landing, page_url, (
            f"the answer (HTTP {response.status_code}) is not a GeoJSON FeatureCollection with features "
            f"(type: {shape!r})")))
    return page, page_url


def _check_content_crs(response, level, year, landing) -> None:
    """OGC API Features part 2 names the CRS of the coordinates in the Content-Crs header."""
    declared = response.headers.get("Content-Crs", "").strip().strip("<>")
    if declared and not declared.endswith(f"/EPSG/0/{EPSG}"):
        raise MapFetchError(_failure(level, year, landing, response.url, (
            f"the coordinates are in {declared}, not in EPSG:{EPSG} as asked with crs={CRS_URI}")))


def _next_link(page: dict) -> str | None:
    for link in page.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return link["href"]
    return None


def _keep(feature, level, year, wanted, kept, download, where, landing) -> None:
    """Add `feature` to `kept` when it is an area of `level` of the requested gemeenten in
    `year`; count it as outside or of another year otherwise."""
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        raise MapFetchError(_failure(level, year, landing, where, "not a GeoJSON feature with properties"))
    properties = _named(feature["properties"], level)
    code = properties.get(CODE_PROPERTY)
    if not isinstance(code, str) or not CODE_PATTERN[level].fullmatch(code):
        raise MapFetchError(_failure(level, year, landing, where, (
            f"no {level} code (expected {CODE_PROPERTY} like {EXAMPLE_CODE[level]}, found {code!r}; "
            f"properties: {', '.join(sorted(feature['properties']))})")))
    if code[2:6] not in wanted:
        download.outside += 1
        return
    if _year_of(properties) not in (None, year):
        download.other_year += 1
        return
    if code in kept:
        raise MapFetchError(_failure(level, year, landing, where, f"{code} occurs twice in the answer for {year}"))
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, dict) else geometry
        raise MapFetchError(_failure(level, year, landing, where, f"{code} has no (Multi)Polygon geometry (found {kind!r})"))
    x, y = _first_position(geometry, code, level, year, landing, where)
    if not (RD_X[0] <= x <= RD_X[1] and RD_Y[0] <= y <= RD_Y[1]):
        raise MapFetchError(_failure(level, year, landing, where, (
            f"{code} has coordinates ({x}, {y}), outside EPSG:{EPSG} (RD New) metres: the service did not "
            f"honour crs={CRS_URI} (lon/lat?)")))
    out = {"type": "Feature"}
    if "id" in feature:
        out["id"] = feature["id"]
    out["properties"] = properties
    out["geometry"] = geometry
    kept[code] = out


def _named(properties: dict, level: str) -> dict:
    """The properties with `statcode` and `statnaam` first, taken from the wijk- en
    buurtkaart's names where the feature lacks them; every other property kept."""
    code, name = properties.get(CODE_PROPERTY), properties.get(NAME_PROPERTY)
    for code_key, name_key in SOURCE_PROPERTIES[level]:
        if code is None and properties.get(code_key) is not None:
            code = properties[code_key]
            if name is None:
                name = properties.get(name_key)
    code = code.strip() if isinstance(code, str) else code
    name = name.strip() if isinstance(name, str) else name
    rest = {k: v for k, v in properties.items() if k not in (CODE_PROPERTY, NAME_PROPERTY)}
    return {CODE_PROPERTY: code, NAME_PROPERTY: name, **rest}


def _year_of(properties: dict) -> int | None:
    """The year a feature says it belongs to (`jaarcode`, or the `2017` of jrstatcode `2017GM0855`)."""
    jaarcode = properties.get("jaarcode")
    if jaarcode not in (None, ""):
        try:
            return int(jaarcode)
        except (TypeError, ValueError):
            return None
    match = re.match(r"(\d{4})[A-Z]{2}", str(properties.get("jrstatcode") or ""))
    return int(match.group(1)) if match else None


def _first_position(geometry, code, level, year, landing, where) -> tuple[float, float]:
    coordinates = geometry.get("coordinates")
    try:
        while isinstance(coordinates[0], list):
            coordinates = coordinates[0]
        return float(coordinates[0]), float(coordinates[1])
    except (TypeError, IndexError, ValueError) as err:
        raise MapFetchError(_failure(level, year, landing, where, f"{code} has empty or unreadable coordinates")) from err


def _summary(download: LevelDownload) -> str:
    parts = [f"{len(download.features)} {download.level} feature(s) kept of {download.received} received "
             f"in {download.pages} page(s) from {download.url}"]
    if download.outside:
        parts.append(f"{download.outside} outside the requested gemeenten (neighbouring provinces in the box) left out")
    if download.other_year:
        parts.append(f"{download.other_year} of another year left out (the service ignored jaarcode)")
    if download.gemeenten_without:
        shown = ", ".join(download.gemeenten_without[:10])
        more = ", ..." if len(download.gemeenten_without) > 10 else ""
        parts.append(f"WARNING: {len(download.gemeenten_without)} requested gemeente(n) without any {download.level} "
                     f"in the answer: {shown}{more} (listed in {FETCH_LOG}; they will have no map)")
    return "; ".join(parts)


def _failure(level: str, year: int, landing: Path, url: str, reason: str) -> str:
    folder = Path(landing) / str(year) / BOUNDARIES_DIR
    return (
        f"could not download the {level} boundaries of {year} from {url}: {reason}. "
        f"Without access to PDOK, download them where there is access (PDOK's CBS gebiedsindelingen: collections "
        f"{', '.join(COLLECTIONS.values())} with jaarcode={year} and crs={CRS_URI}; or CBS's wijk- en buurtkaart "
        f"{year}) and place them in {folder}/ as {', '.join(GEOJSON_FILES.values())} (GeoJSON FeatureCollections in "
        f"EPSG:{EPSG} with the properties {CODE_PROPERTY} and {NAME_PROPERTY}) or the wijk- en buurtkaart GeoPackage "
        f"(*.gpkg); or pass --base-url with a mirror of the API"
    )


# --- writing -----------------------------------------------------------------------------


def _write_geojson(download: LevelDownload, path: Path) -> None:
    collection = {"type": "FeatureCollection", "name": COLLECTIONS[download.level], "crs": CRS_MEMBER,
                  "features": download.features}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(collection, handle, ensure_ascii=False, separators=(",", ":"))


def _write_log(downloads: list[LevelDownload], path: Path, year: int, codes: list[str], base_url: str) -> None:
    record = {
        "year": year,
        "source": base_url,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "query": query_params(year),
        "gemeenten": codes,
        "levels": {
            d.level: {
                "file": GEOJSON_FILES[d.level],
                "url": d.url,
                "pages": d.pages,
                "received": d.received,
                "kept": len(d.features),
                "outside_requested_gemeenten": d.outside,
                "other_year": d.other_year,
                "gemeenten_without_features": d.gemeenten_without,
            }
            for d in downloads
        },
    }
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _missing_ancestors(folder: Path) -> list[Path]:
    """`folder` and those of its parents that do not exist yet, deepest first."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    return missing


def _remove_if_empty(folders: list[Path]) -> None:
    """Undo the folders a failed fetch created, so that it leaves the landing zone as it was."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (someone else wrote there) or already gone: leave it
