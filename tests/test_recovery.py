"""Recovery from a killed refresh and from failures outside the steps (issue 14, red team 1, 5, 6).

A `kill -9` of `monitor refresh` leaves its Dagster run STARTED; Dagster's run queue (one run at
a time) would then keep every later UI, sensor and schedule run QUEUED for ever. The next holder
of the warehouse lock marks such runs failed and removes the work folders they left; when nobody
takes the lock, the sensor stale_run_sensor does the marking (orchestration/lock.py says why).
Killing at dbt, at publish and in the exports/factsheets never leaves schema monitor (nor
published.duckdb, nor an output folder) half-written: it is the old state or the new one.

The kills run on a copy of the suite's small refreshed site (conftest.small_site); they follow
one another, each next refresh recovering from the one before, and a run queued behind the last
one is started by the daemon of `make ui` once the sensor has marked it. The kills and the
daemon run in the suite's second lane (tests/lanes.py), recording what they saw at each moment;
the test asserts on that record."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from monitor.demo import generate_demo_edition
from monitor.settings import REPO_ROOT
from tests.conftest import EDITION, MONITOR, SMALL, BuiltSite, cli_env, write_instance
from tests.lanes import LANE

DAGSTER = str(Path(sys.executable).with_name("dagster"))
DAEMON = str(Path(sys.executable).with_name("dagster-daemon"))


@dataclass
class Site:
    landing: Path
    warehouse: Path
    home: Path
    env: dict

    @classmethod
    def copy_of(cls, built: BuiltSite, root: Path) -> Site:
        copy = built.copy(root)
        return cls(copy.landing, copy.warehouse, copy.home, copy.env)

    @property
    def database(self) -> Path:
        return self.warehouse / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.warehouse / "published.duckdb"

    def instance(self):
        from dagster import DagsterInstance

        return DagsterInstance.from_config(str(self.home))


# -- what a reader sees: digests of every table of schema monitor ---------------------------


def monitor_state(database: Path) -> dict[str, str]:
    """A digest of each table of schema monitor (rows in a fixed order); the publication log by
    its number of rows (its time and run id differ on every publication)."""
    with duckdb.connect(str(database), read_only=True) as conn:
        tables = [t for (t,) in conn.execute(
            "select table_name from duckdb_tables() where schema_name = 'monitor' order by 1").fetchall()]
        state = {}
        for table in tables:
            if table == "monitor_publication_log":
                state[table] = str(conn.execute(f"select count(*) from monitor.{table}").fetchone()[0])
                continue
            rows = sorted(repr(row) for row in conn.execute(f"select * from monitor.{table}").fetchall())
            state[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return state


def without_log(state: dict[str, str]) -> dict[str, str]:
    return {table: digest for table, digest in state.items() if table != "monitor_publication_log"}


def folder_state(folder: Path) -> str | None:
    """The manifest of an export folder (None: no folder); the folder must be whole: every file
    its manifest lists is there with its size."""
    manifest = folder / "manifest.json"
    if not folder.exists():
        return None
    listed = json.loads(manifest.read_text(encoding="utf-8"))
    for name, size in listed["files"].items():
        if name != "manifest.json":
            assert (folder / name).stat().st_size == size, f"{folder / name} is not the size its manifest says"
    return listed["dagster_run_id"]


def factsheet_state(folder: Path) -> str:
    """The factsheet folder must be whole: index.html and a page per gemeente it links."""
    index = (folder / "index.html").read_text(encoding="utf-8")
    pages = sorted(p.name for p in folder.glob("GM*.html"))
    assert pages and all(name in index for name in pages), f"{folder} is not whole"
    return hashlib.sha256(index.encode()).hexdigest()


def work_folders(site: Site) -> list[Path]:
    from monitor.presentation.folders import leftover_work_folders

    return [p for parent in ("exports", "factsheets") for p in leftover_work_folders(site.warehouse / parent)]


# -- killing a refresh at a chosen point -------------------------------------------------------


def _new_run(instance, known: set[str], process: subprocess.Popen, seconds: float = 300) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        runs = [r for r in instance.get_runs(limit=3) if r.run_id not in known]
        if runs:
            return runs[0].run_id
        time.sleep(0.2)
    raise AssertionError(f"the refresh started no run (exit {process.poll()})")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _wait_for(condition, process: subprocess.Popen, seconds: float = 900, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError(f"the refresh ended (exit {process.returncode}) before {what}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def kill_refresh_at(site: Site, point: str) -> dict:
    """Start `monitor refresh`, kill -9 it at `point` (the start of a step, or the moment a
    hidden work folder of an output appears), and say what the kill hit."""
    from dagster import DagsterEventType

    with site.instance() as instance:
        known = {r.run_id for r in instance.get_runs()}
    refresh = subprocess.Popen([MONITOR, "refresh"], env=site.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        with site.instance() as instance:
            run_id = _new_run(instance, known, refresh)

            def step_started() -> bool:
                steps = instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)
                return any(e.dagster_event.step_key == point for e in steps)

            if point == "share":
                _wait_for(lambda: bool(work_folders(site)), refresh, what="an output work folder")
            else:
                _wait_for(step_started, refresh, what=f"step {point}")
        children = _children(refresh.pid)
        refresh.send_signal(signal.SIGKILL)  # the refresh only: its dbt, if any, is left to itself
        refresh.wait(timeout=30)
        left_running = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    finally:
        if refresh.poll() is None:
            refresh.kill()
        refresh.stdout.close()
    return {"point": point, "pid": refresh.pid, "run_id": run_id, "children": children,
            "left_running": left_running, "work_folders": work_folders(site)}


def _still_running(pids: list[int], seconds: float = 120) -> list[int]:
    """Those of `pids` that still run after waiting up to `seconds` for them all to end."""
    deadline = time.monotonic() + seconds
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def _launch_queued_run(site: Site) -> str:
    """A run of the refresh job submitted to the instance's queue, as the UI submits one."""
    launched = subprocess.run(
        [DAGSTER, "job", "launch", "-w", str(REPO_ROOT / "workspace.yaml"), "-j", "monitor_refresh",
         "--tags", json.dumps({"dagster/partition": str(EDITION)})],
        env=site.env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert launched.returncode == 0, launched.stdout[-2000:] + launched.stderr[-2000:]
    from dagster import DagsterRunStatus, RunsFilter

    with site.instance() as instance:
        (queued,) = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.QUEUED]))
    return queued.run_id


