"""The code location: assets, checks, jobs and resources, each defined beside its layer."""

from dagster import Definitions, in_process_executor, load_asset_checks_from_modules, load_assets_from_modules

from orchestration.assets import assessments, dbt, exports, factsheets, publish, raw
from orchestration.automation import new_edition_sensor, stale_run_sensor, yearly_refresh_schedule
from orchestration.checks import audit as audit_checks
from orchestration.checks import publish as publish_checks
from orchestration.checks import raw as raw_checks
from orchestration.checks import small_area as small_area_checks
from orchestration.checks import staging as staging_checks
from orchestration.checks import weighting as weighting_checks
from orchestration.failures import failed_run_explainer
from orchestration.fetch import fetch_cbs_job
from orchestration.jobs import monitor_refresh_job
from orchestration.progress import progress_console_logger
from orchestration.resources import build_resources


def build_definitions() -> Definitions:
    return Definitions(
        assets=load_assets_from_modules([raw, dbt, publish, exports, factsheets, assessments]),
        asset_checks=load_asset_checks_from_modules(
            [raw_checks, staging_checks, weighting_checks, audit_checks, small_area_checks, publish_checks]
        ),
        jobs=[monitor_refresh_job, fetch_cbs_job],
        sensors=[new_edition_sensor, stale_run_sensor, failed_run_explainer],
        schedules=[yearly_refresh_schedule],
        resources=build_resources(),
        loggers={"console": progress_console_logger},
        # also for assets materialized ad hoc from the UI: one process per run, so the run holds
        # the warehouse lock once (resources.WarehouseResource), not per step
        executor=in_process_executor,
    )


defs = build_definitions()
