"""`monitor ui` (what `make ui` runs): it says it is ready only once the Dagster UI answers, serves
the warehouse's reports beside it for the links in the UI, and stops with every process it
started on Ctrl-C (SIGINT) and on SIGTERM. Both runs are a lane build (tests/lanes.py): only
subprocesses, on a warehouse folder of their own."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import MONITOR, SESSION_ENV

from tests.lanes import LANE

pytestmark = pytest.mark.pipeline
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status
    except OSError:
        return None


def _processes_naming(text: str) -> list[str]:
    """Command lines of live processes that mention `text` (the run's own DAGSTER_HOME)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environment = (entry / "environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if text in command or text in environment:
            found.append(f"{entry.name}: {command[:120]}")
    return found


@dataclass
class UiRun:
    output: str
    ready_line: str
    ui_status: int | None  # of /server_info once said ready
    report_status: int | None  # of a file under the warehouse, from the reports server
    returncode: int
    seconds_to_stop: float
    left_over: list[str]


def _run_ui(root: Path, name: str) -> UiRun:
    warehouse = root / "warehouse"
    (warehouse / "data_quality").mkdir(parents=True)  # parents: root is new
    (warehouse / "data_quality" / "index.html").write_text("<p>rapport</p>", encoding="utf-8")
    port, reports = _free_port(), _free_port()
    env = {**SESSION_ENV, "MONITOR_WAREHOUSE": str(warehouse), "MONITOR_LANDING": str(root / "landing"),
           "MONITOR_REPORTS_PORT": str(reports)}  # fmt: skip
    env.pop("DAGSTER_HOME", None)
    process = subprocess.Popen([MONITOR, "ui", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
    lines, ready = [], ""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        line = process.stdout.readline()
        lines.append(line)
        if "ready after" in line:
            ready = line
            break
    ui_status = _status(f"http://127.0.0.1:{port}/server_info") if ready else None
    report_status = _status(f"http://127.0.0.1:{reports}/data_quality/index.html") if ready else None
    started = time.monotonic()
    process.send_signal(SIGNALS[name])
    try:
        rest, _ = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        rest, _ = process.communicate()
    stopped = time.monotonic() - started
    time.sleep(1)  # what it stopped has had a moment to go
    return UiRun("".join(lines) + rest, ready, ui_status, report_status, process.returncode, stopped,
                 _processes_naming(str(warehouse)))  # fmt: skip


def _run_both(root: Path) -> dict[str, UiRun]:
    return {name: _run_ui(root / name, name) for name in SIGNALS}


LANE.register("ui_runs", _run_both)


@pytest.fixture(scope="module")
def ui_runs(tmp_path_factory) -> dict[str, UiRun]:
    return LANE.result("ui_runs", tmp_path_factory.mktemp)


@pytest.mark.parametrize("name", list(SIGNALS))
def test_ui_says_ready_only_when_it_answers(ui_runs, name):
    run = ui_runs[name]
    assert run.ready_line, run.output[-3000:]
    assert run.ui_status == 200  # said ready: it answers
    assert "reports: http://127.0.0.1:" in run.ready_line


@pytest.mark.parametrize("name", list(SIGNALS))
def test_the_reports_of_the_warehouse_are_served_for_the_links_in_the_ui(ui_runs, name):
    assert ui_runs[name].report_status == 200


@pytest.mark.parametrize("name", list(SIGNALS))
def test_a_signal_stops_the_ui_and_every_process_it_started(ui_runs, name):
    run = ui_runs[name]
    assert run.returncode == 0, run.output[-3000:]
    assert "monitor ui: stopping" in run.output
    assert run.left_over == [], run.left_over