def _run_daemon_until_finished(site: Site, run_id: str, seconds: float = 900) -> str:
    """Run Dagster's daemon (as `make ui` does) until the run has finished; its log."""
    log = site.warehouse / "daemon.log"
    with open(log, "w", encoding="utf-8") as out:
        daemon = subprocess.Popen([DAEMON, "run", "-w", str(REPO_ROOT / "workspace.yaml")], env=site.env,
                                  cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + seconds
        with site.instance() as instance:
            while time.monotonic() < deadline and daemon.poll() is None:
                run = instance.get_run_by_id(run_id)
                if run.is_finished:
                    break
                time.sleep(1)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)  # the daemon's own session: it and its code servers
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
    return log.read_text(encoding="utf-8")


def _failure_message(instance, run_id: str) -> str:
    from dagster import DagsterEventType

    (failure,) = instance.all_logs(run_id, of_type=DagsterEventType.RUN_FAILURE)
    return failure.dagster_event.message


@dataclass
class Kills:
    """What the kills left, each figure taken at its moment (see _kill_refreshes)."""

    site: Site
    old: dict  # schema monitor of the warehouse before the kills
    old_readers: dict  # schema monitor of published.duckdb before the kills
    old_export: str | None
    old_factsheets: str
    at_dbt: dict
    readers_after_dbt_kill: dict  # published.duckdb at once after the kill at dbt
    at_publish: dict
    left_by_dbt_kill: list[int]  # processes of the kill at dbt still running 120 s after the next kill
    after_publish_kill: tuple[dict, dict]  # (warehouse, published.duckdb)
    at_share: dict
    after_share_kill: tuple[dict, dict]
    export_after_kill: str | None
    factsheets_after_kill: str
    lock_after_share_kill: str
    share_run_status_after_kill: object  # its Dagster run status before anyone took the lock
    queued: str
    daemon_log: str
    notes: list[str]


