"""Respondent-level data never leaves the raw and staging layers (methodology section 6): no
respondent id in any published or candidate table, in any file the run writes for people
(tabellenboek, factsheets, GX Data Docs, dbt docs), nor anywhere in the Dagster event log of a
real run (log messages, check results, materialization metadata shown in the UI). The CLI's
own output is scanned in tests/test_bad_inputs.py (a duplicated id is counted, never shown).

Nor when a delivery's header misnames the columns (resp_id swapped with age, refused by the
loader; or with gemeente_code, failed by the raw check): `monitor refresh` on a small demo
edition with the swapped header shows no id in its output, its Dagster event log, its compute
logs or the Data Docs, and still names the column, the lines, the count and what to do."""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from tests.bad_inputs.make_corpus import DEMO, swap_header
from tests.conftest import EDITION

pytestmark = pytest.mark.pipeline
ID_PATTERN = re.compile(r"R\d{7}")  # the demo's respondent ids
MONITOR = str(Path(sys.executable).with_name("monitor"))


@pytest.fixture(scope="module")
def respondent_ids(built_demo) -> set[str]:
    ids = pd.read_csv(built_demo.landing / str(EDITION) / "survey.csv", dtype=str)["resp_id"]
    assert ids.str.fullmatch(ID_PATTERN).all()
    return set(ids)


def _ids_in(text: str, ids: set[str]) -> set[str]:
    return set(ID_PATTERN.findall(text)) & ids


def _event_texts(instance, run_ids):
    """Every entry of the runs' Dagster event log as text: message and event (metadata included)."""
    for run_id in run_ids:
        for entry in instance.all_logs(run_id):
            yield f"{entry.user_message} {entry.dagster_event!r}"


def _file_text(path: Path) -> str:
    """What a file written for people holds, as text (the sheets of a workbook, the values of a Parquet file)."""
    if path.suffix == ".xlsx":  # a zip: read its sheets' XML
        with zipfile.ZipFile(path) as workbook:
            return "".join(workbook.read(name).decode("utf-8") for name in workbook.namelist())
    if path.suffix == ".parquet":  # compressed: read its values
        return pd.read_parquet(path).astype(str).to_csv(index=False)
    return path.read_bytes().decode("latin-1")


@pytest.mark.parametrize("schema", ["monitor", "audit"])
def test_no_respondent_id_in_any_published_or_candidate_table(built_demo, respondent_ids, schema):
    tables = built_demo.query(
        "select table_name from information_schema.tables where table_schema = ?", [schema]
    )["table_name"]
    assert len(tables) >= 6
    for table in tables:
        text = built_demo.query(f"select * from {schema}.{table}").astype(str).to_csv(index=False)
        assert not _ids_in(text, respondent_ids), f"{schema}.{table}"


def test_no_respondent_id_in_logs_checks_or_metadata(built_demo, respondent_ids):
    scanned = 0
    for text in _event_texts(built_demo.instance, built_demo.report.run_ids):
        assert not _ids_in(text, respondent_ids), text[:500]
        scanned += 1
    assert scanned > 100  # the whole event log of the run was read


# what the run writes for people, beside the DuckDB file and the Dagster instance
OUTPUT_FOLDERS = ("exports", "factsheets", "data_quality", "dbt_docs")


def _monitor_env(landing: Path, warehouse: Path) -> dict:
    env = {**os.environ, "MONITOR_LANDING": str(landing), "MONITOR_WAREHOUSE": str(warehouse)}
    for name in ("MONITOR_DUCKDB_PATH", "DAGSTER_HOME"):
        env.pop(name, None)
    return env


def test_no_respondent_id_in_any_file_written_for_people(built_demo, built_demo_docs, respondent_ids):
    docs = built_demo_docs  # `monitor docs` on the demo warehouse: the dbt docs are scanned too
    assert docs.returncode == 0, docs.stderr[-2000:]
    files = [f for folder in OUTPUT_FOLDERS for f in (built_demo.warehouse / folder).rglob("*") if f.is_file()]
    kinds = {f.suffix for f in files}
    assert {".xlsx", ".parquet", ".csv", ".html"} <= kinds and len(files) > 60, kinds
    for path in files:
        assert not _ids_in(_file_text(path), respondent_ids), path


# --- misnamed columns: the ids under another name -------------------------------------------

