"""Two refreshes of one warehouse at the same time never write together (DuckDB allows one
writer per file): the second waits and says so, or with --no-wait stops at once, naming who
holds the warehouse. This holds for `monitor refresh` and for runs of the refresh job launched
another way (the UI, the sensor, the schedule): their `warehouse` resource takes the same lock."""

import os
import subprocess
import sys
import time

import duckdb
import pytest

from tests.conftest import LaunchedBesideCli
from tests.lanes import LANE

pytestmark = pytest.mark.pipeline


HOLD_THE_LOCK = """
import sys, time
from pathlib import Path
from orchestration.lock import warehouse_lock
with warehouse_lock(Path(sys.argv[1])):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_the_warehouse_resource_holds_the_lock_reentrantly_and_waits_in_the_run_log(tmp_path, monkeypatch):
    """In process, in seconds: a job using the warehouse resource goes ahead inside `monitor
    refresh`'s lock (same process), waits for another process's lock with a message in its run
    log, and the fetch job does not use the warehouse at all."""
    from dagster import DagsterInstance, in_process_executor, job, op

    from orchestration.lock import held_by_this_process, warehouse_lock
    from orchestration.resources import WarehouseResource

    database = tmp_path / "warehouse.duckdb"
    lock_file = tmp_path / "warehouse.duckdb.refresh.lock"

    holders = []  # the lock file's text while the op runs

    @op
    def write(warehouse: WarehouseResource):
        assert held_by_this_process(database)
        holders.append(lock_file.read_text())
        with warehouse.get_connection() as conn:
            conn.execute("create or replace table t as select 1 as a")

    @job(executor_def=in_process_executor, resource_defs={"warehouse": WarehouseResource(database=str(database))})
    def writer():
        write()

    instance = DagsterInstance.ephemeral()
    with warehouse_lock(database, wait=False):  # what `monitor refresh` does around the job
        assert writer.execute_in_process(instance=instance).success  # no deadlock on itself
    assert holders[-1].startswith(f"monitor refresh (pid {os.getpid()},")  # the outer holder's text
    assert lock_file.read_text() == "" and not held_by_this_process(database)

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(database), "3"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "holding"
    started = time.monotonic()
    result = writer.execute_in_process(instance=instance)
    assert result.success and time.monotonic() - started > 1
    assert holder.wait(timeout=30) == 0
    assert holders[-1].startswith(f"Dagster run {result.run_id} (pid {os.getpid()},")
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert f"waiting: {database} is being refreshed by monitor refresh (pid {holder.pid}," in "\n".join(messages)
    assert lock_file.read_text() == ""

    from orchestration.definitions import build_definitions

    monkeypatch.setenv("MONITOR_LANDING", str(tmp_path / "landing"))
    monkeypatch.setenv("MONITOR_WAREHOUSE", str(tmp_path))
    defs = build_definitions()
    assert "warehouse" in defs.resolve_job_def("monitor_refresh").required_resource_keys
    assert "warehouse" not in defs.resolve_job_def("fetch_cbs_job").required_resource_keys


def _step_spans(instance, run_id: str) -> tuple[float, float]:
    """First step start and last step end of a run, from its event log."""
    times = [
        entry.timestamp
        for entry in instance.all_logs(run_id)
        if entry.dagster_event is not None
        and entry.dagster_event.event_type_value in ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE")
    ]
    return min(times), max(times)


@pytest.fixture(scope="module")
def launched_beside_cli(tmp_path_factory) -> LaunchedBesideCli:
    return LANE.result("launched_beside_cli", tmp_path_factory.mktemp)


def test_a_run_launched_outside_the_cli_waits_for_monitor_refresh(launched_beside_cli):
    """A run of the refresh job in a process of its own, as the UI, the sensor or the schedule
    launch it (the run worker executes the job in a subprocess; here `dagster job execute`,
    through the same resource lifecycle), waits while `monitor refresh` holds the warehouse,
    says so in its run log, and then runs holding the lock itself (a CLI refresh --no-wait names
    it): both succeed, their steps never overlap. (The processes run in the suite's second lane,
    tests/lanes.py; what they did is asserted here.)"""
    from dagster import DagsterInstance, DagsterRunStatus

    run = launched_beside_cli
    cli, launched, busy, warehouse = run.cli, run.launched, run.busy, run.warehouse
    cli_out, launched_out, launched_holder = run.cli_out, run.launched_out, run.launched_holder
    lock_file = warehouse / "warehouse.duckdb.refresh.lock"
    print(f"both done in {run.seconds:.0f} s")
    assert f"monitor refresh (pid {cli.pid}," in run.cli_holder
    assert cli.returncode == 0, cli_out[-3000:]
    assert launched.returncode == 0, launched_out[-3000:]
    waiting = f"waiting: {warehouse / 'warehouse.duckdb'} is being refreshed by monitor refresh (pid {cli.pid},"
    assert waiting in launched_out, launched_out[-3000:]
    assert launched_holder.startswith("Dagster run ") and f"(pid {launched.pid}," in launched_holder
    assert busy.returncode == 3 and f"is being refreshed by {launched_holder}" in busy.stderr, busy.stderr

    with DagsterInstance.from_config(str(run.home)) as instance:
        runs = instance.get_runs()
        assert len(runs) == 2 and all(r.status == DagsterRunStatus.SUCCESS for r in runs)
        (waited,) = [r for r in runs if any(waiting in (e.user_message or "") for e in instance.all_logs(r.run_id))]
        (cli_run,) = [r for r in runs if r.run_id != waited.run_id]
        assert cli_run.run_id in cli_out  # the CLI's run did not wait; the launched one did, in its run log
        assert waited.tags.get("dagster/partition") == "2018"
        assert launched_holder.startswith(f"Dagster run {waited.run_id} ")
        cli_start, cli_end = _step_spans(instance, cli_run.run_id)
        waited_start, waited_end = _step_spans(instance, waited.run_id)
    assert cli_end <= waited_start  # the launched run's first step began after the CLI's last step
    print(f"steps: CLI run {cli_end - cli_start:.0f} s, launched run {waited_end - waited_start:.0f} s")

    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as conn:
        n = conn.execute("select count(*) from monitor.monitor_area_estimates where edition = 2018").fetchone()[0]
        raw = conn.execute("select count(*) from raw.survey_responses where _landing_edition = 2018").fetchone()[0]
    assert n > 0
    assert raw == run.respondents  # the second run replaced the edition's rows, not added to them
    assert lock_file.read_text() == ""  # released
