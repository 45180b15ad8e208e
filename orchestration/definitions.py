"""The code location: assets, checks, jobs and resources, each defined beside its stage."""

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from orchestration.assets import dbt, importance, raw, weighting
from orchestration.checks import publication, weighting as weighting_checks
from orchestration.checks import raw as raw_checks
from orchestration.jobs import monitor_refresh_job
from orchestration.resources import build_resources


def build_definitions() -> Definitions:
    return Definitions(
        assets=load_assets_from_modules([raw, dbt, weighting, importance]),
        asset_checks=load_asset_checks_from_modules([raw_checks, weighting_checks, publication]),
        jobs=[monitor_refresh_job],
        resources=build_resources(),
    )


defs = build_definitions()
