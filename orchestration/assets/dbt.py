"""Stage, model, publish: the dbt project as Dagster assets.

dbt sources map onto the Python assets that write them (raw.*, weighting.*), so lineage runs
from the landing files through the weights to the marts;
models are keyed by their schema (staging / intermediate / monitor) and grouped by layer, and
dbt tests become asset checks."""


import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)
from dagster_duckdb import DuckDBResource

from orchestration.dbt_manifest import DBT_PROJECT, ensure_manifest
from orchestration.partitions import edition_of, editions

DBT_TARGET_FOLDER = "dbt_target"  # under the warehouse folder: dbt's artifacts of the last invocation
GROUP_BY_LAYER = {"staging": "stage", "intermediate": "model", "marts": "audit", "trend": "audit", "seeds": "reference"}


class MonitorDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # raw.* tables come from the land assets, weighting.* from the weighting asset
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        schema = dbt_resource_props["config"].get("schema") or dbt_resource_props["schema"]
        return AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return GROUP_BY_LAYER["seeds"]
        layer = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else None
        return GROUP_BY_LAYER.get(layer)


TRANSLATOR = MonitorDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def _dbt_build(name: str, description: str, **selection):
    """A dbt build of part of the project as one asset step. The project runs in two parts
    because Python assets sit between them: stage + model feed the weights, the marts (publish)
    use them, and the trend reads the small-area estimates made from the marts."""

    @dbt_assets(
        manifest=ensure_manifest(),
        project=DBT_PROJECT,
        dagster_dbt_translator=TRANSLATOR,
        name=name,
        partitions_def=editions,
        **selection,
    )
    def _build(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource):
        # The dbt subprocess inherits the environment; profiles.yml reads the DuckDB path from it.
        # No Dagster connection is open while dbt runs (one writer per DuckDB file).
        os.environ["MONITOR_DUCKDB_PATH"] = warehouse.database
        edition_vars = json.dumps({"edition": edition_of(context)})  # see dbt_project/macros/editions.sql
        # One target folder per warehouse, kept between invocations: dbt then re-parses only what
        # changed (partial parsing) instead of the whole project, ~2 s per invocation. dbt parses
        # fully again only when the vars (the edition) or the profile (the warehouse) change.
        target = Path(warehouse.database).parent / DBT_TARGET_FOLDER
        yield from dbt.cli(["build", "--vars", edition_vars], context=context, target_path=target).stream()

    _build.__doc__ = description
    return _build


MARTS = "path:models/marts"
TREND = "path:models/trend"
dbt_stage_and_model = _dbt_build(
    "dbt_stage_and_model", "Seeds, staging and intermediate models with their dbt tests.", exclude=f"{MARTS} {TREND}"
)
dbt_publish = _dbt_build("dbt_publish", "The monitor marts with their dbt tests.", select=MARTS)
# the trend compares editions and reads the small-area estimates (a Python asset), so it runs last
dbt_trend = _dbt_build("dbt_trend", "The change between editions (monitor_trend) with its dbt tests.", select=TREND)
