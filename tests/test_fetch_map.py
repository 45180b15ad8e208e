"""`monitor fetch-cbs-map`: the boundaries of a year's Brabant gemeenten, wijken and buurten from
PDOK's OGC API Features (monitor/geo/fetch.py).

The recorded pages (tests/fixtures/pdok/, written by make_fixtures.py there; README.md says
which real endpoints and parameters they stand for) are served by a small HTTP server on
127.0.0.1 that answers like PDOK: only the request that was recorded (the same query, the
cursor of a `next` link), with the server's own address in the links; nothing else is contacted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyogrio
import pyogrio.raw
import pytest
import shapely
from shapely.geometry import shape

from monitor.geo import CRS_MEMBER, GEOJSON_FILES
from monitor.geo.fetch import (
    COLLECTIONS,
    CRS_URI,
    FETCH_LOG,
    PDOK_BASE_URL,
    BoundariesExist,
    MapFetchError,
    fetch_boundaries,
)
from tests.loopback import closed_port, serve

FIXTURES = Path(__file__).parent / "fixtures" / "pdok"
YEAR = 2017
API_PATH = urlsplit(PDOK_BASE_URL).path  # /cbs/gebiedsindelingen/ogc/v1
REQUESTED = ["GM0796", "GM0820", "GM0855"]
EXPECTED = {
    "gemeente": {"GM0796": "'s-Hertogenbosch", "GM0820": "Nuenen, Gerwen en Nederwetten", "GM0855": "Tilburg"},
    "wijk": {"WK079601": "Binnenstad", "WK082001": "Nuenen-West", "WK085501": "Tilburg-Centrum",
             "WK085502": "Tilburg-Noord"},
    "buurt": {"BU07960101": "Binnenstad-Oost", "BU07960102": "De Markt", "BU08200101": "Nuenen-Centrum",
              "BU08550101": "Centrum-Oost", "BU08550201": "Het Zand"},
}
MONITOR = str(Path(sys.executable).with_name("monitor"))


def _pages(collection: str) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(FIXTURES.glob(f"{collection}_{YEAR}_page*.json"))]


def _query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


class RecordedApi:
    """Answers like PDOK's gebiedsindelingen API from the recorded pages. `status` maps a
    collection to an HTTP status to answer with instead; `edit(collection, page)` changes a
    page before it is served; `body` maps a collection to raw bytes to serve instead."""

    def __init__(self, status=None, edit=None, body=None, content_crs=f"<{CRS_URI}>"):
        self.status, self.edit, self.body, self.content_crs = status or {}, edit, body or {}, content_crs
        self.requests: list[str] = []
        self.base = ""  # set when serving: http://127.0.0.1:<port>/cbs/gebiedsindelingen/ogc/v1

    def answer(self, path: str) -> tuple[int, bytes, str]:
        self.requests.append(path)
        parts = urlsplit(path)
        prefix = f"{API_PATH}/collections/"
        if not parts.path.startswith(prefix) or not parts.path.endswith("/items"):
            return 404, self._problem(404, f"no such path {parts.path}"), "application/problem+json"
        collection = parts.path[len(prefix):-len("/items")]
        if collection in self.status:
            return self.status[collection], self._problem(self.status[collection], "recorded failure"), "application/problem+json"
        if collection in self.body:
            return 200, self.body[collection], "text/html"
        asked = parse_qs(parts.query)
        for page in _pages(collection):
            recorded = _query(next(link["href"] for link in page["links"] if link["rel"] == "self"))
            if asked == recorded:  # the query and cursor of the recorded request, nothing else
                if self.edit:
                    page = self.edit(collection, page)
                text = json.dumps(page).replace(PDOK_BASE_URL, self.base)
                return 200, text.encode(), "application/geo+json"
        return 400, self._problem(400, f"not a recorded request: {parts.query}"), "application/problem+json"

    @staticmethod
    def _problem(status: int, detail: str) -> bytes:
        return json.dumps({"title": "recorded answer", "status": status, "detail": detail}).encode()


@contextmanager
def recorded_api(**options):
    api = RecordedApi(**options)

    def answer(path: str) -> tuple[int, bytes, dict[str, str]]:
        status, data, kind = api.answer(path)
        crs = {"Content-Crs": api.content_crs} if status == 200 and api.content_crs else {}
        return status, data, {"Content-Type": kind, **crs}

    with serve(answer) as base:
        api.base = base + API_PATH
        yield api


def _fetch(landing: Path, api: RecordedApi, **options) -> Path:
    return fetch_boundaries(YEAR, landing, REQUESTED, base_url=api.base, **options)


def _collection(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _run(args, landing: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MONITOR_LANDING": str(landing), "MONITOR_WAREHOUSE": str(landing.parent / "warehouse")}
    return subprocess.run([MONITOR, *args], env=env, capture_output=True, text=True, timeout=300)


def _left_in(landing: Path) -> list[str]:
    return sorted(str(p.relative_to(landing)) for p in landing.rglob("*")) if landing.exists() else []


# --- what is written ---------------------------------------------------------------------


def test_fixture_pages_are_what_the_code_asks_for():
    # two pages per collection, linked by `next`, plus a gemeente of Gelderland in the box
    for collection in COLLECTIONS.values():
        first, second = _pages(collection)
        (next_link,) = [link["href"] for link in first["links"] if link["rel"] == "next"]
        assert next_link == next(link["href"] for link in second["links"] if link["rel"] == "self")
        assert not [link for link in second["links"] if link["rel"] == "next"]
        codes = [f["properties"]["statcode"] for page in (first, second) for f in page["features"]]
        assert any(code[2:6] == "0268" for code in codes)  # Nijmegen: not Brabant


def test_fetch_writes_the_brabant_areas_with_codes_names_and_crs(tmp_path):
    lines = []
    with recorded_api() as api:
        folder = _fetch(tmp_path / "landing", api, progress=lines.append)
    assert folder == tmp_path / "landing" / str(YEAR) / "boundaries"
    assert sorted(p.name for p in folder.iterdir()) == sorted([*GEOJSON_FILES.values(), FETCH_LOG])
    for level, file in GEOJSON_FILES.items():
        collection = _collection(folder / file)
        assert collection["type"] == "FeatureCollection" and collection["crs"] == CRS_MEMBER
        names = {f["properties"]["statcode"]: f["properties"]["statnaam"] for f in collection["features"]}
        assert names == EXPECTED[level]  # Nijmegen's gemeente, wijk and buurt left out, the rest kept
        assert [f["properties"]["statcode"] for f in collection["features"]] == sorted(names)
        for feature in collection["features"]:
            code = feature["properties"]["statcode"]
            assert list(feature["properties"])[:2] == ["statcode", "statnaam"]
            assert feature["properties"]["jrstatcode"] == f"{YEAR}{code}"  # other source properties kept
            assert shape(feature["geometry"]).is_valid
    log = json.loads((folder / FETCH_LOG).read_text())
    assert log["levels"]["buurt"]["received"] == 6 and log["levels"]["buurt"]["kept"] == 5
    assert log["levels"]["gemeente"]["outside_requested_gemeenten"] == 1
    assert log["levels"]["wijk"]["gemeenten_without_features"] == []
    assert len(lines) == 4 and "3 gemeente feature(s) kept of 4 received in 2 page(s)" in lines[0]
    assert "1 outside the requested gemeenten" in lines[0] and str(folder) in lines[-1]


def test_files_load_with_pyogrio_in_rd_new(tmp_path):
    with recorded_api() as api:
        folder = _fetch(tmp_path / "landing", api)
    for level, file in GEOJSON_FILES.items():
        info = pyogrio.read_info(folder / file)
        assert info["crs"] == "EPSG:28992"
        assert info["features"] == len(EXPECTED[level])
        meta, _, wkb, values = pyogrio.raw.read(folder / file)  # geopandas is not installed
        columns = dict(zip(meta["fields"], values, strict=True))
        assert sorted(columns["statcode"]) == sorted(EXPECTED[level])
        geometries = shapely.from_wkb(wkb)
        assert shapely.is_valid(geometries).all()
        minx, miny, maxx, maxy = shapely.total_bounds(geometries)
        assert 100_000 < minx < maxx < 200_000 and 380_000 < miny < maxy < 420_000  # metres in Brabant


def test_paging_follows_the_next_links_with_the_recorded_query(tmp_path):
    with recorded_api() as api:
        _fetch(tmp_path / "landing", api)
    assert len(api.requests) == 6  # two pages for each of the three collections
    for collection in COLLECTIONS.values():
        mine = [_query(path) for path in api.requests if f"/collections/{collection}/items" in path]
        assert len(mine) == 2
        first, second = mine
        assert "cursor" not in first and "cursor" in second
        assert first["jaarcode"] == [str(YEAR)] and first["crs"] == [CRS_URI] and first["bbox-crs"] == [CRS_URI]
        assert first["limit"] == ["1000"] and len(first["bbox"][0].split(",")) == 4


# --- an existing folder ------------------------------------------------------------------


def test_existing_boundaries_are_refused_then_replaced_with_overwrite(tmp_path):
    landing = tmp_path / "landing"
    folder = landing / str(YEAR) / "boundaries"
    folder.mkdir(parents=True)
    (folder / "wijkbuurtkaart_2017.gpkg").write_text("placed by hand")
    with recorded_api() as api:
        with pytest.raises(BoundariesExist, match=r"already exists.*--overwrite"):
            _fetch(landing, api)
        assert api.requests == []  # refused before anything is downloaded
        assert [p.name for p in folder.iterdir()] == ["wijkbuurtkaart_2017.gpkg"]
        _fetch(landing, api, overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == sorted([*GEOJSON_FILES.values(), FETCH_LOG])
    assert _left_in(landing / str(YEAR)) == ["boundaries", *(f"boundaries/{n}" for n in sorted(
        [*GEOJSON_FILES.values(), FETCH_LOG]))]  # no work folder left beside it


def test_cli_fetches_and_refuses_a_second_fetch_without_overwrite(tmp_path):
    landing = tmp_path / "landing"
    with recorded_api() as api:
        first = _run(["fetch-cbs-map", "--year", str(YEAR), "--base-url", api.base], landing)
        second = _run(["fetch-cbs-map", "--year", str(YEAR), "--base-url", api.base], landing)
        third = _run(["fetch-cbs-map", "--year", str(YEAR), "--base-url", api.base, "--overwrite"], landing)
    folder = landing / str(YEAR) / "boundaries"
    assert first.returncode == 0, first.stderr
    assert f"boundaries {YEAR} written to {folder} (gemeenten.geojson, wijken.geojson" in first.stdout
    assert "3 gemeente feature(s) kept" in first.stdout and "5 buurt feature(s) kept" in first.stdout
    # the CLI asks for all 64 Brabant gemeenten of 2017; the recording holds three
    assert "WARNING: 61 requested gemeente(n) without any gemeente" in first.stdout
    assert second.returncode == 2 and "already exists" in second.stderr and "--overwrite" in second.stderr
    assert third.returncode == 0, third.stderr
    assert {f["properties"]["statcode"] for f in _collection(folder / "buurten.geojson")["features"]} == set(EXPECTED["buurt"])


# --- failures leave nothing behind --------------------------------------------------------


def test_offline_says_so_and_what_to_do(tmp_path):
    landing = tmp_path / "landing"
    base = f"http://127.0.0.1:{closed_port()}{API_PATH}"
    result = _run(["fetch-cbs-map", "--year", str(YEAR), "--base-url", base], landing)
    assert result.returncode == 2
    message = result.stderr
    assert "could not be reached" in message and f"{base}/collections/gemeente_gegeneraliseerd/items" in message
    assert str(landing / str(YEAR) / "boundaries") in message and "gemeenten.geojson" in message  # place them by hand
    assert "--base-url" in message  # or a mirror
    assert _left_in(tmp_path) == []  # not even the landing folder


def test_http_error_exits_2_with_url_and_status(tmp_path):
    landing = tmp_path / "landing"
    with recorded_api(status={"buurt_gegeneraliseerd": 500}) as api:
        result = _run(["fetch-cbs-map", "--year", str(YEAR), "--base-url", api.base], landing)
    assert result.returncode == 2
    assert "500 Server Error" in result.stderr and "buurt_gegeneraliseerd/items" in result.stderr
    assert "gemeente feature(s) kept" in result.stdout  # the levels before it were downloaded ...
    assert _left_in(tmp_path) == []  # ... and removed with the work folder


@pytest.mark.parametrize("answer, expected", [
    ("html", "is not JSON"),
    ("lonlat", "outside EPSG:28992"),
    ("no_code", "no buurt code"),
    ("wrong_crs", "not in EPSG:28992"),
])
def test_an_unexpected_answer_is_refused_naming_the_url(tmp_path, answer, expected):
    def lonlat(collection, page):
        if collection == "buurt_gegeneraliseerd":
            page["features"][-1]["geometry"]["coordinates"] = [[[[5.1, 51.6], [5.2, 51.6], [5.2, 51.7], [5.1, 51.6]]]]
        return page

    def no_code(collection, page):
        if collection == "buurt_gegeneraliseerd":
            del page["features"][-1]["properties"]["statcode"]
        return page

    options = {
        "html": {"body": {"buurt_gegeneraliseerd": b"<html><body>Onderhoud</body></html>"}},
        "lonlat": {"edit": lonlat},
        "no_code": {"edit": no_code},
        "wrong_crs": {"content_crs": "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"},
    }[answer]
    landing = tmp_path / "landing"
    with recorded_api(**options) as api:
        with pytest.raises(MapFetchError, match=expected) as err:
            _fetch(landing, api)
    assert api.base in str(err.value) and "/items" in str(err.value)
    assert _left_in(tmp_path) == []


def test_a_next_link_to_another_host_is_not_followed(tmp_path):
    def elsewhere(collection, page):
        for link in page["links"]:
            link["href"] = link["href"].replace(PDOK_BASE_URL, "https://mirror.invalid/ogc/v1")
        return page

    with recorded_api(edit=elsewhere) as api:
        with pytest.raises(MapFetchError, match=r"`next` link leaves 127\.0\.0\.1:\d+ for https://mirror\.invalid/"):
            _fetch(tmp_path / "landing", api)
    assert len(api.requests) == 1 and _left_in(tmp_path) == []


def test_other_year_and_wijk_en_buurtkaart_names_are_handled(tmp_path):
    def edit(collection, page):
        if collection == "buurt_gegeneraliseerd":
            for feature in page["features"]:  # the wijk- en buurtkaart's property names
                properties = feature["properties"]
                properties["buurtcode"] = properties.pop("statcode")
                properties["buurtnaam"] = properties.pop("statnaam")
        if collection == "wijk_gegeneraliseerd" and "cursor" not in page["links"][0]["href"]:
            page["features"][1]["properties"]["jaarcode"] = YEAR + 1  # WK079601 of 2018: not asked for
        return page

    with recorded_api(edit=edit) as api:
        folder = _fetch(tmp_path / "landing", api)
    buurten = _collection(folder / "buurten.geojson")["features"]
    assert {f["properties"]["statcode"]: f["properties"]["statnaam"] for f in buurten} == EXPECTED["buurt"]
    assert buurten[0]["properties"]["buurtcode"] == buurten[0]["properties"]["statcode"]  # source names kept too
    wijken = {f["properties"]["statcode"] for f in _collection(folder / "wijken.geojson")["features"]}
    assert wijken == set(EXPECTED["wijk"]) - {"WK079601"}
    log = json.loads((folder / FETCH_LOG).read_text())
    assert log["levels"]["wijk"]["other_year"] == 1


def test_no_feature_of_the_requested_gemeenten_is_an_error(tmp_path):
    with recorded_api() as api:
        with pytest.raises(MapFetchError, match=r"no gemeente of the 1 requested gemeente\(n\) \(GM0777\)"):
            fetch_boundaries(YEAR, tmp_path / "landing", ["GM0777"], base_url=api.base)
    assert _left_in(tmp_path) == []