def _kill_refreshes(root: Path) -> Kills:
    """kill -9 at dbt, at publish and in the share steps of a new delivery, one refresh after the
    other; then a run queued behind the last one and the daemon until it finished. A lane build
    (tests/lanes.py): only subprocesses and files of its own copy of the small site."""
    site = Site.copy_of(LANE.result("small_site"), root)
    old = monitor_state(site.database)
    old_readers = monitor_state(site.published)
    old_export = folder_state(site.warehouse / "exports" / str(EDITION))
    old_factsheets = factsheet_state(site.warehouse / "factsheets" / str(EDITION))
    # a new delivery, so that "new" differs from "old"
    generate_demo_edition(site.landing, EDITION, seed=12, overwrite=True, **SMALL)

    at_dbt = kill_refresh_at(site, "dbt_build")
    # what readers see at once, while the killed refresh's dbt may still be ending by itself
    readers_after_dbt_kill = monitor_state(site.published)
    at_publish = kill_refresh_at(site, "publish_monitor_tables")
    notes = [f"kill at dbt: its child process(es) {at_dbt['left_running']} still ran right after the kill"]
    left_by_dbt_kill = _still_running(at_dbt["children"])  # a dbt left by the kill ends by itself
    after_publish_kill = (monitor_state(site.database), monitor_state(site.published))
    at_share = kill_refresh_at(site, "share")
    after_share_kill = (monitor_state(site.database), monitor_state(site.published))
    export_after_kill = folder_state(site.warehouse / "exports" / str(EDITION))
    factsheets_after_kill = factsheet_state(site.warehouse / "factsheets" / str(EDITION))
    lock_after_share_kill = (site.warehouse / "warehouse.duckdb.refresh.lock").read_text()
    with site.instance() as instance:
        share_run_status = instance.get_run_by_id(at_share["run_id"]).status
    queued = _launch_queued_run(site)
    daemon_log = _run_daemon_until_finished(site, queued)
    return Kills(site, old, old_readers, old_export, old_factsheets, at_dbt, readers_after_dbt_kill, at_publish,
                 left_by_dbt_kill, after_publish_kill, at_share, after_share_kill, export_after_kill,
                 factsheets_after_kill, lock_after_share_kill, share_run_status, queued, daemon_log, notes)


# first after the small site (priority 1): the longest chain of the lane (small site, then the kills)
LANE.register("kills", _kill_refreshes, priority=1)


@pytest.fixture(scope="module")
def kills(tmp_path_factory) -> Kills:
    return LANE.result("kills", tmp_path_factory.mktemp)


@pytest.mark.pipeline
def test_killed_refreshes_leave_monitor_whole_and_block_no_later_run(kills, small_site):
    """kill -9 at dbt, at publish and while the exports/factsheets are written: each time schema
    monitor, published.duckdb and the output folders are the old state or the new one, the next
    `monitor refresh` takes the stale lock and marks the killed run failed, saying why; a run
    queued behind the last killed one is not stuck: the sensor marks the dead run failed, the
    daemon starts the queued run, which removes the work folders left and publishes."""
    from dagster import DagsterRunStatus

    site, old, at_dbt, at_publish, at_share, queued = kills.site, kills.old, kills.at_dbt, kills.at_publish, kills.at_share, kills.queued
    print("\n".join(kills.notes))
    # the refresh that built the site (the old state) said what it did not take as an edition
    assert f"{small_site.landing / f'{EDITION}-final'} not taken as an edition" in small_site.baseline_stdout
    assert without_log(kills.old_readers) == without_log(old)
    assert kills.readers_after_dbt_kill == kills.old_readers
    assert kills.left_by_dbt_kill == [], f"process(es) {kills.left_by_dbt_kill} left by a kill still run"
    assert at_share["work_folders"], "the kill in the exports/factsheets left no work folder to recover"
    assert kills.lock_after_share_kill.startswith(f"monitor refresh (pid {at_share['pid']},")  # stale: its holder is dead
    assert kills.share_run_status_after_kill == DagsterRunStatus.STARTED

    with site.instance() as instance:
        for earlier, next_one in ((at_dbt, at_publish), (at_publish, at_share)):
            assert instance.get_run_by_id(earlier["run_id"]).status == DagsterRunStatus.FAILURE
            assert _failure_message(instance, earlier["run_id"]) == (
                f"its process (pid {earlier['pid']}) ended without finishing (killed?); marked failed by "
                f"monitor refresh (pid {next_one['pid']}), which took the warehouse lock"
            )
        assert instance.get_run_by_id(queued).status == DagsterRunStatus.SUCCESS, kills.daemon_log[-3000:]
        assert _failure_message(instance, at_share["run_id"]) == (
            f"its process (pid {at_share['pid']}) ended without finishing (killed?); marked failed by the "
            "sensor stale_run_sensor"
        )
        queued_log = "\n".join(e.user_message or "" for e in instance.all_logs(queued))
    for folder in at_share["work_folders"]:
        assert not folder.exists() and f"removed {folder}, left by a refresh that was killed" in queued_log
    assert work_folders(site) == [] and not list(site.warehouse.glob(".published.duckdb.tmp-*"))
    new = monitor_state(site.database)
    assert without_log(new) != without_log(old)  # the new delivery changed what is published
    assert without_log(monitor_state(site.published)) == without_log(new)

    states = {"old": without_log(old), "new": without_log(new)}
    for what, (warehouse_state, readers_state) in {"publish": kills.after_publish_kill, "share": kills.after_share_kill}.items():
        seen = [name for name, state in states.items() if without_log(warehouse_state) == state]
        readers_seen = [name for name, state in states.items() if without_log(readers_state) == state]
        print(f"after the kill at {what}: schema monitor is {seen}, published.duckdb is {readers_seen}")
        assert seen and readers_seen, f"the kill at {what} left monitor neither old nor new"
    assert without_log(kills.after_share_kill[0]) == states["new"]  # the share steps run after publication
    assert kills.export_after_kill in (kills.old_export, at_share["run_id"])  # the old export whole, or the new one
    print(f"after the kill in the share steps: export of run {kills.export_after_kill}, factsheets "
          f"{'old' if kills.factsheets_after_kill == kills.old_factsheets else 'new'}")
    assert (site.warehouse / "warehouse.duckdb.refresh.lock").read_text() == ""


