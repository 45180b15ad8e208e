"""`monitor` as data engineers call it: a subprocess with the environment variables of the
interfaces spec, on a landing zone that is not the demo one."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import EDITION

MONITOR = str(Path(sys.executable).with_name("monitor"))


def _run(args, landing: Path, warehouse: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MONITOR_LANDING": str(landing), "MONITOR_WAREHOUSE": str(warehouse)}
    env.pop("DAGSTER_HOME", None)
    env.pop("MONITOR_DUCKDB_PATH", None)
    return subprocess.run([MONITOR, *args], env=env, capture_output=True, text=True, timeout=600)


def test_refresh_without_landing_zone_says_what_to_do(tmp_path):
    result = _run(["refresh"], tmp_path / "nowhere", tmp_path / "warehouse")
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "MONITOR_LANDING" in result.stderr


def test_refresh_of_an_edition_not_in_the_landing_zone_is_refused(demo_landing, tmp_path):
    result = _run(["refresh", "--edition", "2020"], demo_landing, tmp_path / "warehouse")
    assert result.returncode == 2
    assert "2020" in result.stderr and "found [2018]" in result.stderr


@pytest.mark.pipeline
def test_refresh_exits_non_zero_and_names_the_failing_column(demo_landing, tmp_path):
    landing = tmp_path / "agency_delivery"
    shutil.copytree(demo_landing, landing)
    survey_path = landing / str(EDITION) / "survey.csv"
    survey = pd.read_csv(survey_path, dtype=str, keep_default_na=False)
    survey.loc[0:4, "trust"] = "7"
    survey.to_csv(survey_path, index=False)
    before = survey_path.read_bytes()

    result = _run(["refresh", "--edition", str(EDITION)], landing, tmp_path / "warehouse")

    assert result.returncode == 1, result.stdout[-3000:]
    assert "monitor refresh: FAILED" in result.stdout
    assert "column trust:" in result.stdout and "5 row(s) violate it" in result.stdout
    assert "not built" in result.stdout  # the summary shows that no mart was built
    assert (tmp_path / "warehouse" / "dagster_home" / "dagster.yaml").exists()
    assert survey_path.read_bytes() == before  # landing files are never modified


def test_fetch_cbs_offline_says_what_to_do(tmp_path):
    # a closed port on this machine stands for "no network": nothing outside 127.0.0.1 is contacted
    result = _run(["fetch-cbs", "--year", "2019", "--base-url", "http://127.0.0.1:9"], tmp_path / "landing", tmp_path / "wh")
    assert result.returncode == 2
    assert "84583NED" in result.stderr and "2019" in result.stderr
    assert "kwb.csv" in result.stderr  # the way out: place an export in the landing zone
    assert not (tmp_path / "landing" / "2019" / "kwb").exists()  # nothing half-written


@pytest.mark.parametrize(
    "args, said",
    [
        (["demo-data", "--edition", "2022"], "the demo generator has the gemeente layouts of editions 2016, 2017, 2018, 2019, 2020, not of 2022"),
        (["assess", "nowhere.yaml"], "nowhere.yaml: no such file"),
        (["demo-data", "--edition", "2018", "--n-respondents", "50"], "n_respondents must be at least 100, got 50"),
        (["demo-data", "--edition", "2018", "--cbs-layout", "nowhere.csv"], "nowhere.csv"),
    ],
)
def test_a_cli_error_is_one_message_and_exit_2(tmp_path, args, said):
    """Refused arguments: one message that says what to do, no traceback, exit 2."""
    result = _run(args, tmp_path / "landing", tmp_path / "warehouse")
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stderr and "Traceback" not in result.stderr + result.stdout
