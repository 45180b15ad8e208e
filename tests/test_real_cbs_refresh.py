"""The whole refresh on real CBS deliveries, read in place from ../shared/data/cbs (skipped
with the reason when absent): the 2017 export as delivered (22 of the usual columns, the 14
broken rows of Nuenen) with a demo survey on its layout, and the 2019 Amsterdam export.

What real files do to the pipeline, and what it must do:
- the 2017 export lacks the sex and age-band columns the weighting needs: the raw stage
  refuses, naming them and saying how to supply them offline (kwb_supplement.csv);
- with the margins supplied, the edition is published: Nuenen (no usable rows, no
  respondents) with every figure suppressed and the CBS reason, named in the summary's
  warnings by file and lines; the small-area model goes without the covariates the file lacks
  and says which; weighting.gemeente_weights records where the margins came from;
- respondents in Nuenen block at the raw stage until its rows are supplied;
- an export of another region (Amsterdam) is refused at the raw stage.

The 2017 refreshes run in the suite's second lane (tests/lanes.py), each in a child process
of its own (conftest.refresh_in_child); the tests assert on their reports and warehouses."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import BuiltWarehouse, refresh, refresh_in_child
from test_boundaries import GEO_2017
from test_cbs_loader import KWB_2017, KWB_2019, real_files

from monitor.cbs.cut_supplement import supplement_rows, write_supplement
from monitor.cbs.kwb import load_kwb
from monitor.cbs.supplement import SUPPLEMENT_FILENAME
from monitor.demo import generate_demo_edition
from monitor.reference import brabant_gemeenten
from orchestration.refresh import render_summary
from tests.lanes import LANE

pytestmark = [pytest.mark.pipeline, real_files]
EDITION = 2017
SEED = 11
N_RESPONDENTS = 8_000
NUENEN = "GM0820"
# in the lane after the other builds (the small site, the kills, the seeds of
# test_flag_truth.py): this module runs among the last, and builds what the lane has not started
LATE = 3
WEIGHTING_COLUMNS_ABSENT = ["Mannen", "Vrouwen", "k_0Tot15Jaar", "k_15Tot25Jaar", "k_25Tot45Jaar", "k_45Tot65Jaar"]


def _skip_without_real_files() -> None:
    """A lane build starts before the skip mark is looked at: it stops here, with its reason."""
    if real_files.args[0]:
        pytest.skip(real_files.kwargs["reason"])


def _build_demo_2017_kwb(root):
    """A demo 2017 delivery with every column: the stand-in for the CBS table the 2017 subset
    was cut from, to supply what the subset lacks (no real sex and age bands are at hand)."""
    return generate_demo_edition(root / "landing", EDITION, seed=SEED, n_respondents=1_000).kwb_path


LANE.register("demo_2017_kwb", _build_demo_2017_kwb, priority=LATE)


@pytest.fixture(scope="module")
def demo_2017_kwb(tmp_path_factory):
    return LANE.result("demo_2017_kwb", tmp_path_factory.mktemp)


def _real_landing(root, keep_nuenen: bool):
    """The demo survey on the real 2017 layout, the real 2017 export and, as the edition's only
    boundaries, the real 2017 gemeente outlines (copied into the temporary landing zone, as a
    data engineer would place them): no wijk or buurt boundaries, so those have no map."""
    landing = root / "landing"
    generate_demo_edition(landing, EDITION, seed=SEED, n_respondents=N_RESPONDENTS, cbs_layout=KWB_2017,
                          keep_unusable_respondents=keep_nuenen)
    boundaries = landing / str(EDITION) / "boundaries"
    shutil.rmtree(boundaries, ignore_errors=True)
    boundaries.mkdir()
    shutil.copyfile(GEO_2017, boundaries / "gemeenten.geojson")
    return landing


def _margins(source):
    """The missing margin columns for the gemeenten the real export has (a data engineer
    supplies what the delivery lacks, not a gemeente row without inhabitants)."""
    real = load_kwb(KWB_2017, EDITION).frame
    gemeenten = real.loc[real["region_type"] == "Gemeente", "region_code"].tolist()
    return supplement_rows(source, EDITION, gemeenten=gemeenten, variables=WEIGHTING_COLUMNS_ABSENT,
                           region_types=("Gemeente",))


def _summary(built: BuiltWarehouse) -> str:
    return render_summary(built.report, built.duckdb_path)


def _build_real_2017(root) -> tuple[BuiltWarehouse, BuiltWarehouse]:
    """The real 2017 export refreshed as delivered (refused), then again with the margins
    supplied beside the delivery (published): one landing zone and warehouse."""
    _skip_without_real_files()
    landing, warehouse = _real_landing(root, keep_nuenen=False), root / "warehouse"
    refused = BuiltWarehouse(landing, warehouse, refresh_in_child(landing, warehouse), {}, None)
    write_supplement([_margins(LANE.result("demo_2017_kwb"))], landing / str(EDITION) / SUPPLEMENT_FILENAME, EDITION)
    return refused, BuiltWarehouse(landing, warehouse, refresh_in_child(landing, warehouse), {}, None)


LANE.register("real_2017", _build_real_2017, priority=LATE)


@pytest.fixture(scope="module")
def real_2017(tmp_path_factory):
    return LANE.result("real_2017", tmp_path_factory.mktemp)


@pytest.fixture(scope="module")
def refused_2017(real_2017):
    """Its report; its landing zone holds the supplement the published refresh added."""
    return real_2017[0]


@pytest.fixture(scope="module")
def published_2017(real_2017):
    """The same landing zone with the margins supplied beside the delivery."""
    return real_2017[1]


def test_the_2017_export_is_landed_as_delivered(refused_2017):
    assert (refused_2017.landing / str(EDITION) / "kwb.csv").read_bytes() == KWB_2017.read_bytes()


def test_without_margins_the_raw_stage_names_the_missing_columns(refused_2017):
    report = refused_2017.report
    assert not report.ok and EDITION not in report.published
    failed = {c.name.split(":")[-1]: c for c in report.failed_checks}
    assert "raw_kwb_key_figures_contract" in failed, [c.name for c in report.failed_checks]
    detail = failed["raw_kwb_key_figures_contract"].detail
    for column in WEIGHTING_COLUMNS_ABSENT:
        assert column in detail
    assert "kwb_supplement.csv" in failed["raw_kwb_key_figures_contract"].what_to_do
    summary = _summary(refused_2017)
    assert f"edition {EDITION} NOT published" in summary


def test_with_margins_supplied_the_real_export_is_published(published_2017):
    report = published_2017.report
    assert report.ok, report.error or [(c.name, c.detail) for c in report.failed_checks]
    assert report.published == [EDITION]
    n = published_2017.query("select count(distinct area_code) as n from monitor.monitor_area_estimates "
                             "where edition = ? and area_level = 'gemeente'", [EDITION])["n"].item()
    assert n == 64  # every gemeente of the 2017 layout, Nuenen included


def test_nuenen_is_published_suppressed_with_the_cbs_reason(published_2017):
    rows = published_2017.query(
        "select * from monitor.monitor_area_estimates where edition = ? and area_code = ?", [EDITION, NUENEN])
    assert len(rows) and rows["suppressed"].all()
    assert rows[["estimate", "ci_lower", "ci_upper", "unweighted_estimate"]].isna().all().all()
    assert set(rows["suppression_reason"]) == {"no usable CBS key figures in the delivered file"}
    typology = published_2017.query(
        "select * from monitor.monitor_typology where edition = ? and area_code = ?", [EDITION, NUENEN])
    assert len(typology) and typology["suppressed"].all() and typology["share"].isna().all()


def test_the_summary_warns_with_file_lines_and_codes(published_2017):
    summary = _summary(published_2017)
    assert "0 failed, 1 warning(s)" in summary
    assert "WARNING raw/kwb_key_figures:raw_kwb_unusable_rows" in summary
    assert "kwb.csv: 14 row(s) not usable (GM0820 Nuenen, Gerwen en Nederwetten), line(s) 10809-10822" in summary
    assert "GM0820 Nuenen, Gerwen en Nederwetten: no gemeente row in the CBS key figures and no respondents" in summary, summary
    assert "PersonenPerSoortUitkeringBijstand" in summary and "MateVanStedelijkheid" in summary


def test_margins_source_and_absent_covariates_are_recorded(published_2017):
    sources = published_2017.query(
        "select distinct margins_source from weighting.gemeente_weights where edition = ?", [EDITION])["margins_source"]
    assert sources.tolist() == [f"kwb.csv + {SUPPLEMENT_FILENAME}: " + ",".join(WEIGHTING_COLUMNS_ABSENT)]
    absent = published_2017.query(
        "select distinct covariates_absent from monitor.monitor_small_area_validation where edition = ?", [EDITION])
    absent = set(absent["covariates_absent"].item().split(","))
    assert {"cov_bijstand_per_1000", "cov_urbanity", "cov_pct_single_households", "cov_pct_owner_occupied"} <= absent
    assert "cov_mean_income_per_inhabitant" not in absent  # the export has incomes


def test_every_real_buurt_gets_a_small_area_estimate(published_2017):
    real = load_kwb(KWB_2017, EDITION).frame
    brabant = set(brabant_gemeenten(EDITION)["gemeente_code"])
    buurten = set(real.loc[(real["region_type"] == "Buurt") & real["gemeente_code"].isin(brabant), "region_code"])
    estimated = set(published_2017.query(
        "select distinct area_code from monitor.monitor_small_area_estimates where edition = ? and area_level = 'buurt'",
        [EDITION])["area_code"])
    assert len(buurten) == 1_895 - 10  # the real 2017 layout less the 10 broken buurten of Nuenen
    assert estimated == buurten


def test_the_real_gemeente_outlines_are_published_and_wijken_and_buurten_keep_their_codes(published_2017):
    """The 2017 export names no wijk or buurt (WijkenEnBuurten holds codes) and the outlines are
    of gemeenten only: every wijk and buurt is shown by its code, counted in the summary."""
    import shapely

    published = published_2017.query(
        "select area_level, area_code, area_name, geometry from monitor.monitor_area_boundaries where edition = ?", [EDITION])
    assert set(published["area_level"]) == {"gemeente"} and len(published) == 64  # Nuenen's outline too
    source = {f["properties"]["statcode"]: f for f in json.loads(GEO_2017.read_text(encoding="utf-8"))["features"]}
    for row in published.itertuples():
        assert shapely.from_wkb(bytes(row.geometry)).equals(shapely.geometry.shape(source[row.area_code]["geometry"]))
    names = published_2017.query(
        "select distinct area_code, area_name, name_source from monitor.monitor_small_area_estimates where edition = ?", [EDITION])
    assert set(names["name_source"]) == {"code"} and (names["area_name"] == names["area_code"]).all()
    summary = _summary(published_2017)
    assert f"{EDITION}  {len(names)} wijk(en)/buurt(en) without a name in the key figures or the boundaries" in summary
    assert f"{EDITION}  64 gemeenten, wijken and buurten with a boundary on the maps" in summary


def _build_nuenen(root):
    """A landing zone that keeps the respondents of Nuenen, refreshed with the margins of the
    gemeenten the export has, then again once Nuenen's rows are supplied too."""
    _skip_without_real_files()
    source = LANE.result("demo_2017_kwb")
    landing, warehouse = _real_landing(root, keep_nuenen=True), root / "warehouse"
    supplement = landing / str(EDITION) / SUPPLEMENT_FILENAME
    write_supplement([_margins(source)], supplement, EDITION)  # the margins of the gemeenten it has
    blocked = refresh_in_child(landing, warehouse)
    # the data engineer adds Nuenen's rows from another delivery
    nuenen_rows = supplement_rows(source, EDITION, gemeenten=[NUENEN])
    write_supplement([nuenen_rows, _margins(source)], supplement, EDITION)
    return blocked, BuiltWarehouse(landing, warehouse, refresh_in_child(landing, warehouse), {}, None)


