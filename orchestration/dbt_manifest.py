"""The dbt project as Dagster sees it, with a manifest that is parsed again whenever a model,
macro, seed or test is newer than it (so a fresh clone needs no separate prepare step)."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from monitor.contract import dbt_vars
from monitor.settings import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
SOURCE_FOLDERS = ("models", "macros", "seeds", "tests")
CONTRACT = Path(__file__).resolve().parents[1] / "monitor" / "contract.yaml"  # the rules dbt reads as vars


def _newest_source_mtime(project_dir: Path) -> float:
    files = [project_dir / "dbt_project.yml", CONTRACT]
    for folder in SOURCE_FOLDERS:
        files += [p for p in (project_dir / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in files)


def ensure_manifest(project: DbtProject = DBT_PROJECT) -> Path:
    """Parse the dbt project when its manifest is missing or older than its sources."""
    manifest = project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project.project_dir):
        return manifest
    dbt = Path(sys.executable).with_name("dbt")
    completed = subprocess.run(
        [str(dbt), "parse", "--quiet", "--profiles-dir", str(project.profiles_dir), "--vars", dbt_vars()],
        cwd=project.project_dir,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"dbt parse failed in {project.project_dir}:\n{completed.stdout}\n{completed.stderr}")
    return manifest


@cache
def _manifest_json() -> dict:
    import json

    return json.loads(ensure_manifest().read_text(encoding="utf-8"))


def column_docs(schema: str, table: str) -> dict[str, str]:
    """The column descriptions the dbt YAML gives a table (a model, seed or source of that
    schema and name): the one place columns are documented, for dbt docs and the Dagster UI alike."""
    manifest = _manifest_json()
    for node in [*manifest["nodes"].values(), *manifest["sources"].values()]:
        if node.get("resource_type") not in ("model", "seed", "source"):
            continue
        node_schema = node.get("config", {}).get("schema") or node.get("schema")
        if node.get("name") == table and node_schema == schema:
            return {name: column.get("description", "") for name, column in node.get("columns", {}).items()}
    return {}
