"""Editions over time (methodology section 7): three demo editions on their own municipal
layouts (2016 with Schijndel, Sint-Oedenrode and Veghel; 2018; 2020 with Altena) refreshed as
partitions; refreshing one edition leaves the others' rows untouched; the sensor registers new
edition folders; the trend recovers the planted change on harmonised boundaries.

The three editions are generated and refreshed in the suite's second lane (tests/lanes.py),
the refresh in a child process of its own (conftest.refresh_in_child); so is the second refresh
of 2018, on a copy of that warehouse (the other tests read the first one meanwhile)."""

import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import DagsterInstance, build_schedule_context, build_sensor_context, instance_for_test

from monitor.demo import generate_demo_edition
from orchestration.automation import new_edition_sensor, yearly_refresh_schedule
from orchestration.partitions import EDITION_PARTITIONS_NAME
from orchestration.refresh import register_editions
from orchestration.resources import LandingZone
from tests.conftest import refresh_in_child
from tests.lanes import LANE

pytestmark = pytest.mark.pipeline
EDITIONS = (2016, 2018, 2020)
SEED = 5


def _build_editions(root):
    landing, warehouse = root / "landing", root / "warehouse"
    for edition in EDITIONS:
        generate_demo_edition(landing, edition, seed=SEED, n_respondents=5000)
    report = refresh_in_child(landing, warehouse)
    assert report.ok, report.error or [c.detail for c in report.failed_checks]
    truth = {e: json.loads((root / "demo_truth" / str(e) / "truth.json").read_text()) for e in EDITIONS}
    return landing, warehouse / "warehouse.duckdb", truth


LANE.register("editions_built", _build_editions)


@dataclass
class RefreshedAgain:
    """Edition 2018 refreshed again on a copy of the three editions' warehouse: the rows of
    every edition table and the publication log before and after."""

    others_before: dict[str, int]
    own_before: dict[str, int]
    publications_before: int
    report: object
    others_after: dict[str, int]
    own_after: dict[str, int]
    publications_after: int


AGAIN = 2018
PUBLICATIONS_SQL = f"select count(*) as n from monitor.monitor_publication_log where edition = {AGAIN}"


def _refresh_2018_again(root: Path) -> RefreshedAgain:
    landing, database, _ = LANE.result("editions_built")
    warehouse = root / "warehouse"
    shutil.copytree(database.parent, warehouse, symlinks=True)
    copy = warehouse / database.name

    def publications() -> int:
        return int(_query(copy, PUBLICATIONS_SQL)["n"][0])

    others_before, own_before, publications_before = _row_hashes(copy, AGAIN), _row_hashes(copy, AGAIN, False), publications()
    report = refresh_in_child(landing, warehouse, editions=[AGAIN])
    return RefreshedAgain(others_before, own_before, publications_before, report,
                          _row_hashes(copy, AGAIN), _row_hashes(copy, AGAIN, False), publications())


# after the builds of priority 0-2 (the small site, the kills, the seeds of test_flag_truth.py)
LANE.register("edition_refreshed_again", _refresh_2018_again, priority=3)


@pytest.fixture(scope="module")
def edition_refreshed_again(tmp_path_factory) -> RefreshedAgain:
    return LANE.result("edition_refreshed_again", tmp_path_factory.mktemp)


@pytest.fixture(scope="module")
def editions_built(tmp_path_factory):
    return LANE.result("editions_built", tmp_path_factory.mktemp)


@pytest.fixture(scope="module")
def landing(editions_built):
    return editions_built[0]


@pytest.fixture(scope="module")
def built(editions_built):
    _, database, truth = editions_built
    return database, truth


def _query(database, sql, params=None) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(sql, params or []).df()


# a log gains a row with every publication: not data that a rerun should reproduce
LOGS = {"monitor.monitor_publication_log"}


def _edition_tables(database) -> dict[str, str]:
    """Every data table with an edition column (logs excluded), and that column's name."""
    columns = _query(
        database,
        "select table_schema || '.' || table_name as qualified, column_name from information_schema.columns "
        "where column_name in ('edition', '_landing_edition') and table_schema <> 'information_schema'",
    )
    tables = _query(database, "select table_schema || '.' || table_name as qualified from information_schema.tables where table_type = 'BASE TABLE'")
    return {
        r.qualified: r.column_name
        for r in columns.itertuples()
        if r.qualified in set(tables["qualified"]) and r.qualified not in LOGS
    }


def _row_hashes(database, edition: int, other_editions: bool = True) -> dict[str, int]:
    """A hash of the rows of every edition table: of the other editions, or of `edition` itself."""
    hashes = {}
    for table, column in _edition_tables(database).items():
        rows = _query(database, f"select * from {table} where ({column} = ?) <> ? order by all", [edition, other_editions])
        rows = rows.map(lambda v: bytes(v) if isinstance(v, bytearray) else v)  # BLOBs (geometry) come as bytearray
        hashes[table] = int(pd.util.hash_pandas_object(rows, index=False).sum()) if len(rows) else 0
    return hashes


def test_each_edition_is_built_on_its_own_layout(built):
    database, _ = built
    gemeenten = _query(database, "select edition, area_code from monitor.monitor_area_estimates where area_level = 'gemeente'")
    per_edition = gemeenten.groupby("edition")["area_code"].apply(set)
    assert {"GM0844", "GM0846", "GM0860"} <= per_edition[2016] and "GM1948" not in per_edition[2016]
    assert "GM1948" in per_edition[2018] and "GM1959" not in per_edition[2018]
    assert "GM1959" in per_edition[2020] and not {"GM0738", "GM0870", "GM0874"} & per_edition[2020]


