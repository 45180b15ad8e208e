"""Where things live. Every path the pipeline uses is resolved here, from the environment
variables the README lists (Locations), so that no module guesses a location itself."""

from __future__ import annotations

import os
from pathlib import Path

from monitor.contract import layer

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DUCKDB_FILENAME = "warehouse.duckdb"  # not monitor.duckdb: `monitor.x` would be ambiguous
# the file readers open: schema monitor as last published, a copy the refresh never opens
# (replaced whole at each publication), so a reader never blocks a refresh nor is refused;
# again not monitor.duckdb, for the same reason
PUBLISHED_FILENAME = "published.duckdb"
# the schema readers see (in both files): only data that passed every check (monitor/contract.yaml)
PUBLISHED_SCHEMA = layer("monitor")


def _resolve(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def landing_dir() -> Path:
    """Raw input, one folder per edition (MONITOR_LANDING, default warehouse/landing)."""
    return _resolve(os.environ.get("MONITOR_LANDING", str(REPO_ROOT / "warehouse" / "landing")))


def warehouse_dir() -> Path:
    """The DuckDB file, exports, factsheets and data-quality reports (MONITOR_WAREHOUSE)."""
    return _resolve(os.environ.get("MONITOR_WAREHOUSE", str(REPO_ROOT / "warehouse")))


def duckdb_path() -> Path:
    return warehouse_dir() / DUCKDB_FILENAME


def published_path(warehouse: Path | None = None) -> Path:
    """The published tables for readers, beside the warehouse file (warehouse: its folder)."""
    return (warehouse or warehouse_dir()) / PUBLISHED_FILENAME


DAGSTER_PORT = 3000  # `make ui` / `monitor ui`, unless DAGSTER_PORT is set


def ui_port() -> int:
    return int(os.environ.get("DAGSTER_PORT", DAGSTER_PORT))


def reports_port() -> int:
    """Where `monitor ui` serves the warehouse's reports (data-quality reports, factsheets, dbt
    docs) for links in the Dagster UI: MONITOR_REPORTS_PORT, else the UI's port + 1."""
    return int(os.environ.get("MONITOR_REPORTS_PORT", ui_port() + 1))


def report_url(path: Path, warehouse: Path | None = None) -> str | None:
    """The address of a file under the warehouse folder as `monitor ui` serves it (None when
    the file lies elsewhere): what a link in the Dagster UI opens, where a file path cannot."""
    try:
        relative = Path(path).resolve().relative_to((warehouse or warehouse_dir()).resolve())
    except ValueError:
        return None
    return f"http://127.0.0.1:{reports_port()}/{relative.as_posix()}"


def logs_dir(warehouse: Path | None = None) -> Path:
    """`<MONITOR_WAREHOUSE>/logs/`: dbt's output of each run (dbt-<run_id>.log, and dbt's own
    dbt.log) and the traceback of a refresh stopped by an error outside its steps."""
    return (warehouse or warehouse_dir()) / "logs"


def dbt_log_path(warehouse: Path, run_id: str) -> Path:
    """Where dbt's output of a Dagster run goes (every dbt step of the run appends to it)."""
    return logs_dir(warehouse) / f"dbt-{run_id}.log"


def demo_truth_dir(landing: Path | None = None) -> Path:
    """Where the demo generator puts its truth files: beside the landing zone, never in it,
    so the pipeline cannot read them by accident."""
    return (landing or landing_dir()).parent / "demo_truth"
