"""Shared fixtures: a small demo edition and a warehouse built from it by the real Dagster job.

The pipeline tests materialize every asset (raw loaders, GX checks, dbt build) into a
temporary warehouse, as `monitor refresh` does; only the size of the demo edition differs.
Long builds that need nothing of this process run in a second lane beside the tests
(tests/lanes.py): `small_site` here, and builds registered by the pipeline test modules."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from monitor.demo import generate_demo_edition
from monitor.settings import REPO_ROOT
from tests.lanes import LANE, SESSION_ENV

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
# A small edition for the tests of the refresh's machinery (locks, kills, readers), where the
# figures do not matter: a refresh costs about the same at any size (fixed overhead).
SMALL = {"n_respondents": 2000, "population_fraction": 0.05}
SMALL_SEED = 11
MONITOR = str(Path(sys.executable).with_name("monitor"))
DAGSTER = str(Path(sys.executable).with_name("dagster"))


_SESSION_START = time.monotonic()


def pytest_collection_modifyitems(session, config, items) -> None:
    """The modules whose tests use no lane build first (in their own order), then those that
    do, by the latest priority of the builds they use: the tests then wait for a build only once
    nothing else is left to run, while the lane builds beside them. Each module's tests keep
    their order and stay together (module fixtures are built once)."""
    priorities = LANE.priorities()
    modules: dict[object, int | None] = {}  # module path -> latest build priority (None: no build)
    for item in items:
        used = [priorities[name] for name in getattr(item, "fixturenames", ()) if name in priorities]
        latest = modules.get(item.path)
        modules[item.path] = max([*used, *([] if latest is None else [latest])], default=None)
    position = {path: index for index, path in enumerate(modules)}

    def key(item):
        latest = modules[item.path]
        return (0, 0, position[item.path]) if latest is None else (1, latest, position[item.path])

    items.sort(key=key)  # stable: the order within a module stays


def pytest_collection_finish(session) -> None:
    """Start the lane builds the collected tests use, in the order they first need them."""
    if session.config.option.collectonly:
        return
    needed = list(dict.fromkeys(name for item in session.items for name in getattr(item, "fixturenames", ())))
    factory = session.config._tmp_path_factory
    # the session's temporary folder made here, before the lane's threads: made by two threads at
    # once, one of them saw the other's half-made folder and refused its mktemp
    factory.getbasetemp()
    LANE.start(needed, factory.mktemp)


def pytest_sessionfinish(session) -> None:
    LANE.finish()


def pytest_terminal_summary(terminalreporter) -> None:
    lines = LANE.report(_SESSION_START)
    if lines:
        terminalreporter.write_sep("-", "lane builds (tests/lanes.py): where, when, how long")
        for line in lines:
            terminalreporter.write_line(line)


def cli_env(landing: Path, warehouse: Path, home: Path | None = None) -> dict:
    """The environment of a `monitor` subprocess on this landing zone and warehouse (the
    session's own environment otherwise: see tests/lanes.py); its Dagster instance in `home`,
    or the default <warehouse>/dagster_home when None."""
    env = {**SESSION_ENV, "MONITOR_LANDING": str(landing), "MONITOR_WAREHOUSE": str(warehouse)}
    for name in ("DAGSTER_HOME", "MONITOR_DUCKDB_PATH"):
        env.pop(name, None)
    if home is not None:
        env["DAGSTER_HOME"] = str(home)
    return env


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


CHILD_REFRESH = """
import pickle, sys
from pathlib import Path
from tests.conftest import refresh
editions = [int(e) for e in sys.argv[4].split(",")] if sys.argv[4] else None
Path(sys.argv[3]).write_bytes(pickle.dumps(refresh(Path(sys.argv[1]), Path(sys.argv[2]), editions)))
"""


def refresh_in_child(landing: Path, warehouse: Path, editions: list[int] | None = None):
    """refresh() in a Python process of its own, for a lane build: the refresh takes its
    landing zone and warehouse from os.environ, which belongs to the tests of the main lane.
    The same job on an ephemeral instance; its report comes back whole."""
    warehouse.mkdir(parents=True, exist_ok=True)
    report_file = warehouse.parent / f"{warehouse.name}.report.pickle"
    child = subprocess.run(
        [sys.executable, "-c", CHILD_REFRESH, str(landing), str(warehouse), str(report_file),
         ",".join(str(e) for e in editions or [])],
        cwd=REPO_ROOT, env=SESSION_ENV, capture_output=True, text=True,
    )  # fmt: skip
    if child.returncode != 0:
        raise AssertionError(f"the refresh of {landing} in a child process ended with exit {child.returncode}:\n"
                             f"{child.stdout[-3000:]}\n{child.stderr[-3000:]}")
    return pickle.loads(report_file.read_bytes())


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


@pytest.fixture(scope="session")
def built_demo_docs(built_demo) -> subprocess.CompletedProcess:
    """`monitor docs` once on the demo warehouse (the dbt docs test and the privacy scan of
    every file written for people both need its output; it writes the same files each time)."""
    return subprocess.run([MONITOR, "docs"], env=cli_env(built_demo.landing, built_demo.warehouse),
                          capture_output=True, text=True, timeout=300)


# -- a small site: two refreshes at once (tests/test_concurrency.py), shared by copying ----


def _wait_for_lock_holder(lock_file: Path, process: subprocess.Popen, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if lock_file.exists() and lock_file.read_text().strip():
            return lock_file.read_text()
        time.sleep(0.2)
    raise AssertionError("the first refresh never took the warehouse lock")


@dataclass
class LaunchedBesideCli:
    """What happened when a run of the refresh job was launched while `monitor refresh` ran."""

    landing: Path
    warehouse: Path
    home: Path
    respondents: int  # in the demo edition's survey
    cli: subprocess.Popen
    cli_out: str
    cli_holder: str  # the lock file's text once the CLI refresh had taken it
    launched: subprocess.Popen | None
    launched_out: str
    launched_holder: str  # the lock file's text once the launched run had taken it
    busy: subprocess.CompletedProcess | None  # `monitor refresh --no-wait` meanwhile
    seconds: float


def _launch_beside_cli(root: Path) -> LaunchedBesideCli:
    """`monitor refresh`, and once it holds the warehouse, the refresh job in a process of its
    own (`dagster job execute`); once that holds the warehouse, `monitor refresh --no-wait`. A lane
    build (tests/lanes.py): only subprocesses, on a landing zone and warehouse of its own. What
    it leaves is also the suite's small site (small_site)."""
    from dagster import DagsterInstance

    from orchestration.partitions import EDITION_PARTITIONS_NAME

    landing, warehouse = root / "landing", root / "warehouse"
    demo = generate_demo_edition(landing, EDITION, seed=SMALL_SEED, **SMALL)
    (landing / f"{EDITION}-final").mkdir()  # beside 2018: said, not taken as an edition
    home = warehouse / "dagster_home"  # one instance for both, as `make ui` shares the CLI's
    write_instance(home)
    with DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions(EDITION_PARTITIONS_NAME, ["2018"])  # as the sensor does
    env = cli_env(landing, warehouse, home)
    lock_file = warehouse / "warehouse.duckdb.refresh.lock"

    started = time.monotonic()
    cli = subprocess.Popen([MONITOR, "refresh"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    launched = busy = None
    cli_holder = launched_holder = launched_out = ""
    try:
        cli_holder = _wait_for_lock_holder(lock_file, cli)
        launched = subprocess.Popen(
            [DAGSTER, "job", "execute", "-m", "orchestration.definitions", "-j", "monitor_refresh",
             "--tags", '{"dagster/partition": "2018"}'],
            env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        cli_out, _ = cli.communicate(timeout=600)
        # now the launched run holds the warehouse, and says so to a CLI refresh
        launched_holder = _wait_for_lock_holder(lock_file, launched)
        busy = subprocess.run([MONITOR, "refresh", "--no-wait"], env=env, capture_output=True, text=True, timeout=120)
        launched_out, _ = launched.communicate(timeout=600)
    finally:
        for process in (cli, launched):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    return LaunchedBesideCli(landing, warehouse, home, demo.summary["respondents"], cli, cli_out, cli_holder,
                             launched, launched_out, launched_holder, busy, time.monotonic() - started)


@dataclass
class BuiltSite:
    """A landing zone with a small demo edition (and a folder beside it that is not an edition)
    and its warehouse, refreshed by `monitor refresh` (whose output is `baseline_stdout`), its
    Dagster instance in <warehouse>/dagster_home."""

    landing: Path
    warehouse: Path
    baseline_stdout: str

    @property
    def home(self) -> Path:
        return self.warehouse / "dagster_home"

    @property
    def env(self) -> dict:
        return cli_env(self.landing, self.warehouse, self.home)

    def copy(self, root: Path) -> BuiltSite:
        """A copy to change (a refresh, a kill): the landing zone and the whole warehouse folder,
        far cheaper than refreshing again; its baseline is the original's."""
        landing, warehouse = root / "landing", root / "warehouse"
        shutil.copytree(self.landing, landing, symlinks=True)
        shutil.copytree(self.warehouse, warehouse, symlinks=True)
        return BuiltSite(landing, warehouse, self.baseline_stdout)


def write_instance(home: Path) -> None:
    """A Dagster instance on disk, as `monitor refresh` writes one."""
    from orchestration.refresh import DAGSTER_YAML

    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")


def _small_site(root: Path) -> BuiltSite:
    """What the two refreshes of tests/test_concurrency.py leave (a small edition, published),
    rather than a third refresh of the same edition; `monitor refresh` was the first of them."""
    run = LANE.result("launched_beside_cli")
    assert run.cli.returncode == 0 and run.launched.returncode == 0, run.cli_out[-3000:] + run.launched_out[-3000:]
    return BuiltSite(run.landing, run.warehouse, run.cli_out)


LANE.register("launched_beside_cli", _launch_beside_cli)
# as late as the kills that use it first (priority 1): a lane worker that took it at once would wait
# for launched_beside_cli, not build anything
LANE.register("small_site", _small_site, priority=1)


@pytest.fixture(scope="session")
def small_site(tmp_path_factory) -> BuiltSite:
    """Never changed by a test: copy it (BuiltSite.copy) to refresh or kill in it."""
    return LANE.result("small_site", tmp_path_factory.mktemp)