def test_refreshing_one_edition_leaves_the_other_editions_rows_untouched(built, edition_refreshed_again):
    database, _ = built
    again = edition_refreshed_again  # on a copy of `database`
    assert again.others_before == _row_hashes(database, AGAIN)  # the copy is the warehouse
    assert sum(1 for h in again.others_before.values() if h) >= 15  # tables with rows of the other editions
    assert again.publications_after == again.publications_before + 1  # the rerun is logged
    report = again.report
    assert report.ok and report.published == [AGAIN]
    assert again.others_after == again.others_before  # bit for bit
    # a rerun is idempotent, bit for bit (order-independent aggregates: macros/exact_aggregates.sql)
    assert again.own_after == again.own_before


def test_trend_recovers_the_planted_change_in_the_province_and_the_region(built):
    database, truth = built
    trend = _query(
        database,
        "select * from monitor.monitor_trend where indicator = 'veerkracht_score' and area_level in ('provincie', 'regio')",
    ).set_index(["area_code", "edition_from"])
    for edition_from, edition_to in [(2016, 2018), (2018, 2020)]:
        planted = truth[edition_to]["province"]["veerkracht_score"] - truth[edition_from]["province"]["veerkracht_score"]
        row = trend.loc[("PV30", edition_from)]
        assert row["ci_lower"] <= planted <= row["ci_upper"], (edition_from, planted, row["difference"])
    assert trend.loc[("PV30", 2018), "significant"]  # the planted decline of ~0.3 point is found
    assert trend.loc[("PV30", 2018), "difference"] < -0.15


def test_altena_is_compared_with_its_three_predecessors(built):
    database, truth = built
    row = _query(
        database,
        "select * from monitor.monitor_trend where area_code = 'GM1959' and indicator = 'veerkracht_score'",
    ).iloc[0]
    assert (row["edition_from"], row["edition_to"]) == (2018, 2020)
    assert row["comparability"].startswith("harmonised")
    before = pd.DataFrame(truth[2018]["gemeenten"]).set_index("code").loc[["GM0738", "GM0870", "GM0874"]]
    truth_before = (before["veerkracht_score"] * before["adults"]).sum() / before["adults"].sum()
    after = pd.DataFrame(truth[2020]["gemeenten"]).set_index("code").loc["GM1959", "veerkracht_score"]
    assert row["ci_lower"] <= after - truth_before <= row["ci_upper"]
    assert row["n_from"] >= 100  # the respondents of Aalburg, Werkendam and Woudrichem together


def test_small_area_trends_only_where_codes_are_stable(built):
    database, _ = built
    trend = _query(database, "select * from monitor.monitor_trend where area_level in ('wijk', 'buurt')")
    assert len(trend) > 0
    assert (trend["comparability"] == "stable CBS code, model-based (small-area estimates)").all()
    changed = {  # gemeente digits whose wijken and buurten were renumbered between the editions
        (2016, 2018): ["0844", "0846", "0860", "1948"],
        (2018, 2020): ["0738", "0870", "0874", "1959"],
    }
    for (edition_from, edition_to), digits in changed.items():
        pair = trend[(trend["edition_from"] == edition_from) & (trend["edition_to"] == edition_to)]
        assert len(pair) > 1000
        assert not pair["area_code"].str[2:6].isin(digits).any()
    meierijstad = trend[(trend["edition_from"] == 2018) & trend["area_code"].str.startswith("BU1948")]
    assert len(meierijstad) > 0  # its codes are stable from 2018 on


def test_wijk_and_buurt_trends_carry_the_names_of_the_later_edition(built, landing):
    """Names come from each edition's boundaries (the demo kwb.csv has codes only); a
    persistent buurt has the same name in every edition."""
    database, _ = built
    trend = _query(database, "select * from monitor.monitor_trend where area_level in ('wijk', 'buurt')")
    for edition_to, rows in trend.groupby("edition_to"):
        collection = json.loads((landing / str(edition_to) / "boundaries" / "buurten.geojson").read_text(encoding="utf-8"))
        names = {f["properties"]["statcode"]: f["properties"]["statnaam"] for f in collection["features"]}
        buurten = rows[rows["area_level"] == "buurt"]
        assert (buurten["area_name"] == buurten["area_code"].map(names)).all()
    assert trend["gemeente_name"].notna().all()
    gemeenten = _query(database, "select distinct area_code, area_name from monitor.monitor_trend where area_level = 'gemeente'")
    assert trend["gemeente_name"].isin(set(gemeenten["area_name"])).all()


def test_sensor_registers_new_complete_edition_folders(landing, tmp_path):
    instance = DagsterInstance.ephemeral()
    register_editions(instance, [2016])
    (landing.parent / "incomplete_copy").mkdir(exist_ok=True)
    context = build_sensor_context(instance=instance, resources={"landing": LandingZone(path=str(landing))})
    result = new_edition_sensor(context)
    assert [r.partition_key for r in result.run_requests] == ["2018", "2020"]
    assert result.dynamic_partitions_requests[0].partition_keys == ["2018", "2020"]

    partial = tmp_path / "landing"
    (partial / "2022").mkdir(parents=True)  # a delivery still being copied: no files yet
    context = build_sensor_context(instance=instance, resources={"landing": LandingZone(path=str(partial))})
    skipped = new_edition_sensor(context)
    assert "not ready" in skipped.skip_message and "2022" in skipped.skip_message


def test_yearly_schedule_refreshes_every_known_edition():
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(EDITION_PARTITIONS_NAME, ["2016", "2018"])
        requests = yearly_refresh_schedule(
            build_schedule_context(instance=instance, scheduled_execution_time=datetime(2027, 3, 1, 6))
        )
    assert sorted(r.partition_key for r in requests) == ["2016", "2018"]
