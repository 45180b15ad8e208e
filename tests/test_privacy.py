"""Respondent-level data never leaves the raw and staging layers (methodology section 6): no
respondent id in any published table, nor anywhere in the Dagster event log of a real run
(log messages, check results, materialization metadata shown in the UI)."""

import re

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
