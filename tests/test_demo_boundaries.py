"""The demo boundaries (monitor/demo/boundaries.py): one valid shape per area of the edition's
kwb.csv, buurten tiling their wijk and wijken their gemeente, in PDOK's GeoJSON shape in
EPSG:28992, with names, the same shapes and names for an area in every edition of a seed.

Fast: one small demo edition end to end (2020, the edition whose kwb.csv has Nuenen's broken
rows); the other editions from the functions the generator calls."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from monitor.cbs.kwb import load_kwb
from monitor.demo import boundaries, generate_demo_edition
from monitor.demo.cbs_layout import read_real_layout
from monitor.demo.layout import build_layout
from monitor.geo import CODE_PROPERTY, CRS_MEMBER, EPSG, GEOJSON_FILES, NAME_PROPERTY
from tests.conftest import SHARED_CBS

SEED = 2018
TINY = {"n_respondents": 200, "population_fraction": 0.01}
REAL_2017 = SHARED_CBS / "kwb_2017_83765NED_nl_subset.csv"
REAL_COUNTS_2017 = SHARED_CBS / "brabant_wijk_buurt_counts_2017.csv"
TOLERANCE = 1e-4  # 0.01 % of the area
LEVELS = ("gemeente", "wijk", "buurt")


def _read(folder) -> dict[str, dict]:
    """Per level: the parsed FeatureCollection and its features by statcode (duplicates counted)."""
    out = {}
    for level in LEVELS:
        collection = json.loads((folder / GEOJSON_FILES[level]).read_text(encoding="utf-8"))
        codes = [f["properties"][CODE_PROPERTY] for f in collection["features"]]
        duplicates = [c for c, n in Counter(codes).items() if n > 1]
        assert not duplicates, f"{level}: more than one feature for {duplicates[:5]}"
        out[level] = {"collection": collection, "features": {c: f for c, f in zip(codes, collection["features"])}}
    return out


def _shapes(read: dict, level: str) -> dict[str, shapely.Geometry]:
    return {code: shapely.geometry.shape(f["geometry"]) for code, f in read[level]["features"].items()}


def _layout_codes(edition: int) -> dict[str, set[str]]:
    layout = build_layout(edition, SEED)
    return {"gemeente": set(layout.gemeenten.gemeente_code), "wijk": set(layout.wijken.wijk_code),
            "buurt": set(layout.buurten.buurt_code)}


def _kwb_codes(path, edition) -> dict[str, set[str]]:
    """The codes of every row of a kwb.csv, rejected rows (Nuenen 2020) by their row key."""
    load = load_kwb(path, edition)
    codes = set(load.frame["region_code"]) | {k.strip() for k in load.rejected["WijkenEnBuurten"]}
    return {level: {c for c in codes if c.startswith(prefix)} for level, prefix in zip(LEVELS, ("GM", "WK", "BU"))}


def _parent(code: str) -> str:
    return f"WK{code[2:8]}" if code.startswith("BU") else f"GM{code[2:6]}"


def assert_one_valid_shape_per_code(read: dict, codes: dict[str, set[str]]) -> None:
    for level in LEVELS:
        shapes = _shapes(read, level)
        assert set(shapes) == codes[level], (
            f"{level}: missing {sorted(codes[level] - set(shapes))[:5]}, extra {sorted(set(shapes) - codes[level])[:5]}")
        bad = [c for c, s in shapes.items() if s.is_empty or not s.is_valid or s.geom_type not in ("Polygon", "MultiPolygon")]
        assert not bad, f"{level}: empty or invalid shapes {bad[:5]}"


def assert_children_tile_parents(read: dict) -> None:
    for level in LEVELS:  # neighbours share their edges exactly, so a map can simplify them together
        assert shapely.coverage_is_valid(np.array(list(_shapes(read, level).values()))), level
    for child_level, parent_level in (("buurt", "wijk"), ("wijk", "gemeente")):
        parents = _shapes(read, parent_level)
        children: dict[str, list] = {}
        for code, shape in _shapes(read, child_level).items():
            children.setdefault(_parent(code), []).append(shape)
        assert set(children) == set(parents), f"every {parent_level} has {child_level}s and every {child_level} a parent"
        for code, parts in children.items():
            union = shapely.union_all(parts)
            summed = sum(p.area for p in parts)
            assert abs(union.area - summed) <= TOLERANCE * summed, f"{code}: its {child_level}s overlap"
            outside = parents[code].symmetric_difference(union).area
            assert outside <= TOLERANCE * parents[code].area, f"{code}: its {child_level}s do not cover it exactly"


def assert_pdok_shape(read: dict, folder, edition: int) -> None:
    for level in LEVELS:
        collection = read[level]["collection"]
        assert collection["type"] == "FeatureCollection" and collection["crs"] == CRS_MEMBER
        assert pyogrio.read_info(folder / GEOJSON_FILES[level])["crs"] == f"EPSG:{EPSG}"
        for code, feature in read[level]["features"].items():
            props = feature["properties"]
            assert props["jrstatcode"] == f"{edition}{code}" and props["rubriek"] == level and feature["id"] == code
            coordinates = shapely.get_coordinates(shapely.geometry.shape(feature["geometry"]))
            assert (coordinates == np.round(coordinates)).all(), f"{code}: whole metres, as PDOK's files"
        xmin, ymin, xmax, ymax = pyogrio.read_info(folder / GEOJSON_FILES[level])["total_bounds"]
        assert 60_000 <= xmin < xmax <= 210_000 and 355_000 <= ymin < ymax <= 430_000, "where Noord-Brabant lies"


def assert_names(read: dict, gemeente_names: dict[str, str]) -> None:
    gemeenten = read["gemeente"]["features"]
    assert {c: f["properties"][NAME_PROPERTY] for c, f in gemeenten.items()} == gemeente_names
    for level in ("wijk", "buurt"):
        names: dict[str, list[str]] = {}
        for code, feature in read[level]["features"].items():
            name = feature["properties"][NAME_PROPERTY]
            assert isinstance(name, str) and name.strip() and not name.startswith(("WK", "BU")), f"{code}: {name!r}"
            names.setdefault(f"GM{code[2:6]}", []).append(name)
        twice = {g: [n for n, k in Counter(v).items() if k > 1] for g, v in names.items()}
        assert not any(twice.values()), f"{level} names twice within a gemeente: {dict(t for t in twice.items() if t[1])}"


def _write(edition: int, edition_dir, seed: int = SEED):
    """The edition's boundaries written into `<edition_dir>/boundaries`; returns that folder."""
    layout = build_layout(edition, seed)
    return boundaries.write_boundaries(boundaries.edition_boundaries(layout, seed), edition_dir)["gemeente"].parent


