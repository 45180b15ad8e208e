"""One refresh at a time per warehouse. DuckDB allows one writer per file, so every writer of
the warehouse holds an advisory lock on a file beside it (`warehouse.duckdb.refresh.lock`),
whose text says who holds it:

- `monitor refresh` holds it around all its editions; a second `monitor refresh` waits for the
  first (saying so) or, with --no-wait, stops at once with a message naming the holder;
- every run of the refresh job, however launched (the UI, the new-edition sensor, the yearly
  schedule, `dagster job execute`), holds it for the whole run through its `warehouse`
  resource (resources.WarehouseResource), and waits, saying so in the run's log, while
  another run or `monitor refresh` holds it.

The lock is re-entrant within one process: `monitor refresh` runs the job in its own process
while it holds the lock, and the job's resource then simply goes ahead (a second flock of the
same file in the same process would wait for itself forever). Readers are not affected: they
open `published.duckdb` (settings.published_path), a copy the writer never opens, replaced
whole at each publication (warehouse.write_reader_copy). (The Dagster instance also queues
UI-launched runs one at a time, see refresh.DAGSTER_YAML; the lock is what keeps them apart
from `monitor refresh`.)

Recovery after a kill (orchestration/recovery.py). A `kill -9` (or a crash, an OOM kill) of a
refresh leaves its Dagster run STARTED for ever, and Dagster's run queue (max_concurrent_runs:
1) then keeps every later UI, sensor and schedule run QUEUED ("1 runs are currently in
progress"). The flock itself dies with the process, so the next writer gets the warehouse; what
it must also do, whenever it takes the lock (`on_taken`: monitor refresh, and the warehouse
resource of a launched run), is mark every other unfinished run of the instance whose process is
gone as failed, saying why, and remove the work files such a process left (hidden build folders
of the tabellenboek and factsheets, a half-written published.duckdb). A run counts as gone by
its process, not merely because the lock is free: a run that is waiting for the lock is
unfinished but alive. Every run of the refresh job records its process (pid and start time, so
that a reused pid is not mistaken for it) in the run tag PROCESS_TAG; Dagster's own run worker
logs its pid too; a run with neither that has logged nothing for Dagster's start timeout
(run_monitoring.start_timeout_seconds, 180 s by default) counts as gone.

When nobody takes the lock (no new refresh, a run stuck in the queue behind the dead one),
automation.stale_run_sensor does the same marking every minute from the daemon of `make ui`.
Dagster's own run monitoring (`run_monitoring: enabled` in dagster.yaml) does not do this here:
for a STARTED run it asks the run launcher for the worker's health, and the DefaultRunLauncher
of a local instance does not support that (`supports_check_run_worker_health` is False in
dagster 1.13, dagster/_core/launcher/base.py; only the Docker/K8s/ECS launchers implement it),
and runs of `monitor refresh` run in process, with no launcher at all; it would only time out
runs stuck STARTING, which the rule above covers too, with the same timeout."""

import fcntl
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

CLI_HOLDER = "monitor refresh"
PROCESS_TAG = "monitor/process"  # "<pid>:<start time>" of the process running a run of the refresh job

# lock file -> pid of this process while it holds that lock (pid: a forked child holds nothing)
_held: dict[str, int] = {}
_held_guard = threading.Lock()


class WarehouseBusy(RuntimeError):
    """Another refresh holds the warehouse."""


# -- processes: who holds what, and whether a process is still the one that was recorded ------


def _start_time(pid: int) -> str | None:
    """The start time of process `pid` in clock ticks since boot (/proc/<pid>/stat field 22),
    which tells a live process from a later one that got the same pid; None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # fields after "(comm)", which may hold spaces


def process_identity(pid: int | None = None) -> str:
    """"<pid>:<start time>" of this process (or of `pid`), as recorded in PROCESS_TAG."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}:{_start_time(pid) or '?'}"


def process_alive(identity: str) -> bool:
    """Whether the process recorded as "<pid>:<start time>" (or a bare pid) still runs."""
    pid_text, _, started = identity.partition(":")
    if not pid_text.isdigit():
        return False
    now = _start_time(int(pid_text))
    if now is None:
        return False
    return not started or started == "?" or started == now


COMMAND_SHOWN = 200  # characters of a command line shown in a message


def process_command(pid: int) -> str | None:
    """The command line of process `pid`, when this user may read it."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    command = " ".join(raw.replace(b"\0", b" ").decode(errors="replace").split())  # one line
    return (command[:COMMAND_SHOWN] + " ..." if len(command) > COMMAND_SHOWN else command) or None


DUCKDB_LOCK_ERROR = re.compile(r"Could not set lock on file|Conflicting lock is held")
_DUCKDB_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def duckdb_lock_holder(message: str) -> str | None:
    """Who holds a DuckDB file, from DuckDB's lock error ("Conflicting lock is held in
    <program> (PID n)"), with the process's command line where /proc shows it."""
    match = _DUCKDB_HOLDER.search(message)
    if match is None:
        return None
    pid = int(match["pid"])
    command = process_command(pid)
    return f"PID {pid} ({command or match['program']})"


def lock_file_of(database: Path) -> Path:
    """The lock file beside the DuckDB file."""
    database = Path(database)
    return database.with_name(database.name + ".refresh.lock")


def _holder(lock_file: Path) -> str:
    text = lock_file.read_text(encoding="utf-8").strip() if lock_file.exists() else ""
    return text or "another process"


def _key(lock_file: Path) -> str:
    return os.path.realpath(lock_file)


def held_by_this_process(database: Path) -> bool:
    """Whether this process holds the refresh lock of `database`."""
    with _held_guard:
        return _held.get(_key(lock_file_of(database))) == os.getpid()


@contextmanager
def warehouse_lock(
    database: Path,
    wait: bool = True,
    on_wait: Callable[[str], None] = print,
    holder: str = CLI_HOLDER,
    on_taken: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold the refresh lock of `database` (an advisory lock on a file beside it); the lock
    file says "<holder> (pid N, started ...)" meanwhile. When this process holds it already
    (e.g. `monitor refresh` running the job in process), just go ahead. `on_taken` runs once
    the lock is taken (not when this process held it already): the recovery after a killed
    refresh, which only the holder may do."""
    lock_file = lock_file_of(database)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    key = _key(lock_file)
    if held_by_this_process(database):
        yield
        return
    with open(lock_file, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            current = _holder(lock_file)
            if not wait:
                raise WarehouseBusy(
                    f"{database} is being refreshed by {current}; run again when it has finished "
                    "(or without --no-wait to wait for it)"
                ) from None
            on_wait(f"waiting: {database} is being refreshed by {current} ...")
            fcntl.flock(handle, fcntl.LOCK_EX)  # a signal (Ctrl-C, run termination) interrupts it
        with _held_guard:
            _held[key] = os.getpid()
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{holder} (pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')})")
            handle.flush()
            if on_taken is not None:
                on_taken()
            yield
        finally:
            with _held_guard:
                _held.pop(key, None)
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
