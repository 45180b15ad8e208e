"""A survey file that breaks the codebook contract fails the blocking raw GX check: the
check names the columns and counts, and nothing downstream (staging, marts) is built."""

import shutil

import duckdb
import pandas as pd
import pytest

from tests.conftest import EDITION, refresh

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def corrupted_run(demo_landing, tmp_path_factory):
    landing = tmp_path_factory.mktemp("corrupt") / "landing"
    shutil.copytree(demo_landing, landing)
    path = landing / str(EDITION) / "survey.csv"
    survey = pd.read_csv(path, dtype=str, keep_default_na=False)
    survey.loc[0:2, "sex"] = "7"  # 3 bad codes
    survey.loc[3:6, "coping_1"] = "6"  # 4 out-of-range answers
    survey.loc[7, "resp_id"] = survey.loc[8, "resp_id"]  # a duplicated id: 2 rows share it
    survey.loc[9:10, "gemeente_code"] = "GM9999"  # 2 gemeenten outside Noord-Brabant
    survey.loc[11, "age"] = "12"  # below the surveyed ages
    survey.to_csv(path, index=False)
    warehouse = tmp_path_factory.mktemp("corrupt_warehouse")
    return refresh(landing, warehouse), warehouse


def _failure(report, column):
    check = next(c for c in report.checks if c.name.endswith("raw_survey_responses_contract"))
    assert not check.passed
    lines = [line for line in check.detail.splitlines() if f"column {column}:" in line]
    assert lines, f"no failure line for {column} in:\n{check.detail}"
    return " ".join(lines)


def test_run_fails_on_the_raw_check(corrupted_run):
    report, _ = corrupted_run
    assert not report.ok
    assert any(c.name.endswith("raw_survey_responses_contract") and not c.passed for c in report.checks)


@pytest.mark.parametrize(
    "column, count",
    [("sex", 3), ("coping_1", 4), ("resp_id", 2), ("gemeente_code", 2), ("age", 1)],
)
def test_failure_names_column_and_count(corrupted_run, column, count):
    report, _ = corrupted_run
    assert f"{count} row(s) violate it" in _failure(report, column)


def test_failure_names_the_lines_of_the_file(corrupted_run):
    report, _ = corrupted_run
    assert "line(s) 2, 3, 4" in _failure(report, "sex")  # rows 0-2 of the file, after the header
    assert "line(s) 5, 6, 7, 8" in _failure(report, "coping_1")


def test_failure_never_shows_respondent_ids(corrupted_run, demo_landing):
    report, _ = corrupted_run
    ids = pd.read_csv(demo_landing / str(EDITION) / "survey.csv", dtype=str)["resp_id"]
    detail = "\n".join(c.detail for c in report.checks)
    assert not any(resp_id in detail for resp_id in ids.head(20))


def test_no_staging_or_mart_is_built(corrupted_run):
    _, warehouse = corrupted_run
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as conn:
        schemas = {row[0] for row in conn.execute("select distinct table_schema from information_schema.tables").fetchall()}
    assert "raw" in schemas
    assert not schemas & {"staging", "intermediate", "monitor"}
