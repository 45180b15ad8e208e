"""One refresh at a time per warehouse. DuckDB allows one writer per file, so a second
`monitor refresh` on the same warehouse waits for the first (saying so) or, with --no-wait,
stops at once with a message naming who holds the warehouse. Readers are not affected: they
open the file read-only between runs. (Runs launched from the UI are queued one at a time by
the Dagster instance, see refresh.DAGSTER_YAML.)"""

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class WarehouseBusy(RuntimeError):
    """Another refresh holds the warehouse."""


def _holder(lock_file: Path) -> str:
    text = lock_file.read_text(encoding="utf-8").strip() if lock_file.exists() else ""
    return text or "another process"


@contextmanager
def warehouse_lock(database: Path, wait: bool = True, on_wait: Callable[[str], None] = print) -> Iterator[None]:
    """Hold the refresh lock of `database` (an advisory lock on a file beside it)."""
    lock_file = database.with_name(database.name + ".refresh.lock")
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(lock_file)
            if not wait:
                raise WarehouseBusy(
                    f"{database} is being refreshed by {holder}; run again when it has finished "
                    "(or without --no-wait to wait for it)"
                ) from None
            on_wait(f"waiting: {database} is being refreshed by {holder} ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"monitor refresh (pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')})")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