@pytest.fixture(scope="module")
def demo_2020(tmp_path_factory):
    """A whole (tiny) demo edition: the boundaries as the generator writes them."""
    return generate_demo_edition(tmp_path_factory.mktemp("demo") / "landing", 2020, seed=SEED, **TINY)


@pytest.fixture(scope="module")
def written(tmp_path_factory, demo_2020):
    """The boundaries of the editions 2016 (Meierijstad's predecessors), 2018 and 2019 (Altena)
    from the generator's functions, and 2020 from the demo edition."""
    root = tmp_path_factory.mktemp("boundaries")
    out = {edition: _read(_write(edition, root / str(edition))) for edition in (2016, 2018, 2019)}
    return out | {2020: _read(demo_2020.boundaries_dir)}


def test_the_generator_writes_boundaries_on_every_code_of_its_kwb_csv(demo_2020):
    folder = demo_2020.kwb_path.parent / "boundaries"
    assert demo_2020.boundaries_dir == folder
    read = _read(folder)
    codes = _kwb_codes(demo_2020.kwb_path, 2020)
    assert "GM0820" in codes["gemeente"], "Nuenen's broken rows count: their codes are in the file"
    assert_one_valid_shape_per_code(read, codes)
    assert_pdok_shape(read, folder, 2020)
    assert demo_2020.summary["boundaries"] == {level: len(codes[level]) for level in LEVELS}


@pytest.mark.parametrize("edition", [2016, 2018, 2019, 2020])
def test_every_area_has_one_shape_and_children_tile_their_parent(written, edition):
    read = written[edition]
    assert_one_valid_shape_per_code(read, _layout_codes(edition))
    assert_children_tile_parents(read)
    layout = build_layout(edition, SEED)
    assert_names(read, dict(zip(layout.gemeenten.gemeente_code, layout.gemeenten.gemeente_name)))