SWAPS = {"age": "resp_id", "gemeente_code": "resp_id"}  # the column whose name the ids get, and the ids' own


@pytest.fixture(scope="module")
def swapped_refreshes(tmp_path_factory):
    """`monitor refresh` (a subprocess, its own Dagster instance on disk) on a small demo edition
    whose header swaps resp_id with age, and with gemeente_code: both at once."""
    from monitor.demo import generate_demo_edition

    started = {}
    for column, private in SWAPS.items():
        root = tmp_path_factory.mktemp(f"swap_{column}")
        survey = generate_demo_edition(root / "landing", EDITION, truth_dir=root / "truth", **DEMO).survey_path
        ids = set(pd.read_csv(survey, dtype=str)[private])
        assert len(ids) > 100 and all(ID_PATTERN.fullmatch(i) for i in ids)
        survey.write_text(swap_header(survey.read_text(encoding="utf-8"), private, column), encoding="utf-8")
        process = subprocess.Popen([MONITOR, "refresh", "--edition", str(EDITION)], env=_monitor_env(root / "landing", root / "warehouse"),
                                   text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started[column] = (process, ids, root / "warehouse")
    runs = {}
    for column, (process, ids, warehouse) in started.items():
        stdout, stderr = process.communicate(timeout=600)
        runs[column] = {"returncode": process.returncode, "output": stdout + stderr, "ids": ids, "warehouse": warehouse}
    return runs


def _instance(warehouse: Path):
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    return DagsterInstance.from_ref(InstanceRef.from_dir(str(warehouse / "dagster_home")))


@pytest.mark.parametrize("column", sorted(SWAPS))
def test_swapped_header_shows_no_id_in_the_cli_output(swapped_refreshes, column):
    run = swapped_refreshes[column]
    assert run["returncode"] == 1, run["output"][-3000:]
    assert not _ids_in(run["output"], run["ids"])


@pytest.mark.parametrize("column", sorted(SWAPS))
def test_swapped_header_shows_no_id_in_the_event_log(swapped_refreshes, column):
    run = swapped_refreshes[column]
    with _instance(run["warehouse"]) as instance:
        run_ids = [r.run_id for r in instance.get_runs()]
        texts = list(_event_texts(instance, run_ids))
    assert run_ids and len(texts) > 20  # the whole event log of the run was read
    assert any(f"column {column}:" in text for text in texts)  # with the failure about the misnamed column
    assert not {i for text in texts for i in _ids_in(text, run["ids"])}


@pytest.mark.parametrize("column", sorted(SWAPS))
def test_swapped_header_shows_no_id_in_compute_logs_or_data_docs(swapped_refreshes, column):
    run = swapped_refreshes[column]
    compute_logs = list((run["warehouse"] / "dagster_home" / "storage").rglob("compute_logs/*"))
    docs = [f for f in (run["warehouse"] / "data_quality").rglob("*") if f.is_file()]
    assert compute_logs and docs  # both were written (the raw CBS check runs in either case)
    for path in compute_logs + docs:
        assert not _ids_in(_file_text(path), run["ids"]), path


def test_swapped_age_is_refused_naming_column_lines_count_and_what_to_do(swapped_refreshes):
    run = swapped_refreshes["age"]
    out, n = run["output"], len(run["ids"])
    assert f"column age: {n} row(s) are not whole numbers, e.g. line(s) [2, 3, 4, 5, 6] ({n} distinct; values not shown" in out
    assert "resp_id and age look swapped" in out
    assert "correct the column names and deliver the file again" in out


def test_swapped_gemeente_fails_the_raw_check_naming_column_lines_count_and_what_to_do(swapped_refreshes):
    run = swapped_refreshes["gemeente_code"]
    out, n = run["output"], len(run["ids"])
    assert "FAILED raw/survey_responses:raw_survey_responses_contract" in out
    assert f"column gemeente_code: expected gemeente_code matches ^GM[0-9]{{4}}$; {n} row(s) violate it (100.0 %); line(s) 2, 3, 4, 5, 6" in out
    assert "values not shown: the header does not fit the content (values like respondent ids in gemeente_code)" in out
    assert "resp_id and gemeente_code look swapped" in out
    assert "its header names the columns wrongly" in " ".join(out.split())  # the check's advice (wrapped)
