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
    """The landing zone (read only): one subfolder per edition."""

    path: str = Field(description="Folder with one subfolder per edition (MONITOR_LANDING).")

    def edition(self, edition: int) -> LandingEdition:
        """The files of one edition (the partition a step works on)."""
        return find_editions(Path(self.path), [edition])[0]


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
