"""Jobs: the whole refresh, with steps run one after another in one process, because DuckDB
allows one writer per file (parallel steps would fail with 'Could not set lock on file')."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

REFRESH_JOB_NAME = "monitor_refresh"

monitor_refresh_job = define_asset_job(
    name=REFRESH_JOB_NAME,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description=(
        "Land the survey and CBS files of the landing zone, validate them (GX), then stage, model "
        "and publish the monitor tables with dbt (dbt tests as checks). Config "
        "resources.landing.config.editions selects editions; empty = every edition found."
    ),
)
