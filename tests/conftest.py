"""Shared fixtures: a small demo edition and a warehouse built from it by the real Dagster job.

The pipeline tests materialize every asset (raw loaders, GX checks, dbt build) into a
temporary warehouse, as `monitor refresh` does; only the size of the demo edition differs."""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from monitor.demo import generate_demo_edition
from monitor.settings import REPO_ROOT

# A full-size survey (10,000 respondents) from the whole simulated population, so that the
# truth of a buurt is the mean of as many adults as live there: with a fraction of the
# population, true buurt means of a few dozen simulated people vary far more than real ones,
# and no honest small-area interval would cover them (seen: coverage 0.80 at 10 %).
DEMO = {"seed": 7, "n_respondents": 10_000, "population_fraction": 1.0}
EDITION = 2018
# One gemeente keeps only 3 respondents, to prove that such a cell is suppressed, not published.
TINY_GEMEENTE = "GM0744"  # Baarle-Nassau
TINY_RESPONDENTS = 3
SHARED_CBS = REPO_ROOT.parent / "shared" / "data" / "cbs"


@contextmanager
def monitor_env(landing: Path, warehouse: Path):
    """Point the pipeline at a landing zone and a warehouse, as the environment variables of
    the interfaces spec do."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MONITOR_LANDING", str(landing))
        patch.setenv("MONITOR_WAREHOUSE", str(warehouse))
        patch.delenv("MONITOR_DUCKDB_PATH", raising=False)
        yield


def refresh(landing: Path, warehouse: Path, editions: list[int] | None = None, instance=None):
    """Run the refresh job in process on a Dagster instance (ephemeral unless given)."""
    from dagster import DagsterInstance

    from orchestration.refresh import run_refresh

    with monitor_env(landing, warehouse):
        return run_refresh(editions, instance=instance or DagsterInstance.ephemeral())


@dataclass
class BuiltWarehouse:
    landing: Path
    warehouse: Path
    report: object
    truth: dict
    instance: object  # the Dagster instance holding the run's event log

    @property
    def duckdb_path(self) -> Path:
        return self.warehouse / "warehouse.duckdb"

    def query(self, sql: str, params=None):
        import duckdb

        with duckdb.connect(str(self.duckdb_path), read_only=True) as conn:
            return conn.execute(sql, params or []).df()


def _keep_few_respondents(survey_path: Path, gemeente: str, keep: int) -> None:
    survey = pd.read_csv(survey_path, dtype=str, keep_default_na=False)
    in_gemeente = survey.index[survey["gemeente_code"] == gemeente]
    survey.drop(in_gemeente[keep:]).to_csv(survey_path, index=False)


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    edition = generate_demo_edition(root / "landing", EDITION, **DEMO)
    _keep_few_respondents(edition.survey_path, TINY_GEMEENTE, TINY_RESPONDENTS)
    return root / "landing"


@pytest.fixture(scope="session")
def built_demo(demo_landing, tmp_path_factory) -> BuiltWarehouse:
    from dagster import DagsterInstance

    from orchestration.refresh import DAGSTER_YAML

    warehouse = tmp_path_factory.mktemp("warehouse")
    # an instance on disk, as `monitor refresh` keeps one, so that the Dagster UI (browser test)
    # shows this run and its check results
    home = warehouse / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    instance = DagsterInstance.from_config(str(home))
    report = refresh(demo_landing, warehouse, instance=instance)
    truth = json.loads((demo_landing.parent / "demo_truth" / str(EDITION) / "truth.json").read_text())
    return BuiltWarehouse(demo_landing, warehouse, report, truth, instance)
