"""Stage, model, publish: the dbt project as Dagster assets.

dbt sources map onto the raw assets (so lineage runs from the landing files to the marts),
models are keyed by their schema (staging / intermediate / monitor) and grouped by layer, and
dbt tests become asset checks."""


import os
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)
from dagster_duckdb import DuckDBResource

from orchestration.assets.raw import RAW_SCHEMA
from orchestration.dbt_manifest import DBT_PROJECT, ensure_manifest

GROUP_BY_LAYER = {"staging": "stage", "intermediate": "model", "marts": "publish", "seeds": "reference"}


class MonitorDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([RAW_SCHEMA, dbt_resource_props["name"]])
        schema = dbt_resource_props["config"].get("schema") or dbt_resource_props["schema"]
        return AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return GROUP_BY_LAYER["seeds"]
        layer = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else None
        return GROUP_BY_LAYER.get(layer)


TRANSLATOR = MonitorDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=ensure_manifest(), project=DBT_PROJECT, dagster_dbt_translator=TRANSLATOR)
def monitor_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource):
    # The dbt subprocess inherits the environment; profiles.yml reads the DuckDB path from it.
    # No Dagster connection is open while dbt runs (one writer per DuckDB file).
    os.environ["MONITOR_DUCKDB_PATH"] = warehouse.database
    yield from dbt.cli(["build"], context=context).stream()