LANE.register("nuenen_refreshes", _build_nuenen, priority=LATE)


@pytest.fixture(scope="module")
def nuenen_refreshes(tmp_path_factory):
    return LANE.result("nuenen_refreshes", tmp_path_factory.mktemp)


def test_respondents_in_nuenen_block_until_its_rows_are_supplied(nuenen_refreshes):
    report, built = nuenen_refreshes
    failed = {c.name.split(":")[-1]: c for c in report.failed_checks}
    assert "raw_survey_gemeenten_have_cbs_margins" in failed, [c.name for c in report.failed_checks]
    assert NUENEN in failed["raw_survey_gemeenten_have_cbs_margins"].detail
    assert "kwb_supplement.csv" in failed["raw_survey_gemeenten_have_cbs_margins"].what_to_do
    assert not report.published

    report = built.report  # once Nuenen's rows are supplied
    assert report.ok, report.error or [(c.name, c.detail) for c in report.failed_checks]
    nuenen = built.query("select margins_source, n_respondents from weighting.gemeente_weights "
                         "where edition = ? and gemeente_code = ?", [EDITION, NUENEN])
    assert nuenen["margins_source"].item() == SUPPLEMENT_FILENAME and nuenen["n_respondents"].item() > 0
    published = built.query("select suppressed from monitor.monitor_area_estimates where edition = ? "
                            "and area_code = ? and indicator = 'veerkracht_score'", [EDITION, NUENEN])
    assert not published["suppressed"].item()


