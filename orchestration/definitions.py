"""The code location: assets, checks, jobs and resources, each defined beside its stage."""

from dagster import (
    Definitions,
    load_asset_checks_from_modules,
    load_assets_from_modules,
)

from orchestration.assets import dbt, raw
from orchestration.checks import raw as raw_checks
from orchestration.jobs import monitor_refresh_job
from orchestration.resources import build_resources


def build_definitions() -> Definitions:
    return Definitions(
        assets=load_assets_from_modules([raw, dbt]),
        asset_checks=load_asset_checks_from_modules([raw_checks]),
        jobs=[monitor_refresh_job],
        resources=build_resources(),
    )


defs = build_definitions()