# -- failures outside the steps: Dagster's own storage ---------------------------------------


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MiB tmpfs (a real, small file system) mounted for the test; skipped where mounting
    is not allowed (not root, or no mount namespace rights)."""
    mount_point = tmp_path / "tiny_disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'mount failed'}); "
                    "the read-only storage test below still runs")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _refresh_with_home(landing: Path, warehouse: Path, home: Path) -> subprocess.CompletedProcess:
    env = cli_env(landing, warehouse, home)
    return subprocess.run([MONITOR, "refresh"], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def small_landing(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("storage") / "landing"
    generate_demo_edition(landing, EDITION, seed=5, n_respondents=300, population_fraction=0.02)
    return landing


def _fill(folder: Path) -> None:
    """Fill the file system of `folder` to the last byte."""
    with open(folder / "filler", "wb", buffering=0) as filler:
        for chunk in (65536, 1):  # large writes, then the last bytes one by one
            try:
                while True:
                    filler.write(b"\0" * chunk)
            except OSError:
                pass


def test_a_full_disk_under_dagster_storage_ends_in_a_summary(small_landing, tiny_disk, tmp_path):
    """DAGSTER_HOME on a full file system: the refresh ends in the summary (not a traceback):
    the edition NOT published, the disk named as full, where the traceback went, exit 1."""
    from dagster import DagsterInstance

    home = tiny_disk / "dagster_home"
    write_instance(home)
    DagsterInstance.from_config(str(home)).dispose()  # its storage exists, as after earlier refreshes
    _fill(tiny_disk)
    warehouse = tmp_path / "warehouse"
    result = _refresh_with_home(small_landing, warehouse, home)
    out = result.stdout
    print(out[-3000:], result.stderr[-3000:])
    assert result.returncode == 1
    assert "Traceback" not in out and "Traceback" not in result.stderr
    assert f"edition {EDITION} NOT published" in out
    flat = " ".join(out.split())  # the advice is wrapped at 100 characters
    assert f"The disk holding {home} is full or failing (0.0 MiB free): free space there" in flat
    (log,) = (warehouse / "logs").glob("refresh-*.log")
    assert f"full traceback: {log}" in out
    assert "sqlite3.OperationalError" in log.read_text()


def test_read_only_dagster_storage_ends_in_a_summary_with_the_error(small_landing, tmp_path):
    """Dagster's run storage that cannot be written (a real sqlite file on a file system
    remounted read-only; as root, file permissions would not stop the write): an error that
    shows no known cause; the summary gives its one line, what to do and where the full
    traceback is, exit 1."""
    from dagster import DagsterInstance

    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    try:
        home = mount_point / "dagster_home"
        write_instance(home)
        DagsterInstance.from_config(str(home)).dispose()
        subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
        warehouse = tmp_path / "warehouse"
        result = _refresh_with_home(small_landing, warehouse, home)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
    out = result.stdout
    print(out[-3000:], result.stderr[-3000:])
    assert result.returncode == 1 and "Traceback" not in out + result.stderr
    assert f"edition {EDITION} NOT published" in out
    # sqlite cannot create its journal there: "unable to open database file", which names no cause
    assert "error: sqlite3.OperationalError: unable to open database file" in out
    assert "what to do: Fix the cause the error names (the full traceback shows where it arose)" in out
    (log,) = (warehouse / "logs").glob("refresh-*.log")
    assert f"full traceback: {log}" in out


# -- the parts on their own, in seconds --------------------------------------------------------


def test_only_runs_whose_process_is_gone_are_stale(tmp_path):
    """A run whose recorded process is alive (e.g. waiting for the lock) is left alone; one
    whose process was killed, or whose pid now belongs to a later process, is stale; the marking
    says why and by whom, and a run that never recorded a process is left alone while recent."""
    from dagster import DagsterInstance, DagsterRunStatus, job, op

    from orchestration.lock import PROCESS_TAG, process_identity
    from orchestration.recovery import mark_stale_runs_failed, stale_runs

    @op
    def nothing():
        pass

    @job
    def some_job():
        nothing()

    write_instance(tmp_path / "home")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead_identity = process_identity(dead.pid)
    dead.send_signal(signal.SIGKILL)
    dead.wait()
    try:
        with DagsterInstance.from_config(str(tmp_path / "home")) as instance:
            runs = {}
            for name, tags in {
                "waiting": {PROCESS_TAG: process_identity(alive.pid)},
                "killed": {PROCESS_TAG: dead_identity},
                "reused pid": {PROCESS_TAG: f"{alive.pid}:1"},  # same pid, other start time
                "unrecorded": {},
            }.items():
                run = instance.create_run_for_job(some_job, tags=tags)
                _report_started(instance, run)
                runs[name] = run.run_id
            assert instance.get_run_by_id(runs["waiting"]).status == DagsterRunStatus.STARTED
            found = {s.run.run_id: s.why for s in stale_runs(instance)}
            assert set(found) == {runs["killed"], runs["reused pid"]}
            assert found[runs["killed"]] == f"its process (pid {dead.pid}) ended without finishing (killed?)"
            lines = mark_stale_runs_failed(instance, "the test")
            assert len(lines) == 2 and all("marked failed by the test" in line for line in lines)
            statuses = {name: instance.get_run_by_id(run_id).status for name, run_id in runs.items()}
            assert statuses == {"waiting": DagsterRunStatus.STARTED, "killed": DagsterRunStatus.FAILURE,
                                "reused pid": DagsterRunStatus.FAILURE, "unrecorded": DagsterRunStatus.STARTED}
    finally:
        alive.kill()
        alive.wait()


def _report_started(instance, run) -> None:
    """What a run worker reports first: the run has started (status STARTED)."""
    from dagster import DagsterEvent, DagsterEventType

    instance.report_dagster_event(
        DagsterEvent(event_type_value=DagsterEventType.RUN_START.value, job_name=run.job_name, message="started"),
        run_id=run.run_id,
    )


def test_leftover_work_folders_and_reader_copies_are_removed_but_nothing_else(tmp_path):
    """What a killed writer leaves (hidden work folders of a folder swap, a half-written
    published.duckdb) goes; the outputs themselves and other hidden files stay."""
    from orchestration.recovery import remove_leftovers

    warehouse = tmp_path / "warehouse"
    keep = [warehouse / "exports" / "2018", warehouse / "factsheets" / "2018", warehouse / "exports" / ".hidden"]
    left = [warehouse / "exports" / ".2018.building-ab12cd", warehouse / "factsheets" / ".2018.tmp-1a2b3c4d",
            warehouse / "factsheets" / ".2018.old-123-456"]
    for folder in keep + left:
        folder.mkdir(parents=True)
        (folder / "page.html").write_text("x")
    copy = warehouse / ".published.duckdb.tmp-4242"
    copy.write_bytes(b"half")
    (warehouse / "published.duckdb").write_bytes(b"whole")
    lines = remove_leftovers(warehouse)
    assert sorted(lines) == sorted(f"removed {p}, left by a refresh that was killed while writing it" for p in [*left, copy])
    assert all(p.exists() for p in keep) and not any(p.exists() for p in [*left, copy])
    assert (warehouse / "published.duckdb").read_bytes() == b"whole"


def test_folders_beside_the_editions_are_named_with_why(tmp_path):
    from monitor.landing.discover import skipped_folders

    for name in ("2018", "2018-final", "archief", ".git"):
        (tmp_path / name).mkdir()
    assert skipped_folders(tmp_path) == [
        f"{tmp_path / '2018-final'} not taken as an edition: an edition folder is named by its year alone; "
        f"to refresh this delivery as edition 2018, put its files in {tmp_path / '2018'}",
        f"{tmp_path / 'archief'} not taken as an edition: not named like an edition year (e.g. 2018)",
    ]
