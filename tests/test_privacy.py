"""Respondent-level data never leaves the raw and staging layers (methodology section 6): no
respondent id in any published or candidate table, in any file the run writes for people
(tabellenboek, factsheets, GX Data Docs, dbt docs), nor anywhere in the Dagster event log of a
real run (log messages, check results, materialization metadata shown in the UI). The CLI's
own output is scanned in tests/test_bad_inputs.py (a duplicated id is counted, never shown)."""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import EDITION

pytestmark = pytest.mark.pipeline
ID_PATTERN = re.compile(r"R\d{7}")  # the demo's respondent ids


@pytest.fixture(scope="module")
def respondent_ids(built_demo) -> set[str]:
    ids = pd.read_csv(built_demo.landing / str(EDITION) / "survey.csv", dtype=str)["resp_id"]
    assert ids.str.fullmatch(ID_PATTERN).all()
    return set(ids)


@pytest.mark.parametrize("schema", ["monitor", "audit"])
def test_no_respondent_id_in_any_published_or_candidate_table(built_demo, respondent_ids, schema):
    tables = built_demo.query(
        "select table_name from information_schema.tables where table_schema = ?", [schema]
    )["table_name"]
    assert len(tables) >= 6
    for table in tables:
        text = built_demo.query(f"select * from {schema}.{table}").astype(str).to_csv(index=False)
        assert not set(ID_PATTERN.findall(text)) & respondent_ids, f"{schema}.{table}"


def test_no_respondent_id_in_logs_checks_or_metadata(built_demo, respondent_ids):
    scanned = 0
    for run_id in built_demo.report.run_ids:
        for entry in built_demo.instance.all_logs(run_id):
            text = f"{entry.user_message} {entry.dagster_event!r}"
            assert not set(ID_PATTERN.findall(text)) & respondent_ids, text[:500]
            scanned += 1
    assert scanned > 100  # the whole event log of the run was read


# what the run writes for people, beside the DuckDB file and the Dagster instance
OUTPUT_FOLDERS = ("exports", "factsheets", "data_quality", "dbt_docs")


def test_no_respondent_id_in_any_file_written_for_people(built_demo, respondent_ids):
    env = {**os.environ, "MONITOR_LANDING": str(built_demo.landing), "MONITOR_WAREHOUSE": str(built_demo.warehouse)}
    env.pop("MONITOR_DUCKDB_PATH", None)
    docs = subprocess.run([str(Path(sys.executable).with_name("monitor")), "docs"], env=env, capture_output=True, timeout=300)
    assert docs.returncode == 0, docs.stderr[-2000:]
    files = [f for folder in OUTPUT_FOLDERS for f in (built_demo.warehouse / folder).rglob("*") if f.is_file()]
    kinds = {f.suffix for f in files}
    assert {".xlsx", ".parquet", ".csv", ".html"} <= kinds and len(files) > 60, kinds
    for path in files:
        if path.suffix == ".xlsx":  # a zip: read its sheets' XML
            with zipfile.ZipFile(path) as workbook:
                text = "".join(workbook.read(name).decode("utf-8") for name in workbook.namelist())
        elif path.suffix == ".parquet":  # compressed: read its values
            text = pd.read_parquet(path).astype(str).to_csv(index=False)
        else:
            text = path.read_bytes().decode("latin-1")
        assert not set(ID_PATTERN.findall(text)) & respondent_ids, path