def test_an_export_of_another_region_is_refused_at_the_raw_stage(tmp_path):
    landing = tmp_path / "landing"
    generate_demo_edition(landing, 2019, seed=SEED, n_respondents=1_000)
    shutil.copy(KWB_2019, landing / "2019" / "kwb.csv")
    report = refresh(landing, tmp_path / "warehouse")
    assert not report.published
    contract = next(c for c in report.failed_checks if c.name.endswith("raw_kwb_key_figures_contract"))
    assert "Noord-Brabant gemeenten of the 2019 layout" in contract.detail


def test_gemeente_intervals_cover_the_truth_on_the_real_layout(published_2017):
    """The demo population's truth, placed on the real 2017 buurten: the published gemeente
    intervals cover it about as often as they should (95 % nominal; measured 0.90-0.92 at
    10,000 respondents; below 0.8 would be 4 standard errors off for 63 gemeenten)."""
    truth = json.loads((published_2017.landing.parent / "demo_truth" / str(EDITION) / "truth.json").read_text())
    true_score = {g["code"]: g["veerkracht_score"] for g in truth["gemeenten"]}
    rows = published_2017.query(
        "select area_code, ci_lower, ci_upper from monitor.monitor_area_estimates where edition = ? "
        "and area_level = 'gemeente' and indicator = 'veerkracht_score' and not suppressed", [EDITION])
    covered = [lo <= true_score[code] <= hi for code, lo, hi in rows.itertuples(index=False)]
    assert len(covered) == 63 and sum(covered) / len(covered) >= 0.8


