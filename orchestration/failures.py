"""Why a refresh run failed, said where an auditor looks first. Dagster ends a failed run with
"Steps failed" and an error line for every step the failure kept from running (20 or more),
which bury the one real failure. After the run, its event log gets one last entry, "Why this run
failed", with each failing blocking check's summary (or the step's error) and what to do, and the
run a tag `monitor/failure` that the runs list shows. `monitor refresh` writes it after each
failed edition; for runs launched from the UI, the sensor `failed_run_explainer` does."""

from __future__ import annotations

from dagster import (
    AssetCheckSeverity,
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    RunFailureSensorContext,
    run_failure_sensor,
)

from orchestration.checks.remedies import advice, step_advice
from orchestration.jobs import monitor_refresh_job

FAILURE_TAG = "monitor/failure"
HEADING = "Why this run failed"


def _edition(run) -> int | None:
    partition = run.tags.get("dagster/partition")
    return int(partition) if partition and partition.isdigit() else None


def explanation(instance: DagsterInstance, run_id: str) -> tuple[str, str] | None:
    """(one line for the tag, the whole explanation), or None when the run has no failure."""
    run = instance.get_run_by_id(run_id)
    edition = _edition(run)
    checks, steps = [], []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
                summary = (evaluation.metadata or {}).get("failure_summary")
                key = evaluation.asset_check_key
                guidance = advice(key.asset_key, key.name, edition)
                checks.append((key.to_user_string(), str(summary.value) if summary else "", guidance.what_to_do))
        elif event.event_type == DagsterEventType.STEP_FAILURE and "DagsterAssetCheckFailedError" not in str(event.message):
            error = event.event_specific_data.error
            message = str((error.cause or error).message).strip() if error else ""
            steps.append((event.step_key, message, step_advice(event.step_key, edition, message)))
    if not checks and not steps:
        return None
    parts = [f"check {name} failed:\n{summary}\nWhat to do: {todo}" for name, summary, todo in checks]
    parts += [f"step {step} failed: {message}\nWhat to do: {todo}" for step, message, todo in steps]
    first = checks[0][0] if checks else steps[0][0]
    short = f"{len(checks)} blocking check(s) failed, first {first}" if checks else f"step {first} failed"
    return short, f"{HEADING} (edition {edition}): " + "\n\n".join(parts)


def explain(instance: DagsterInstance, run_id: str) -> str | None:
    """Add the explanation to the failed run's event log and tags; returns it (None: nothing failed)."""
    found = explanation(instance, run_id)
    if found is None:
        return None
    short, text = found
    run = instance.get_run_by_id(run_id)
    instance.report_engine_event(text, run)
    instance.add_run_tags(run_id, {FAILURE_TAG: short[:250]})
    return text


@run_failure_sensor(
    monitored_jobs=[monitor_refresh_job],
    default_status=DefaultSensorStatus.RUNNING,
    description="Ends every failed refresh run's event log with why it failed and what to do (see orchestration/failures.py).",
)
def failed_run_explainer(context: RunFailureSensorContext):
    run_id = context.dagster_run.run_id
    if FAILURE_TAG not in context.dagster_run.tags:  # `monitor refresh` explained its own runs already
        explain(context.instance, run_id)
