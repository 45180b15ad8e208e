"""Measuring a child process: wall time and the peak resident memory of its whole process tree
(the Python process plus its dbt subprocesses, sampled from /proc), for the benchmark."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.05


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        found = []
        for task in tasks:
            text = (task / "children").read_text().split()
            found += [int(c) for c in text]
        return found
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def tree_rss(pid: int) -> tuple[int, int]:
    """Resident bytes of `pid` and of all its descendants together, now."""
    root, descendants, todo = _rss(pid), 0, _children(pid)
    while todo:
        current = todo.pop()
        descendants += _rss(current)
        todo += _children(current)
    return root, descendants


class TreeSampler(threading.Thread):
    """Polls the resident memory of a process tree until stopped; keeps the peaks (of the
    whole tree, of the root process, of its descendants)."""

    def __init__(self, pid: int, limit: int | None = None):
        super().__init__(daemon=True)
        self.pid, self.peak, self.peak_root, self.peak_descendants, self.samples = pid, 0, 0, 0, 0
        self.limit, self.killed = limit, False
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            root, descendants = tree_rss(self.pid)
            self.peak = max(self.peak, root + descendants)
            self.peak_root = max(self.peak_root, root)
            self.peak_descendants = max(self.peak_descendants, descendants)
            self.samples += 1
            if self.limit and root + descendants > self.limit and not self.killed:
                # the machine is shared: stop the run (its own session) rather than let it swap or OOM
                self.killed = True
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self._stop_event.wait(SAMPLE_SECONDS)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


@dataclass
class ChildRun:
    wall_seconds: float
    returncode: int
    peak_tree_rss: int  # bytes, sampled: the process and its descendants together
    peak_root_rss: int = 0  # the process alone
    peak_descendants_rss: int = 0  # its subprocesses (dbt) together
    result: dict = field(default_factory=dict)  # what the child wrote as JSON
    stdout_tail: str = ""
    killed: bool = False  # stopped for exceeding max_rss


def run_child(args: list[str], result_path: Path, env: dict | None = None, log_path: Path | None = None,
              max_rss: int | None = None) -> ChildRun:
    """Run `python args...` in a fresh interpreter (its own session); the child writes its JSON
    result to result_path. Wall time counts from just before the process is created to its
    exit. With max_rss (bytes), the child's process tree is killed when its resident memory
    exceeds it (ChildRun.killed)."""
    result_path.unlink(missing_ok=True)
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    started = time.time()
    child_env = {**os.environ, **(env or {}), "BENCH_LAUNCHED_AT": repr(started)}
    process = subprocess.Popen([sys.executable, *args], env=child_env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    sampler = TreeSampler(process.pid, max_rss)
    sampler.start()
    returncode = process.wait()
    wall = time.time() - started
    peak = sampler.stop()
    if log_path:
        log.close()
    result = json.loads(result_path.read_text()) if result_path.exists() else {}
    tail = ""
    if log_path and log_path.exists():
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
    return ChildRun(wall, returncode, peak, sampler.peak_root, sampler.peak_descendants, result, tail, sampler.killed)


def self_usage() -> dict:
    """Peak RSS of this process and of its largest waited-for child, in bytes. The children's
    figure counts a forked child's copy of this process before it execs dbt, so it is never
    below this process's RSS at the fork: the sampled figures of run_child are the ones to use."""
    return {
        "maxrss_self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "maxrss_children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "cpu_self": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
        "cpu_children": sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2]),
    }


def launched_at() -> float | None:
    value = os.environ.get("BENCH_LAUNCHED_AT")
    return float(value) if value else None


def machine() -> dict:
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
    total_kib = int(meminfo["MemTotal"].split()[0])
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "cores": os.cpu_count(),
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": round(total_kib / 2**20, 1),
        "cpu": model,
        "loadavg": os.getloadavg(),
    }
