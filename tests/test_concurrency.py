"""Two refreshes of one warehouse at the same time never write together (DuckDB allows one
writer per file): the second waits and says so, or with --no-wait stops at once, naming who
holds the warehouse."""

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from monitor.demo import generate_demo_edition

pytestmark = pytest.mark.pipeline
MONITOR = str(Path(sys.executable).with_name("monitor"))


def _env(landing: Path, warehouse: Path) -> dict:
    env = {**os.environ, "MONITOR_LANDING": str(landing), "MONITOR_WAREHOUSE": str(warehouse)}
    for name in ("DAGSTER_HOME", "MONITOR_DUCKDB_PATH"):
        env.pop(name, None)
    return env


def _wait_for_lock_holder(lock_file: Path, process: subprocess.Popen, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if lock_file.exists() and lock_file.read_text().strip():
            return lock_file.read_text()
        time.sleep(0.2)
    raise AssertionError("the first refresh never took the warehouse lock")


def test_a_second_refresh_waits_or_stops_with_a_clear_message(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    generate_demo_edition(landing, 2018, seed=11, n_respondents=2000, population_fraction=0.05)
    env = _env(landing, warehouse)
    lock_file = warehouse / "warehouse.duckdb.refresh.lock"

    first = subprocess.Popen([MONITOR, "refresh"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    holder = _wait_for_lock_holder(lock_file, first)
    assert f"pid {first.pid}" in holder

    busy = subprocess.run([MONITOR, "refresh", "--no-wait"], env=env, capture_output=True, text=True, timeout=120)
    assert busy.returncode == 3
    assert "is being refreshed by monitor refresh" in busy.stderr and f"pid {first.pid}" in busy.stderr

    second = subprocess.Popen([MONITOR, "refresh"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first_out, _ = first.communicate(timeout=600)
    second_out, _ = second.communicate(timeout=600)
    assert first.returncode == 0, first_out[-3000:]
    assert second.returncode == 0, second_out[-3000:]
    assert "waiting:" in second_out and "is being refreshed by" in second_out

    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as conn:
        n = conn.execute("select count(*) from monitor.monitor_area_estimates where edition = 2018").fetchone()[0]
    assert n > 0
    assert lock_file.read_text() == ""  # released
