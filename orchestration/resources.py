"""Every resource of the code location, configured in one place from monitor.settings."""

from __future__ import annotations

import importlib.metadata
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging import version
from pydantic import Field

from monitor import settings
from monitor.landing.discover import LandingEdition, find_editions
from orchestration.dbt_manifest import DBT_PROJECT
from orchestration.lock import warehouse_lock


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
    Dagster's default multiprocess executor would hold it per step process instead."""

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
        waiting_since: list[float] = []

        def on_wait(message: str) -> None:
            waiting_since.append(time.monotonic())
            (log.warning if log is not None else print)(message)

        with warehouse_lock(Path(self.database), wait=True, on_wait=on_wait, holder=holder):
            if waiting_since and log is not None:
                log.info(f"the warehouse is free after {time.monotonic() - waiting_since[0]:.0f} s of waiting")
            with super().yield_for_execution(context) as resource:
                yield resource


class MonitorDbtCliResource(DbtCliResource):
    """dbt as the dbt steps run it: the dbt executable of this interpreter's environment."""

    @cached_property
    def _cli_version(self) -> version.Version:
        # dagster-dbt asks `dbt --version` once per run (a dbt start-up, 2.5 s); the executable
        # is the dbt-core package of this environment (build_resources), so ask the package
        return version.parse(importlib.metadata.version("dbt-core"))


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
