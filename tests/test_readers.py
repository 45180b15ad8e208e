"""Readers never block a refresh and are never refused (issue 14, red team 3).

Readers open `published.duckdb` (schema monitor as last published, a file the refresh never
opens and replaces whole at publication); a reader there keeps reading during a whole refresh,
and one who had the old file open keeps the old publication. A process that holds
warehouse.duckdb itself (a notebook that opened the wrong file) makes the refresh fail within
seconds, not minutes, with a summary that names that process and says what to do.

The refreshes run on a copy of the suite's small refreshed site (conftest.small_site), one
after the other, in the suite's second lane (tests/lanes.py), which records what the readers and
the refreshes saw; the tests assert on that record."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from monitor.settings import PUBLISHED_FILENAME
from tests.conftest import EDITION, MONITOR
from tests.lanes import LANE
from tests.test_recovery import monitor_state, without_log

pytestmark = pytest.mark.pipeline
READ_EVERY = 0.2  # seconds between a reader's queries


class Reader(threading.Thread):
    """A reader polling published.duckdb on one read-only connection, as a notebook does."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.conn = duckdb.connect(str(path), read_only=True)
        self.reads, self.errors, self.log_rows = 0, [], set()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.log_rows.add(self.conn.execute("select count(*) from monitor.monitor_publication_log").fetchone()[0])
                self.conn.execute("select count(*) from monitor.monitor_below_gemeente").fetchone()
                self.reads += 1
            except duckdb.Error as error:
                self.errors.append(str(error))
            time.sleep(READ_EVERY)


@dataclass
class ReadThrough:
    """A reader on published.duckdb while `monitor refresh` ran (the first refresh of the copy)."""

    warehouse: Path
    before: dict  # published.duckdb before the refresh
    refresh: subprocess.CompletedProcess
    reads: int
    errors: list[str]
    log_rows: set[int]  # the publication log's row counts the reader saw
    after: dict  # published.duckdb after, on a new connection
    warehouse_after: dict  # schema monitor of warehouse.duckdb after
    work_files: list[Path]  # work files left beside published.duckdb


@dataclass
class HeldOpen:
    """`monitor refresh` while this process held warehouse.duckdb open (the second refresh)."""

    warehouse: Path
    holder_pid: int
    refresh: subprocess.CompletedProcess
    seconds: float
    monitor_before: dict
    monitor_after: dict
    published_before: dict
    published_after: dict


def _read_through_a_refresh(env: dict, warehouse: Path) -> ReadThrough:
    published = warehouse / PUBLISHED_FILENAME
    before = monitor_state(published)
    reader = Reader(published)
    reader.start()
    started = time.monotonic()
    refresh = subprocess.run([MONITOR, "refresh"], env=env, capture_output=True, text=True, timeout=1200)
    reader.stop.set()
    reader.join(timeout=30)
    print(f"refresh {time.monotonic() - started:.0f} s; {reader.reads} reads, {len(reader.errors)} refused")
    reader.conn.close()
    return ReadThrough(warehouse, before, refresh, reader.reads, reader.errors, reader.log_rows, monitor_state(published),
                       monitor_state(warehouse / "warehouse.duckdb"), list(warehouse.glob(f".{PUBLISHED_FILENAME}.tmp-*")))


def _refresh_while_held_open(env: dict, warehouse: Path) -> HeldOpen:
    database = warehouse / "warehouse.duckdb"
    published_before = monitor_state(warehouse / PUBLISHED_FILENAME)
    with duckdb.connect(str(database), read_only=True):  # the notebook; in this process, so its pid is ours
        monitor_before = without_log(monitor_state(database))
        started = time.monotonic()
        refresh = subprocess.run([MONITOR, "refresh"], env=env, capture_output=True, text=True, timeout=600)
        seconds = time.monotonic() - started
        monitor_after = without_log(monitor_state(database))
    return HeldOpen(warehouse, os.getpid(), refresh, seconds, monitor_before, monitor_after, published_before,
                    monitor_state(warehouse / PUBLISHED_FILENAME))


def _readers(root: Path) -> tuple[ReadThrough, HeldOpen]:
    """On one copy of the small site: a reader through a whole refresh, then a refresh while
    warehouse.duckdb is held open. A lane build: subprocesses and a reader thread of its own."""
    copy = LANE.result("small_site").copy(root)
    read_through = _read_through_a_refresh(copy.env, copy.warehouse)
    return read_through, _refresh_while_held_open(copy.env, copy.warehouse)


# after the builds of priority 0-2 (the small site, the kills, the seeds of test_flag_truth.py)
LANE.register("readers", _readers, priority=3)


@pytest.fixture(scope="module")
def readers(small_site, tmp_path_factory) -> tuple[ReadThrough, HeldOpen]:
    # the refresh that built the site says where readers find schema monitor
    assert f"schema monitor for readers: {small_site.warehouse / PUBLISHED_FILENAME}" in small_site.baseline_stdout
    return LANE.result("readers", tmp_path_factory.mktemp)


def test_a_reader_of_published_duckdb_reads_through_a_whole_refresh(readers):
    """Reads every 0.2 s on published.duckdb all succeed while `monitor refresh` runs, and the
    refresh succeeds; the reader's open file is the old publication to the end, a new
    connection sees the new one, which equals schema monitor of the warehouse."""
    run = readers[0]
    assert run.refresh.returncode == 0, run.refresh.stdout[-3000:] + run.refresh.stderr[-3000:]
    assert run.errors == [] and run.reads > 10
    assert run.log_rows == {int(run.before["monitor_publication_log"])}  # the old file, whole, to the end
    assert int(run.after["monitor_publication_log"]) == int(run.before["monitor_publication_log"]) + 1
    assert run.after == run.warehouse_after
    assert not run.work_files  # no work file left beside it


def test_a_process_holding_warehouse_duckdb_fails_the_refresh_fast_naming_it(readers):
    """With a read-only connection on warehouse.duckdb itself (this test's process), the refresh
    fails within seconds: the summary names the holder's pid and command line and says to close
    it and that readers should open published.duckdb; exit 1; nothing published."""
    run = readers[1]
    warehouse, database = run.warehouse, run.warehouse / "warehouse.duckdb"
    assert run.holder_pid == os.getpid()  # the lane build held it in this test's process
    out = run.refresh.stdout
    print(f"refused in {run.seconds:.0f} s (the retries of DuckDBResource took about 5 min)\n{out[-2500:]}")
    flat = " ".join(out.split())
    assert run.refresh.returncode == 1
    assert f"{database} is open in PID {os.getpid()} (" in flat  # the holder, with its command line
    assert f"The DuckDB file is open in PID {os.getpid()} (" in flat and "Close that connection (or end that process)" in flat
    assert f"Readers should open {warehouse / PUBLISHED_FILENAME} read-only instead" in flat
    assert "The landing file named above could not be read" not in flat  # the stage's advice does not fit this
    assert f"edition {EDITION} NOT published" in out and "before any candidate was built" in out
    assert run.monitor_after == run.monitor_before
    assert run.published_after == run.published_before
