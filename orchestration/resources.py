"""Every resource of the code location, configured in one place from monitor.settings."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from pydantic import Field

from monitor import settings
from monitor.landing.discover import LandingEdition, find_editions
from orchestration.dbt_manifest import DBT_PROJECT


class LandingZone(ConfigurableResource):
    """The landing zone (read only) and which editions a run refreshes."""

    path: str = Field(description="Folder with one subfolder per edition (MONITOR_LANDING).")
    editions: list[int] = Field(
        default_factory=list, description="Editions to refresh; empty means every edition found."
    )

    def editions_to_load(self) -> list[LandingEdition]:
        return find_editions(Path(self.path), self.editions or None)


def build_resources() -> dict:
    """Resources for the current environment (MONITOR_LANDING, MONITOR_WAREHOUSE)."""
    warehouse = settings.duckdb_path()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return {
        "landing": LandingZone(path=str(settings.landing_dir())),
        "warehouse": DuckDBResource(database=str(warehouse)),
        "dbt": DbtCliResource(
            project_dir=DBT_PROJECT,
            profiles_dir=str(settings.DBT_PROJECT_DIR),
            # the dbt of this interpreter's environment, whether or not .venv/bin is on PATH
            dbt_executable=str(Path(sys.executable).with_name("dbt")),
        ),
    }
