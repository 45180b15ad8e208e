"""dbt docs for the people who read the tables: the project's models, sources and columns with
the descriptions from the YAML beside the models, and the lineage graph, as one static HTML file
(`dbt docs generate --static`) that opens from disk without a server:
<MONITOR_WAREHOUSE>/dbt_docs/index.html.

The catalog (column types) is read from the warehouse, so the docs are generated under the
warehouse lock like any other writer (dbt-duckdb opens the file for writing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from monitor import settings
from monitor.contract import dbt_vars
from orchestration.lock import warehouse_lock


class DbtDocsError(RuntimeError):
    """dbt could not generate the docs."""


def generate_dbt_docs(progress=print) -> Path:
    """Write <MONITOR_WAREHOUSE>/dbt_docs/index.html; return its path."""
    database = settings.duckdb_path()
    if not database.exists():
        raise DbtDocsError(f"no warehouse at {database}: run `monitor refresh` first (the docs read its column types)")
    target = settings.warehouse_dir() / "dbt_docs"
    dbt = Path(sys.executable).with_name("dbt")
    env = {**os.environ, "MONITOR_DUCKDB_PATH": str(database)}
    with warehouse_lock(database, on_wait=progress, holder="monitor docs"), tempfile.TemporaryDirectory() as work:
        progress(f"dbt docs: generating from {settings.DBT_PROJECT_DIR} with the column types of {database} ...")
        completed = subprocess.run(
            [str(dbt), "docs", "generate", "--static", "--target-path", work, "--profiles-dir", str(settings.DBT_PROJECT_DIR),
             "--vars", dbt_vars()],
            cwd=settings.DBT_PROJECT_DIR, env=env, capture_output=True, text=True,
        )  # fmt: skip
        page = Path(work) / "static_index.html"
        if completed.returncode != 0 or not page.exists():
            raise DbtDocsError(f"dbt docs generate failed (exit {completed.returncode}):\n{completed.stdout[-3000:]}\n{completed.stderr[-2000:]}")
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, target / "index.html.tmp")
        os.replace(target / "index.html.tmp", target / "index.html")  # readers never see half a file
    progress(f"dbt docs: {target / 'index.html'} ({(target / 'index.html').stat().st_size / 1e6:.1f} MB, opens from disk)")
    return target / "index.html"
