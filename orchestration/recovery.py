"""Recovery after a killed refresh (see orchestration/lock.py for the why): runs left STARTED
by a process that is gone are marked failed, so that Dagster's run queue moves on, and the work
files such a process left in the warehouse folder are removed.

Called by whoever takes the warehouse lock (monitor refresh; the warehouse resource of a run
launched from the UI, the sensor or the schedule) and every minute by
automation.stale_run_sensor, for a queue stuck while nobody takes the lock."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

from monitor.presentation.folders import remove_leftover_work_folders
from monitor.settings import published_path
from orchestration.lock import PROCESS_TAG, process_alive
from orchestration.warehouse import READER_COPY_WORK

# runs Dagster's run queue counts as taking a place (dagster ACTIVE_RUN_STATUSES)
UNFINISHED = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
# Dagster's run worker logs this engine event first thing (dagster/_grpc/impl.py, _cli/api.py)
_DAGSTER_WORKER_PID = re.compile(r"^Started process for run \(pid: (\d+)\)")


@dataclass(frozen=True)
class StaleRun:
    run: DagsterRun
    why: str  # what shows that its process is gone


def _recorded_process(instance: DagsterInstance, run: DagsterRun) -> str | None:
    """The process running `run`: ours (PROCESS_TAG, pid and start time), else the pid Dagster's
    run worker logged; None when the run never recorded one."""
    if PROCESS_TAG in run.tags:
        return run.tags[PROCESS_TAG]
    for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT):
        match = _DAGSTER_WORKER_PID.match(entry.dagster_event.message or "")
        if match:
            return match[1]
    return None


def _seconds_quiet(instance: DagsterInstance, run: DagsterRun) -> float:
    """Seconds since the run last logged anything."""
    records = instance.get_records_for_run(run.run_id, limit=1, ascending=False).records
    last = records[0].event_log_entry.timestamp if records else 0.0
    return time.time() - last


def stale_runs(instance: DagsterInstance, own_run_id: str | None = None) -> list[StaleRun]:
    """Every unfinished run of `instance` but `own_run_id` whose process is gone. A run waiting
    for the warehouse lock is unfinished but alive, so the test is its process (pid and start
    time), not the lock; a run that never recorded a process counts as gone once it has been
    quiet for Dagster's start timeout (run_monitoring.start_timeout_seconds, default 180 s)."""
    found = []
    for run in instance.get_runs(filters=RunsFilter(statuses=UNFINISHED)):
        if run.run_id == own_run_id:
            continue
        process = _recorded_process(instance, run)
        if process is not None:
            if not process_alive(process):
                found.append(StaleRun(run, f"its process (pid {process.partition(':')[0]}) ended without finishing (killed?)"))
            continue
        quiet = _seconds_quiet(instance, run)
        if quiet > instance.run_monitoring_start_timeout_seconds:
            found.append(StaleRun(run, f"it never recorded its process and has logged nothing for {quiet:.0f} s (its process ended without finishing?)"))
    return found


def mark_stale_runs_failed(instance: DagsterInstance, marked_by: str, own_run_id: str | None = None) -> list[str]:
    """Mark every stale run failed, with the reason in its event log; one line per run."""
    lines = []
    for stale in stale_runs(instance, own_run_id):
        message = f"{stale.why}; marked failed by {marked_by}"
        instance.report_run_failed(stale.run, message)
        lines.append(f"Dagster run {stale.run.run_id} ({stale.run.job_name}, was {stale.run.status.value}): {message}")
    return lines


def remove_leftovers(warehouse_folder: Path) -> list[str]:
    """Remove what a killed writer left in the warehouse folder: the hidden work folders of the
    output folder swaps (exports/, factsheets/, ...) and a half-written copy of published.duckdb.
    Only for the holder of the warehouse lock: no live process writes them then."""
    if not warehouse_folder.is_dir():
        return []
    parents = [p for p in warehouse_folder.iterdir() if p.is_dir() and not p.is_symlink()]
    removed = remove_leftover_work_folders(parents)
    target = published_path(warehouse_folder)
    copies = sorted(warehouse_folder.glob(READER_COPY_WORK.format(name=target.name) + "*"))
    for copy in copies:
        copy.unlink()
    return [f"removed {path}, left by a refresh that was killed while writing it" for path in [*removed, *copies]]


def recover(
    instance: DagsterInstance | None,
    database: Path,
    holder: str,
    own_run_id: str | None = None,
    say: Callable[[str], None] = print,
) -> list[str]:
    """What the new holder of the warehouse lock of `database` does first; says and returns
    what it did."""
    lines = remove_leftovers(Path(database).parent)
    if instance is not None:
        lines = mark_stale_runs_failed(instance, f"{holder}, which took the warehouse lock", own_run_id) + lines
    for line in lines:
        say(line)
    return lines
