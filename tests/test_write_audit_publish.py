"""Write-audit-publish: readers of schema `monitor` see only what passed every check.

A defect planted in the small-area step (estimates pushed outside their own intervals, in the
dbt process that runs the statistics) must be caught by the blocking check on the audit candidate; the publish step must not run, every
published table and view must stay byte-identical, the summary must say what failed, and the
faulty candidate must stay in `audit` for inspection."""

import shutil

import duckdb
import pandas as pd
import pytest

from orchestration.refresh import render_summary
from tests.conftest import EDITION, refresh

pytestmark = pytest.mark.pipeline


def _published_fingerprint(database) -> dict[str, tuple]:
    """Per table and view of schema monitor: its columns with types and a hash of its sorted rows."""
    with duckdb.connect(str(database), read_only=True) as conn:
        names = [r[0] for r in conn.execute("select table_name from information_schema.tables where table_schema = 'monitor' order by 1").fetchall()]
        fingerprint = {}
        for name in names:
            rows = conn.execute(f"select * from monitor.{name} order by all").df()
            rows = rows.astype({c: str for c in rows.columns if rows[c].dtype == object})  # lists are unhashable
            columns = tuple(conn.execute("select column_name, data_type from information_schema.columns where table_schema = 'monitor' and table_name = ? order by ordinal_position", [name]).fetchall())
            fingerprint[name] = (columns, len(rows), int(pd.util.hash_pandas_object(rows, index=False).sum()))
    return fingerprint


# Planted in the dbt process, where the dbt Python model monitor_small_area_estimates calls the
# statistics: Python runs sitecustomize at start-up from PYTHONPATH, so the function the model
# looks up is the broken one (the production code has no fault switch).
BROKEN_SMALL_AREA_STEP = """
import dataclasses
import monitor.statistics.small_area as step

_real = step.small_area_estimates


def _broken(*args, **kwargs):
    result = _real(*args, **kwargs)
    return dataclasses.replace(result, estimates=result.estimates.assign(estimate=result.estimates["estimate"] + 5.0))


step.small_area_estimates = _broken
"""


@pytest.fixture(scope="module")
def failed_refresh(built_demo, tmp_path_factory):
    from dagster import DagsterInstance

    warehouse = tmp_path_factory.mktemp("wap_warehouse")
    shutil.copy(built_demo.duckdb_path, warehouse / "warehouse.duckdb")
    database = warehouse / "warehouse.duckdb"
    before = _published_fingerprint(database)
    planted = tmp_path_factory.mktemp("planted")
    (planted / "sitecustomize.py").write_text(BROKEN_SMALL_AREA_STEP, encoding="utf-8")
    instance = DagsterInstance.ephemeral()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", str(planted))
        report = refresh(built_demo.landing, warehouse, instance=instance)
    return database, before, report, instance  # the instance: the run's event log, explained at its end


def test_a_failed_audit_check_stops_the_publication(failed_refresh):
    _, _, report, _ = failed_refresh
    assert not report.ok
    failed = [c.name for c in report.failed_checks]
    assert failed == ["audit/small_area_estimates:monitor_small_area_estimates_publication"]
    assert report.published == []


def test_published_tables_stay_byte_identical(failed_refresh):
    database, before, _, _ = failed_refresh
    assert before  # the first refresh published something to compare with
    assert _published_fingerprint(database) == before


def test_the_faulty_candidate_stays_in_audit_for_inspection(failed_refresh):
    database, _, _, _ = failed_refresh
    with duckdb.connect(str(database), read_only=True) as conn:
        outside = conn.execute(
            "select count(*) from audit.monitor_small_area_estimates where edition = ? and estimate > ci_upper", [EDITION]
        ).fetchone()[0]
    assert outside > 0


def test_the_summary_says_what_failed_and_that_nothing_was_published(failed_refresh):
    database, _, report, _ = failed_refresh
    text = render_summary(report, database)
    assert "FAILED audit/small_area_estimates:monitor_small_area_estimates_publication" in text
    assert "estimate >= ci_lower" in text or "ci_upper >= estimate" in text
    assert f"edition {EDITION} NOT published" in text
    assert "layer: audit (before publishing)" in text
    assert "what to do: The candidate in schema audit breaks a publication rule" in text


def test_the_failed_run_ends_with_why_it_failed_and_what_to_do(failed_refresh):
    """The UI's run page: after Dagster's "Steps failed" and a line per step not run, the last
    entry says which check failed, its summary and what to do; the run carries it as a tag."""
    from orchestration.failures import FAILURE_TAG, HEADING

    _, _, report, instance = failed_refresh
    (run_id,) = report.run_ids
    last = instance.all_logs(run_id)[-1].dagster_event.message
    assert last.startswith(f"{HEADING} (edition {EDITION}): check audit/small_area_estimates:monitor_small_area_estimates_publication failed")
    assert "estimate >= ci_lower" in last or "ci_upper >= estimate" in last
    assert "What to do: The candidate in schema audit breaks a publication rule" in last
    tag = instance.get_run_by_id(run_id).tags[FAILURE_TAG]
    assert tag == "1 blocking check(s) failed, first audit/small_area_estimates:monitor_small_area_estimates_publication"
