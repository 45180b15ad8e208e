"""The boundaries loader (monitor/geo/boundaries.py) and the raw GX suite on what it reads:
PDOK GeoJSON (the real 2017 gemeente outlines of ../shared, read in place, and files written
here), and CBS wijk- en buurtkaart GeoPackages in the older and the newer shape, written here
with pyogrio; invalid, empty and non-polygon geometry; a file in another CRS; folders that
cannot be read."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Polygon, box
from test_cbs_loader import CBS_DIR

from data_quality.suites import raw_area_boundaries
from monitor.geo import CRS_MEMBER
from monitor.geo.boundaries import BoundaryFileError, load_boundaries
from orchestration.refresh import render_summary

GEO_2017 = CBS_DIR / "geo" / "gemeenten_2017_noord_brabant.geojson"
real_outlines = pytest.mark.skipif(not GEO_2017.is_file(), reason=f"real gemeente outlines not found: {GEO_2017}")
BOWTIE = Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])  # self-intersecting: invalid, repairable


def _feature(code: str, name: str | None, geometry, **extra) -> dict:
    properties = {"statcode": code, "statnaam": name, **extra}
    return {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(geometry)}


def _write_geojson(path, features, crs=CRS_MEMBER) -> None:
    collection = {"type": "FeatureCollection", **({"crs": crs} if crs else {}), "features": features}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(collection), encoding="utf-8")


def _write_layer(path, layer: str, columns: dict, geometries) -> None:
    pyogrio.raw.write(
        path, np.array(shapely.to_wkb(geometries), dtype=object), list(columns.values()), list(columns),
        layer=layer, driver="GPKG", geometry_type="MultiPolygon", crs="EPSG:28992", append=path.exists(),
        promote_to_multi=True,
    )


def _rd(x: float, y: float, size: float = 1000) -> Polygon:
    """A square in RD coordinates inside Noord-Brabant."""
    return box(150_000 + x, 400_000 + y, 150_000 + x + size, 400_000 + y + size)


@real_outlines
def test_the_real_2017_gemeente_outlines_load_whole(tmp_path):
    folder = tmp_path / "boundaries"
    folder.mkdir()
    (folder / "gemeenten.geojson").write_bytes(GEO_2017.read_bytes())
    loaded = load_boundaries(folder, 2017)
    frame = loaded.frame
    assert len(frame) == 64 and frame["region_code"].is_unique
    assert set(frame["region_type"]) == {"gemeente"} and set(frame["crs"]) == {"EPSG:28992"}
    assert frame["problem"].isna().all() and not frame["repaired"].any()
    names = dict(zip(frame["region_code"], frame["region_name"]))
    assert names["GM0855"] == "Tilburg" and names["GM0820"] == "Nuenen, Gerwen en Nederwetten"
    source = json.loads(GEO_2017.read_text(encoding="utf-8"))["features"]
    tilburg = next(f for f in source if f["properties"]["statcode"] == "GM0855")
    loaded_tilburg = shapely.from_wkb(frame.loc[frame["region_code"] == "GM0855", "geometry"].item())
    assert loaded_tilburg.equals(shapely.geometry.shape(tilburg["geometry"]))


def test_geojson_per_level_with_a_repaired_and_a_refused_geometry(tmp_path):
    folder = tmp_path / "boundaries"
    _write_geojson(folder / "gemeenten.geojson", [_feature("GM0855", "Tilburg", _rd(0, 0, 4000))])
    _write_geojson(folder / "wijken.geojson", [
        _feature("WK085500", "Centrum", _rd(0, 0, 2000)),
        _feature("wk085501 ", "Noord", shapely.affinity.translate(BOWTIE, 152_000, 400_000)),
    ])
    _write_geojson(folder / "buurten.geojson", [
        _feature("BU08550000", None, _rd(0, 0)),
        _feature("BU08550001", "Spoorzone", LineString([(150_000, 400_000), (151_000, 401_000)])),
    ])
    frame = load_boundaries(folder, 2018).frame.set_index("region_code")
    assert frame.loc["GM0855", "region_type"] == "gemeente" and frame.loc["WK085500", "region_type"] == "wijk"
    # codes are trimmed and upper-cased as in the key figures; the bowtie is repaired into two triangles
    assert frame.loc["WK085501", "repaired"] and pd.isna(frame.loc["WK085501", "problem"])
    repaired = shapely.from_wkb(frame.loc["WK085501", "geometry"])
    assert repaired.is_valid and repaired.area == pytest.approx(50.0)
    assert pd.isna(frame.loc["BU08550000", "region_name"])
    problem = frame.loc["BU08550001", "problem"]
    assert "BU08550001" in problem and "buurten.geojson" in problem and "LineString" in problem
    assert set(frame["source_file"]) == {"gemeenten.geojson", "wijken.geojson", "buurten.geojson"}


def test_an_older_wijk_en_buurtkaart_geopackage(tmp_path):
    """gemeente_2017_v3 / wijk_2017_v3 / buurt_2017_v3 with GM_CODE, GM_NAAM, WATER: the water
    feature is left out and counted, a code delivered in two parts is one area."""
    path = tmp_path / "boundaries" / "buurt_2017_v3.gpkg"
    path.parent.mkdir()
    _write_layer(path, "gemeente_2017_v3", {"GM_CODE": np.array(["GM0855", "GM0855"], dtype=object),
                                              "GM_NAAM": np.array(["Tilburg", "Tilburg"], dtype=object),
                                              "WATER": np.array(["NEE", "JA"], dtype=object)},
                 [_rd(0, 0, 4000), _rd(4000, 0, 500)])
    _write_layer(path, "wijk_2017_v3", {"WK_CODE": np.array(["WK085500"], dtype=object),
                                          "WK_NAAM": np.array(["Wijk 00 Centrum"], dtype=object),
                                          "WATER": np.array(["NEE"], dtype=object)}, [_rd(0, 0, 2000)])
    _write_layer(path, "buurt_2017_v3", {"BU_CODE": np.array(["BU08550000", "BU08550000", "BU08550001"], dtype=object),
                                           "BU_NAAM": np.array(["Binnenstad", "Binnenstad", "Koningsoord"], dtype=object),
                                           "WATER": np.array(["NEE", "NEE", "NEE"], dtype=object)},
                 [_rd(0, 0), _rd(1000, 0), _rd(0, 1000)])
    _write_layer(path, "legenda", {"kleur": np.array(["blauw"], dtype=object)}, [_rd(0, 0, 10)])
    loaded = load_boundaries(path.parent, 2017)
    frame = loaded.frame.set_index("region_code")
    assert sorted(frame.index) == ["BU08550000", "BU08550001", "GM0855", "WK085500"]
    assert loaded.water_features == 1 and loaded.merged_features == 1 and loaded.ignored_layers == ["legenda"]
    assert frame.loc["WK085500", "region_name"] == "Wijk 00 Centrum"
    assert frame.loc["GM0855", "source_layer"] == "gemeente_2017_v3" and set(frame["crs"]) == {"EPSG:28992"}
    assert shapely.from_wkb(frame.loc["BU08550000", "geometry"]).area == pytest.approx(2_000_000)
    assert shapely.from_wkb(frame.loc["GM0855", "geometry"]).area == pytest.approx(16_000_000)  # water left out


def test_a_newer_wijk_en_buurtkaart_geopackage(tmp_path):
    """Layers gemeenten / wijken / buurten with gemeentecode, wijkcode, buurtcode and buurtnaam."""
    path = tmp_path / "boundaries" / "wijkenbuurten_2022_v1.gpkg"
    path.parent.mkdir()
    _write_layer(path, "gemeenten", {"gemeentecode": np.array(["GM1984"], dtype=object),
                                     "gemeentenaam": np.array(["Land van Cuijk"], dtype=object),
                                     "water": np.array(["NEE"], dtype=object)}, [_rd(0, 0, 3000)])
    _write_layer(path, "buurten", {"buurtcode": np.array(["BU19840101"], dtype=object),
                                   "buurtnaam": np.array(["Cuijk-Centrum"], dtype=object),
                                   "gemeentecode": np.array(["GM1984"], dtype=object),
                                   "water": np.array(["NEE"], dtype=object)}, [_rd(0, 0)])
    frame = load_boundaries(path.parent, 2022).frame.set_index("region_code")
    assert frame.loc["GM1984", "region_name"] == "Land van Cuijk"
    assert frame.loc["BU19840101", ["region_type", "region_name"]].tolist() == ["buurt", "Cuijk-Centrum"]
    assert "wijk" not in set(frame["region_type"])  # a level not delivered is simply absent


def test_folders_that_cannot_be_read_are_refused_by_name(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BoundaryFileError, match="no boundaries.*fetch-cbs-map --year 2018"):
        load_boundaries(empty, 2018)
    both = tmp_path / "both"
    _write_geojson(both / "gemeenten.geojson", [_feature("GM0855", "Tilburg", _rd(0, 0))])
    (both / "kaart.gpkg").write_bytes(b"")
    with pytest.raises(BoundaryFileError, match="both GeoJSON files"):
        load_boundaries(both, 2018)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "buurten.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(BoundaryFileError, match="buurten.geojson: cannot be read"):
        load_boundaries(broken, 2018)
    no_code = tmp_path / "no_code"
    _write_geojson(no_code / "wijken.geojson", [{"type": "Feature", "properties": {"naam": "x"},
                                                 "geometry": shapely.geometry.mapping(_rd(0, 0))}])
    with pytest.raises(BoundaryFileError, match="wijken.geojson: no column with the wijk code"):
        load_boundaries(no_code, 2018)
    assert load_boundaries(None, 2018).frame.empty


def _validated(frame: pd.DataFrame):
    from data_quality.runner import validate_frame

    return validate_frame(frame[raw_area_boundaries.COLUMNS], raw_area_boundaries.SUITE_NAME, "test",
                          raw_area_boundaries.build_suite())


def test_the_raw_suite_refuses_another_crs_a_wrong_code_and_a_broken_geometry(tmp_path):
    good = tmp_path / "good"
    _write_geojson(good / "gemeenten.geojson", [_feature("GM0855", "Tilburg", _rd(0, 0))])
    _write_geojson(good / "wijken.geojson", [_feature("WK085500", "Centrum", _rd(0, 0))])
    assert _validated(load_boundaries(good, 2018).frame).success

    lonlat = tmp_path / "lonlat"  # no crs member: RFC 7946 longitude/latitude to GDAL
    _write_geojson(lonlat / "gemeenten.geojson", [_feature("GM0855", "Tilburg", box(5.0, 51.5, 5.1, 51.6))], crs=None)
    bad = pd.concat([
        load_boundaries(lonlat, 2018).frame,
        load_boundaries(good, 2018).frame.assign(region_code=lambda f: f["region_code"].where(f["region_type"] != "wijk", "WK0855")),
    ], ignore_index=True)
    broken = tmp_path / "broken"
    _write_geojson(broken / "buurten.geojson", [_feature("BU08550001", "Spoorzone", LineString([(0, 0), (1, 1)]))])
    bad = pd.concat([bad, load_boundaries(broken, 2018).frame], ignore_index=True)
    outcome = _validated(bad)
    assert not outcome.success
    failed = {f.meaning: f for f in outcome.failures}
    assert any("EPSG:28992" in m for m in failed), failed
    assert any("wijk is WK and 6 digits" in m for m in failed), failed
    assert any("valid polygon" in m for m in failed), failed
    assert "BU08550001" in outcome.failure_text()


def test_coverage_lists_the_areas_of_the_key_figures_without_a_geometry():
    boundaries = pd.DataFrame({"region_type": ["gemeente", "gemeente", "buurt"],
                               "region_code": ["GM0855", "GM0363", "BU08550000"]})
    regions = pd.DataFrame({"region_type": ["gemeente", "gemeente", "wijk", "buurt", "buurt"],
                            "region_code": ["GM0855", "GM0796", "WK085500", "BU08550000", "BU08550001"]})
    coverage = raw_area_boundaries.coverage(boundaries, regions)
    assert coverage["gemeente"] == {"delivered": True, "areas_in_key_figures": 2, "with_geometry": 1,
                                    "missing": ["GM0796"], "not_in_key_figures": 1}
    assert coverage["wijk"] == {"delivered": False, "areas_in_key_figures": 1}
    assert coverage["buurt"]["missing"] == ["BU08550001"]


# -- through the refresh: the demo edition's boundaries (monitor/demo/boundaries.py) ---------

def _delivered(landing, edition: int, level_file: str) -> dict[str, str]:
    collection = json.loads((landing / str(edition) / "boundaries" / level_file).read_text(encoding="utf-8"))
    return {f["properties"]["statcode"]: f["properties"]["statnaam"] for f in collection["features"]}


@pytest.mark.pipeline
def test_every_area_of_the_demo_edition_is_published_with_its_boundary(built_demo):
    from conftest import EDITION

    regions = built_demo.query(
        "select region_type as area_level, region_code as area_code from staging.stg_cbs__kwb_regions where edition = ?",
        [EDITION])
    published = built_demo.query(
        "select area_level, area_code, area_name, geometry from monitor.monitor_area_boundaries where edition = ?", [EDITION])
    assert sorted(map(tuple, published[["area_level", "area_code"]].to_numpy())) == sorted(map(tuple, regions.to_numpy()))
    geometries = shapely.from_wkb(published["geometry"].map(bytes).tolist())
    assert shapely.is_valid(geometries).all()
    assert published["area_name"].notna().all()


@pytest.mark.pipeline
def test_wijk_and_buurt_names_come_from_the_boundaries_when_the_key_figures_have_codes_only(built_demo):
    from conftest import EDITION

    estimates = built_demo.query(
        "select distinct area_level, area_code, area_name, gemeente_code, gemeente_name, name_source "
        "from monitor.monitor_small_area_estimates where edition = ?", [EDITION])
    assert set(estimates["name_source"]) == {"boundaries"}  # the demo kwb.csv names no wijk or buurt
    buurten = estimates[estimates["area_level"] == "buurt"]
    assert dict(zip(buurten["area_code"], buurten["area_name"])) == _delivered(built_demo.landing, EDITION, "buurten.geojson")
    gemeenten = built_demo.query(
        "select distinct area_code, area_name from monitor.monitor_area_estimates where edition = ? and area_level = 'gemeente'",
        [EDITION]).set_index("area_code")["area_name"]
    assert (estimates["gemeente_name"] == estimates["gemeente_code"].map(gemeenten)).all()
    flagged = built_demo.query("select area_code, area_name from monitor.monitor_below_gemeente where edition = ?", [EDITION])
    assert len(flagged) and flagged["area_name"].notna().all()
    summary = render_summary(built_demo.report, built_demo.duckdb_path)
    assert f"{EDITION}  0 wijk(en)/buurt(en) without a name in the key figures or the boundaries" in summary
    assert f"{EDITION}  {len(estimates) + 64} gemeenten, wijken and buurten with a boundary on the maps" in summary
