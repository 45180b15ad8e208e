"""Every resource of the code location, configured in one place from monitor.settings."""

from __future__ import annotations

import importlib.metadata
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, InitResourceContext
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging import version
from pydantic import Field

from monitor import settings
from monitor.landing.discover import LandingEdition, find_editions
from orchestration.dbt_manifest import DBT_PROJECT
from orchestration.lock import (
    DUCKDB_LOCK_ERROR,
    PROCESS_TAG,
    duckdb_lock_holder,
    process_command,
    process_identity,
    warehouse_lock,
)


class LandingZone(ConfigurableResource):
    """The landing zone (read only): one subfolder per edition."""

    path: str = Field(description="Folder with one subfolder per edition (MONITOR_LANDING).")

    def edition(self, edition: int) -> LandingEdition:
        """The files of one edition (the partition a step works on)."""
        return find_editions(Path(self.path), [edition])[0]


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse (a DuckDBResource: `.database`, `.get_connection()`) that holds the
    warehouse's refresh lock (orchestration.lock) for the whole run using it, however the run
    was launched (the UI, the sensor, the schedule, `monitor refresh`). A run waits, saying so
    in its log, while `monitor refresh` or another run holds the warehouse; inside `monitor
    refresh`, which holds the lock already, it goes straight ahead; terminating a waiting run
    (SIGINT) ends the wait. Only runs whose steps need the warehouse initialize it (not the
    fetch_cbs_job). The refresh job runs in process, so the lock spans the whole run; a run on
    Dagster's default multiprocess executor would hold it per step process instead.

    The run records its process in the run tag lock.PROCESS_TAG (so that a later lock holder can
    tell it from a run killed mid-way), and on taking the lock marks the runs of killed
    processes failed (orchestration.recovery). A connection that DuckDB refuses because another
    process has the file open fails within seconds, naming that process (see get_connection)."""

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[WarehouseResource]:
        if self.database == ":memory:" or _run_has_finished(context):
            # nothing to share, or `dagster.execute_job` (`dagster job execute`) re-initializing
            # the resources after the run, for its result: that run writes nothing any more
            with super().yield_for_execution(context) as resource:
                yield resource
            return
        log = context.log
        holder = f"Dagster run {context.run_id}" if context.dagster_run is not None else "Dagster"
        say = log.warning if log is not None else print
        waiting_since: list[float] = []
        _record_process(context)

        def on_wait(message: str) -> None:
            waiting_since.append(time.monotonic())
            say(message)

        def on_taken() -> None:
            from orchestration.recovery import recover

            recover(context.instance, Path(self.database), f"{holder} (pid {os.getpid()})", context.run_id, say)

        with warehouse_lock(Path(self.database), wait=True, on_wait=on_wait, holder=holder, on_taken=on_taken):
            if waiting_since and log is not None:
                log.info(f"the warehouse is free after {time.monotonic() - waiting_since[0]:.0f} s of waiting")
            with super().yield_for_execution(context) as resource:
                yield resource


    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection. DuckDBResource retries a refused connection 10 times with
        growing delays (about 100 s per call, minutes per step); a refusal here means another
        process has the file open (an analyst's notebook, a reader who opened warehouse.duckdb
        instead of published.duckdb), which will not go away by itself, so retry only briefly,
        then fail naming that process."""
        conn = _connect(self.database, {"custom_user_agent": "dagster", **self.connection_config})
        try:
            yield conn
        finally:
            conn.close()


class WarehouseHeld(RuntimeError):
    """Another process has the DuckDB file open, so this run cannot write it."""


CONNECT_DELAYS = (0.1, 0.2, 0.4, 0.8, 1.6)  # seconds between tries: about 3 s in all
ORPHAN_WAIT = 120  # seconds to wait for a dbt process left by a killed refresh to end


def _connect(database: str, config: dict) -> duckdb.DuckDBPyConnection:
    for delay in (*CONNECT_DELAYS, None):
        try:
            return duckdb.connect(database, read_only=False, config=config)
        except duckdb.IOException as error:
            if not DUCKDB_LOCK_ERROR.search(str(error)):
                raise
            if _wait_for_orphan_dbt(str(error)):
                return _connect(database, config)
            if delay is None:
                holder = duckdb_lock_holder(str(error)) or "another process"
                raise WarehouseHeld(
                    f"{database} is open in {holder}, which holds DuckDB's lock on it, so the refresh cannot "
                    f"write it ({str(error).split('. However')[0]}). Close that connection or end that process; readers should open "
                    f"{settings.published_path(Path(database).parent)} read-only instead, which a refresh never opens."
                ) from error
            time.sleep(delay)
    raise AssertionError("not reached")


def _wait_for_orphan_dbt(error: str) -> bool:
    """When the holder is a dbt of this environment, it is the dbt step of a refresh that was
    killed (every live refresh's dbt runs under the warehouse lock, which this run holds): it
    ends by itself once it finds its output pipe closed. Wait for that, up to ORPHAN_WAIT."""
    match = re.search(r"\(PID (\d+)\)", error)
    if match is None:
        return False
    pid = int(match[1])
    command = process_command(pid) or ""
    if str(Path(sys.executable).with_name("dbt")) not in command:
        return False
    print(f"waiting for PID {pid} ({command}), a dbt step left by a killed refresh, to end ...", flush=True)
    deadline = time.monotonic() + ORPHAN_WAIT
    while process_command(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.5)
    return process_command(pid) is None


def _record_process(context: InitResourceContext) -> None:
    """Tag the run with the process running it (pid and start time), for recovery.stale_runs."""
    if context.dagster_run is not None and context.instance is not None:
        context.instance.add_run_tags(context.run_id, {PROCESS_TAG: process_identity()})


class MonitorDbtCliResource(DbtCliResource):
    """dbt as the dbt steps run it: the dbt executable of this interpreter's environment."""

    @cached_property
    def _cli_version(self) -> version.Version:
        # dagster-dbt asks `dbt --version` once per run (a dbt start-up, 2.5 s); the executable
        # is the dbt-core package of this environment (build_resources), so ask the package
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        # dagster-dbt builds a dbt adapter in this process for every dbt.cli() (dbt's project and
        # profile loaded, the DuckDB adapter imported: 1.1-1.4 s per dbt step), only for its
        # fetch_row_counts() and fetch_column_metadata(). This project reads the row counts,
        # column types and lineage itself once dbt has finished (orchestration/dbt_metadata.py;
        # the DuckDB file has one writer), so there is no adapter: DbtCliInvocation takes None.
        return None


def _run_has_finished(context: InitResourceContext) -> bool:
    if context.dagster_run is None or context.instance is None:
        return False
    run = context.instance.get_run_by_id(context.run_id)
    return run is not None and run.is_finished


def build_resources() -> dict:
    """Resources for the current environment (MONITOR_LANDING, MONITOR_WAREHOUSE)."""
    warehouse = settings.duckdb_path()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return {
        "landing": LandingZone(path=str(settings.landing_dir())),
        "warehouse": WarehouseResource(database=str(warehouse)),
        "dbt": MonitorDbtCliResource(
            project_dir=DBT_PROJECT,
            profiles_dir=str(settings.DBT_PROJECT_DIR),
            # the dbt of this interpreter's environment, whether or not .venv/bin is on PATH
            dbt_executable=str(Path(sys.executable).with_name("dbt")),
        ),
    }
