"""Where the time of the monitor statistics goes, on the demo edition and on a 10x larger one.

For each size: generate a demo edition, run the real refresh job (ephemeral Dagster instance,
temporary warehouse), print the wall time of every step, then time the two Python statistics
again on their own (calibration weights, resource importance) on the warehouse's data.
A benchmark prints figures; it asserts nothing.

Run: .venv/bin/python bench/bench_statistics.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.codebook import load_codebook  # noqa: E402
from monitor.demo import generate_demo_edition  # noqa: E402
from monitor.statistics.importance import resource_importance  # noqa: E402
from monitor.statistics.tables import OUTCOME  # noqa: E402
from monitor.statistics.weighting import calibrate  # noqa: E402
from tests.conftest import refresh  # noqa: E402

EDITION = 2018


def _timed(label: str, fn):
    tracemalloc.start()
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"    {label:<40} {seconds:8.2f} s   peak Python memory {peak:8.1f} MiB")
    return value


def _statistics_alone(database: Path) -> None:
    groups = {s.name: s.group for g in load_codebook().resource_groups for s in load_codebook().scales_in_group(g)}
    with duckdb.connect(str(database), read_only=True) as conn:  # the inputs the dbt Python models read
        respondents = conn.execute("select * from intermediate.int_weighting_respondents order by edition, resp_id").df()
        targets = conn.execute("select * from intermediate.int_weighting_targets order by all").df()
        wide = conn.execute("select * from intermediate.int_respondent_resources where edition = ? order by resp_id",
                            [EDITION]).df().set_index("resp_id")  # fmt: skip
    _timed("calibrate() (raking + trimming)", lambda: calibrate(respondents, targets))
    weights = wide["calibration_weight"]
    _timed("resource_importance() (WLS + Shapley R2)", lambda: resource_importance(wide[[OUTCOME, *groups]].astype(float), weights, OUTCOME, groups))


def bench(n_respondents: int, root: Path) -> None:
    print(f"\n== {n_respondents:,} respondents")
    landing, warehouse = root / "landing", root / "warehouse"
    _timed("generate demo edition", lambda: generate_demo_edition(landing, EDITION, seed=1, n_respondents=n_respondents))
    start = time.perf_counter()
    report = refresh(landing, warehouse)
    print(f"    refresh job end to end                   {time.perf_counter() - start:8.2f} s   ({'OK' if report.ok else 'FAILED'})")
    for step, seconds in sorted(report.step_seconds.items(), key=lambda kv: -kv[1]):
        print(f"      step {step:<60} {seconds:7.2f} s")
    print("    the statistics on their own:")
    _statistics_alone(warehouse / "warehouse.duckdb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    import os

    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M')}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            bench(size, Path(tmp))


if __name__ == "__main__":
    main()