def _drawn_polygon(d: str):
    """The shape an SVG path of monitor.maps draws ('M x y l dx dy ... z' subpaths, or the small
    square 'M x y h v h Z' of an area below a pixel), read back as a shapely geometry in pixels."""
    import re

    import numpy as np
    import shapely

    numbers = re.compile(r"-?\d*\.?\d+")
    rings = []
    for start, steps in re.findall(r"M([^lhz]+)l([^z]+)z", d):
        first = np.array([float(v) for v in numbers.findall(start)])
        deltas = np.array([float(v) for v in numbers.findall(steps)]).reshape(-1, 2)
        rings.append(shapely.Polygon(np.vstack([first, first + np.cumsum(deltas, axis=0)])))
    return shapely.union_all([shapely.make_valid(r) for r in rings]) if rings else shapely.Polygon()


def test_the_province_map_is_drawn_from_the_real_gemeente_outlines(published_2017):
    """The index of the published 2017 edition maps the 64 real outlines of ../shared: each
    gemeente's share of the drawn map equals its share of the real area, and the pages of the
    gemeenten say that their buurt and wijk maps are missing and why (no such boundaries)."""
    import shapely
    from test_factsheets import parse

    features = json.loads(GEO_2017.read_text(encoding="utf-8"))["features"]
    real_area = {f["properties"]["statcode"]: shapely.geometry.shape(f["geometry"]).area for f in features}
    names = {f["properties"]["statcode"]: f["properties"]["statnaam"] for f in features}
    folder = published_2017.warehouse / "factsheets" / str(EDITION)
    index = parse(folder / "index.html")
    for indicator in ("veerkracht_score", "pct_veerkrachtig"):
        figure = index.by_id(f"kaart-provincie-{indicator}")
        assert figure is not None, indicator
        paths = {p.attrs["data-code"]: p for p in figure.find("svg").find_all("path") if "data-code" in p.attrs}
        assert set(paths) == set(real_area)
        drawn_area = {code: _drawn_polygon(p.attrs["d"]).area for code, p in paths.items()}
        for code in real_area:
            drawn_share = drawn_area[code] / sum(drawn_area.values())
            real_share = real_area[code] / sum(real_area.values())
            assert abs(drawn_share - real_share) <= 0.02 * real_share, (code, drawn_share, real_share)
            assert paths[code].find("title").clean().startswith(f"{names[code]}: ")
        assert "suppressed" in paths[NUENEN].classes()  # no usable key figures: hatched, not coloured
    page = parse(folder / "GM0855.html").by_id("kaarten")
    assert not page.find_all("svg")
    notes = " ".join(note.clean() for note in page.find_all("p", class_="no-map"))
    for level in ("buurten", "wijken"):
        assert f"hebben geen {level} van Tilburg" in notes, notes
    assert f"monitor fetch-cbs-map --year {EDITION}" in notes
