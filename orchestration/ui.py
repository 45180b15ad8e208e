"""`monitor ui` / `make ui`: the Dagster UI on 127.0.0.1, said to be ready only once it answers,
beside a read-only web server for the warehouse's reports (data-quality reports, factsheets,
dbt docs, assessments), so that the links in the UI's check metadata open (a browser will not
open a local file from a web page). Ctrl-C or SIGTERM stops everything it started.

`dagster dev` stops its webserver and daemon on SIGINT but not on SIGTERM (they would keep
running), so it runs in a process group of its own: on either signal it gets SIGINT, and what is
left of its group after a grace period is killed."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from monitor import settings

READY_TIMEOUT = 300  # seconds to wait for the webserver's first answer
GRACE = 20  # seconds `dagster dev` gets to stop its services before they are killed


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the terminal shows the UI's state, not every file served
        pass


def serve_reports(folder: Path, host: str, port: int) -> ThreadingHTTPServer:
    """The warehouse folder, read-only, on http://host:port/ (in a thread of this process)."""
    server = ThreadingHTTPServer((host, port), functools.partial(_QuietHandler, directory=str(folder)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name="reports").start()
    return server


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until_ready(
    process: subprocess.Popen, url: str, stopping: threading.Event, timeout: float = READY_TIMEOUT
) -> float | None:
    """Seconds until `url` answered, or None when the process ended, a stop was asked or the
    time ran out first."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None or stopping.is_set():
            return None
        if _answers(url):
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def stop(process: subprocess.Popen, grace: float = GRACE) -> None:
    """SIGINT to `dagster dev` (it shuts its services down), then SIGKILL to whatever of its
    process group is left."""
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=grace)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the webserver, daemon and code servers, if still there
    except ProcessLookupError:
        pass
    process.wait()


def run_ui(host: str, port: int) -> int:
    from orchestration.refresh import dagster_home

    dagster_home()
    warehouse = settings.warehouse_dir()
    warehouse.mkdir(parents=True, exist_ok=True)
    try:
        reports = serve_reports(warehouse, host, settings.reports_port())
    except OSError as error:  # the port is taken: the UI works, its report links do not
        print(f"monitor ui: cannot serve the reports on port {settings.reports_port()} ({error}); set "
              "MONITOR_REPORTS_PORT to a free port for the links in the UI", file=sys.stderr, flush=True)  # fmt: skip
        reports = None
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-w", str(settings.REPO_ROOT / "workspace.yaml"), "-h", host, "-p", str(port)]
    process = subprocess.Popen(command, start_new_session=True)  # its own group: see the module docstring

    stopping = threading.Event()

    def on_signal(number, frame) -> None:
        stopping.set()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, on_signal)
    url = f"http://{host}:{port}"
    print(f"monitor ui: starting the Dagster UI (DAGSTER_HOME={os.environ['DAGSTER_HOME']}) ...", flush=True)
    try:
        seconds = wait_until_ready(process, f"{url}/server_info", stopping)
        if seconds is None and stopping.is_set():
            print("monitor ui: stopping ...", flush=True)
            return 0
        if seconds is None:
            print(f"monitor ui: the Dagster UI did not come up on {url} (exit {process.poll()}); see its output above",
                  file=sys.stderr, flush=True)  # fmt: skip
            return 1
        served = f"; reports: http://{host}:{reports.server_port}/" if reports else ""
        print(f"monitor ui: ready after {seconds:.0f} s: {url}{served} (Ctrl-C stops it)", flush=True)
        while not stopping.wait(0.5):
            if process.poll() is not None:
                print(f"monitor ui: dagster dev ended (exit {process.returncode})", file=sys.stderr, flush=True)
                return 1
        print("monitor ui: stopping ...", flush=True)
        return 0
    finally:
        stop(process)
        if reports is not None:
            reports.shutdown()
