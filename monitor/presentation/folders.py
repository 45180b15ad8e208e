"""Replacing an output folder for people (tabellenboek, factsheets) as a whole: the new
folder is built beside the old one and put in its place at the end, so a reader never sees a
half-written folder and a failed run leaves the previous one.

A kill -9 in the middle leaves the hidden work folder behind (a failed run removes its own):
`remove_leftover_work_folders` removes them, called by the next run once it holds the
warehouse lock (orchestration.recovery), which proves no live process is writing them."""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import time
from pathlib import Path

# The hidden work folders beside an output folder <name>: ".<name>.building-*" (the
# tabellenboek, monitor/exports/tabellenboek.py), ".<name>.tmp-*" (the factsheets,
# monitor/factsheets/write.py) and ".<name>.old-*" (the previous folder, swap_by_renames below).
WORK_FOLDER = re.compile(r"^\.(?P<target>[^/]+)\.(?:building|tmp|old)-[^/]+$")


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where the
    system or file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, f"cannot swap {first} and {second}: {os.strerror(code)}")


def replace_folder(new: Path, target: Path) -> None:
    """Put the finished folder `new` in the place of `target` (which may not exist yet); the
    old contents are deleted only once the new ones are in place."""
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new)  # now holds the previous export
        return
    swap_by_renames(new, target)


def swap_by_renames(new: Path, target: Path) -> None:
    """Where no atomic exchange exists: move the old folder aside, the new one in (putting
    the old one back if that fails), then delete the old one. Between the two renames the
    folder is briefly absent, never half-written."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}")
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def leftover_work_folders(parent: Path) -> list[Path]:
    """The work folders of a folder swap in `parent` (e.g. exports/ or factsheets/)."""
    if not parent.is_dir():
        return []
    return sorted(p for p in parent.iterdir() if p.is_dir() and not p.is_symlink() and WORK_FOLDER.match(p.name))


def remove_leftover_work_folders(parents: list[Path]) -> list[Path]:
    """Delete the work folders in each of `parents`; only for a caller that knows no live
    process writes them (the holder of the warehouse lock). Returns what it removed."""
    removed = []
    for parent in parents:
        for folder in leftover_work_folders(parent):
            shutil.rmtree(folder)
            removed.append(folder)
    return removed
