"""Readers never block a refresh and are never refused (issue 14, red team 3).

Readers open `published.duckdb` (schema monitor as last published, a file the refresh never
opens and replaces whole at publication); a reader there keeps reading during a whole refresh,
and one who had the old file open keeps the old publication. A process that holds
warehouse.duckdb itself (a notebook that opened the wrong file) makes the refresh fail within
seconds, not minutes, with a summary that names that process and says what to do.

The tests run on a copy of the suite's small refreshed site (conftest.small_site)."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pytest

from monitor.settings import PUBLISHED_FILENAME
from tests.conftest import EDITION, MONITOR
from tests.test_recovery import monitor_state, without_log

pytestmark = pytest.mark.pipeline
READ_EVERY = 0.2  # seconds between a reader's queries


@pytest.fixture(scope="module")
def site(small_site, tmp_path_factory) -> tuple[dict, Path]:
    # the refresh that built the site says where readers find schema monitor
    assert f"schema monitor for readers: {small_site.warehouse / PUBLISHED_FILENAME}" in small_site.baseline_stdout
    copy = small_site.copy(tmp_path_factory.mktemp("readers"))
    return copy.env, copy.warehouse


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


def test_a_reader_of_published_duckdb_reads_through_a_whole_refresh(site):
    """Reads every 0.2 s on published.duckdb all succeed while `monitor refresh` runs, and the
    refresh succeeds; the reader's open file is the old publication to the end, a new
    connection sees the new one, which equals schema monitor of the warehouse."""
    env, warehouse = site
    published = warehouse / PUBLISHED_FILENAME
    before = monitor_state(published)
    reader = Reader(published)
    reader.start()
    started = time.monotonic()
    refresh = subprocess.run([MONITOR, "refresh"], env=env, capture_output=True, text=True, timeout=1200)
    reader.stop.set()
    reader.join(timeout=30)
    print(f"refresh {time.monotonic() - started:.0f} s; {reader.reads} reads, {len(reader.errors)} refused")
    assert refresh.returncode == 0, refresh.stdout[-3000:] + refresh.stderr[-3000:]
    assert reader.errors == [] and reader.reads > 10
    assert reader.log_rows == {int(before["monitor_publication_log"])}  # the old file, whole, to the end
    reader.conn.close()
    after = monitor_state(published)
    assert int(after["monitor_publication_log"]) == int(before["monitor_publication_log"]) + 1
    assert after == monitor_state(warehouse / "warehouse.duckdb")
    assert not list(warehouse.glob(f".{PUBLISHED_FILENAME}.tmp-*"))  # no work file left beside it


def test_a_process_holding_warehouse_duckdb_fails_the_refresh_fast_naming_it(site):
    """With a read-only connection on warehouse.duckdb itself (this test's process), the refresh
    fails within seconds: the summary names the holder's pid and command line and says to close
    it and that readers should open published.duckdb; exit 1; nothing published."""
    import os

    env, warehouse = site
    database = warehouse / "warehouse.duckdb"
    published_before = monitor_state(warehouse / PUBLISHED_FILENAME)
    with duckdb.connect(str(database), read_only=True):  # the notebook; in this process, so its pid is ours
        monitor_before = without_log(monitor_state(database))
        started = time.monotonic()
        refresh = subprocess.run([MONITOR, "refresh"], env=env, capture_output=True, text=True, timeout=600)
        seconds = time.monotonic() - started
        monitor_after = without_log(monitor_state(database))
    out = refresh.stdout
    print(f"refused in {seconds:.0f} s (the retries of DuckDBResource took about 5 min)\n{out[-2500:]}")
    flat = " ".join(out.split())
    assert refresh.returncode == 1
    assert f"{database} is open in PID {os.getpid()} (" in flat  # the holder, with its command line
    assert f"The DuckDB file is open in PID {os.getpid()} (" in flat and "Close that connection (or end that process)" in flat
    assert f"Readers should open {warehouse / PUBLISHED_FILENAME} read-only instead" in flat
    assert "The landing file named above could not be read" not in flat  # the stage's advice does not fit this
    assert f"edition {EDITION} NOT published" in out and "before any candidate was built" in out
    assert monitor_after == monitor_before
    assert monitor_state(warehouse / PUBLISHED_FILENAME) == published_before

