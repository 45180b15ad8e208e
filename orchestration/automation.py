"""Routine refreshes: a sensor that notices a new edition folder in the landing zone, makes it
a partition and requests its run; a yearly schedule that refreshes every known edition; and a
sensor that keeps the run queue moving after a killed refresh (orchestration/lock.py)."""

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    schedule,
    sensor,
)

from monitor.landing.discover import LandingError, edition_folders, find_editions
from orchestration.jobs import monitor_refresh_job
from orchestration.partitions import EDITION_PARTITIONS_NAME, editions
from orchestration.resources import LandingZone


def complete_editions(landing: LandingZone) -> tuple[list[str], list[str]]:
    """Edition folders with a survey and CBS file, and what is wrong with the others (a
    delivery still being copied is simply not ready yet)."""
    from pathlib import Path

    ready, waiting = [], []
    for folder in edition_folders(Path(landing.path)):
        try:
            find_editions(Path(landing.path), [int(folder.name)])
            ready.append(folder.name)
        except LandingError as err:
            waiting.append(str(err))
    return ready, waiting


@sensor(
    job=monitor_refresh_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Registers each new, complete edition folder of the landing zone as a partition and requests its refresh.",
)
def new_edition_sensor(context: SensorEvaluationContext, landing: LandingZone):
    try:
        ready, waiting = complete_editions(landing)
    except LandingError as err:
        return SkipReason(str(err))
    known = set(context.instance.get_dynamic_partitions(EDITION_PARTITIONS_NAME))
    new = [edition for edition in ready if edition not in known]
    if not new:
        return SkipReason("no new edition folder" + (f"; not ready: {'; '.join(waiting)}" if waiting else ""))
    return SensorResult(
        run_requests=[RunRequest(partition_key=edition, run_key=f"new-edition-{edition}") for edition in new],
        dynamic_partitions_requests=[editions.build_add_request(new)],
    )


@schedule(
    job=monitor_refresh_job,
    cron_schedule="0 6 1 3 *",  # 1 March, 06:00: after CBS has published the key figures of the year
    execution_timezone="Europe/Amsterdam",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Yearly refresh of every known edition (turn on in the UI once the monitor runs in production).",
)
def yearly_refresh_schedule(context: ScheduleEvaluationContext):
    known = sorted(context.instance.get_dynamic_partitions(EDITION_PARTITIONS_NAME))
    if not known:
        return SkipReason("no edition registered yet; the new-edition sensor registers them")
    year = context.scheduled_execution_time.year
    return [RunRequest(partition_key=edition, run_key=f"yearly-{year}-{edition}") for edition in known]


@sensor(
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Marks runs whose process is gone (a refresh killed with kill -9, an OOM kill) failed, so that the "
        "runs queued behind them start; the holder of the warehouse lock does the same (orchestration/recovery.py)."
    ),
)
def stale_run_sensor(context: SensorEvaluationContext):
    from orchestration.recovery import mark_stale_runs_failed

    lines = mark_stale_runs_failed(context.instance, f"the sensor {STALE_RUN_SENSOR}")
    for line in lines:
        context.log.warning(line)
    return SkipReason("; ".join(lines) if lines else "no run whose process is gone")


STALE_RUN_SENSOR = stale_run_sensor.name
