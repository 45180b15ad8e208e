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
open the file read-only between runs. (The Dagster instance also queues UI-launched runs one at
a time, see refresh.DAGSTER_YAML; the lock is what keeps them apart from `monitor refresh`.)"""

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

CLI_HOLDER = "monitor refresh"

# lock file -> pid of this process while it holds that lock (pid: a forked child holds nothing)
_held: dict[str, int] = {}
_held_guard = threading.Lock()


class WarehouseBusy(RuntimeError):
    """Another refresh holds the warehouse."""


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
) -> Iterator[None]:
    """Hold the refresh lock of `database` (an advisory lock on a file beside it); the lock
    file says "<holder> (pid N, started ...)" meanwhile. When this process holds it already
    (e.g. `monitor refresh` running the job in process), just go ahead."""
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
            yield
        finally:
            with _held_guard:
                _held.pop(key, None)
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