def test_the_pdok_shape_of_the_files(tmp_path):
    folder = _write(2016, tmp_path)
    assert_pdok_shape(_read(folder), folder, 2016)


def test_a_persistent_area_keeps_its_shape_and_name(written):
    for level in ("wijk", "buurt"):
        before, after = written[2018][level]["features"], written[2020][level]["features"]
        common = set(before) & set(after)
        assert len(common) > 0.9 * len(before)
        for code in common:
            assert before[code]["geometry"] == after[code]["geometry"], code
            assert before[code]["properties"][NAME_PROPERTY] == after[code]["properties"][NAME_PROPERTY], code


@pytest.mark.parametrize("merged, predecessors, edition, before", [
    ("GM1959", ("GM0738", "GM0870", "GM0874"), 2019, 2018),  # Altena
    ("GM1948", ("GM0844", "GM0846", "GM0860"), 2018, 2016),  # Meierijstad
])
def test_a_merged_gemeente_is_the_union_of_its_predecessors(written, merged, predecessors, edition, before):
    shape = _shapes(written[edition], "gemeente")[merged]
    old = _shapes(written[before], "gemeente")
    union = shapely.union_all([old[p] for p in predecessors])
    assert shape.symmetric_difference(union).area <= TOLERANCE * shape.area
    assert shape.geom_type == "Polygon", "the predecessors are placed side by side: one piece"
    assert all(old[p].geom_type == "Polygon" for p in predecessors)


def test_the_same_seed_gives_the_same_bytes_another_seed_other_shapes(tmp_path):
    first = _write(2018, tmp_path / "a")
    boundaries.base_geometry.cache_clear()  # built again from the seed, not taken from the cache
    again = _write(2018, tmp_path / "b")
    for name in GEOJSON_FILES.values():
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    other = _write(2018, tmp_path / "c", seed=7)
    assert (other / GEOJSON_FILES["buurt"]).read_bytes() != (first / GEOJSON_FILES["buurt"]).read_bytes()


def test_existing_boundaries_are_not_overwritten(tmp_path):
    landing = tmp_path / "landing"
    _write(2018, landing / "2018")
    with pytest.raises(FileExistsError, match="gemeenten.geojson"):
        generate_demo_edition(landing, 2018, seed=SEED, **TINY)
    assert not (landing / "2018" / "kwb.csv").exists(), "refused before anything is written"


def test_boundaries_on_the_codes_of_a_real_cbs_export(tmp_path):
    if not REAL_2017.exists():
        pytest.skip(f"real CBS export {REAL_2017} is absent")
    layout = build_layout(2017, SEED)
    real = read_real_layout(REAL_2017, 2017, layout)
    read = _read(boundaries.write_boundaries(
        boundaries.real_layout_boundaries(layout, SEED, list(real.codes)), tmp_path)["gemeente"].parent)
    # the codes of the file, counted independently: 1 gemeente row, n_wijken and n_buurten per gemeente
    counts = pd.read_csv(REAL_COUNTS_2017, dtype={"gm_code": str}).set_index("gm_code")
    codes = {level: {c for c in real.codes if c.startswith(prefix)} for level, prefix in zip(LEVELS, ("GM", "WK", "BU"))}
    assert codes["gemeente"] == set(counts.index) and "GM0820" in codes["gemeente"], "Nuenen's broken rows count"
    for level, column in (("wijk", "n_wijken"), ("buurt", "n_buurten")):
        per_gemeente = pd.Series([f"GM{c[2:6]}" for c in codes[level]]).value_counts()
        assert per_gemeente.reindex(counts.index).eq(counts[column]).all(), level
    assert_one_valid_shape_per_code(read, codes)
    assert_children_tile_parents(read)
    demo_read = _read(_write(2017, tmp_path / "demo"))
    assert_names(read, {c: f["properties"][NAME_PROPERTY] for c, f in demo_read["gemeente"]["features"].items()})
    demo = _shapes(demo_read, "gemeente")
    real_shapes = _shapes(read, "gemeente")
    assert all(demo[c].symmetric_difference(real_shapes[c]).area <= TOLERANCE * demo[c].area for c in real_shapes), \
        "a gemeente has the seed's shape on the real codes too"
