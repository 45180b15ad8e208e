"""Stage, model, publish: the dbt project as Dagster assets.

dbt sources map onto the Python assets that write them (raw.*, weighting.*), so lineage runs
from the landing files through the weights to the marts;
models are keyed by their schema (staging / intermediate / monitor) and grouped by layer, and
dbt tests become asset checks."""


import contextlib
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from dagster import AssetExecutionContext, AssetKey, AssetSpec
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)
from dagster_duckdb import DuckDBResource

from monitor.contract import dbt_vars, layer
from monitor.settings import dbt_log_path, logs_dir
from orchestration.dbt_manifest import DBT_PROJECT, ensure_manifest
from orchestration.dbt_metadata import with_table_metadata
from orchestration.keys import table_key
from orchestration.partitions import edition_of, editions

DBT_TARGET_FOLDER = "dbt_target"  # under the warehouse folder: dbt's artifacts of the last invocation
PROJECT_METADATA_KEY = "dagster_dbt/project"


class MonitorDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # raw.* tables come from the land assets, weighting.* from the weighting asset
            return table_key(dbt_resource_props["schema"], dbt_resource_props["name"])
        schema = dbt_resource_props["config"].get("schema") or dbt_resource_props["schema"]
        return table_key(schema, dbt_resource_props["name"])

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> AssetSpec:
        """dagster-dbt's spec without its DbtProject object in the metadata, which the UI can only
        show as "(unserializable)" (the dbt resource knows the project folder)."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        return spec.replace_attributes(metadata={k: v for k, v in spec.metadata.items() if k != PROJECT_METADATA_KEY})

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The YAML description, not dagster-dbt's default that appends the raw SQL (the SQL is in
        the code and in dbt docs; the catalog shows what the table is)."""
        name = dbt_resource_props["name"]
        return dbt_resource_props.get("description") or f"dbt {dbt_resource_props['resource_type']} {name}"

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """The node's layer: its schema, which is also its folder (monitor/contract.yaml `layers`)."""
        return layer(dbt_resource_props["config"].get("schema") or dbt_resource_props["schema"])


TRANSLATOR = MonitorDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def _quiet(events: Iterator, log: TextIO) -> Iterator:
    """The events, with what dagster-dbt echoes of dbt's output to stdout written to `log`
    instead: the terminal shows one line per step (orchestration.progress)."""
    events = iter(events)
    while True:
        with contextlib.redirect_stdout(log):
            try:
                event = next(events)
            except StopIteration:
                return
        yield event


def _dbt_build(name: str, description: str, **selection):
    """A dbt build (of the project, or of `selection`) as one asset step per edition."""

    @dbt_assets(
        manifest=ensure_manifest(),
        project=DBT_PROJECT,  # path: selections are relative to the project folder
        dagster_dbt_translator=TRANSLATOR,
        name=name,
        partitions_def=editions,
        **selection,
    )
    def _build(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource):
        # The dbt subprocess inherits the environment; profiles.yml reads the DuckDB path from it.
        # No Dagster connection is open while dbt runs (one writer per DuckDB file).
        os.environ["MONITOR_DUCKDB_PATH"] = warehouse.database
        folder = Path(warehouse.database).parent
        os.environ["DBT_LOG_PATH"] = str(logs_dir(folder))  # dbt's own dbt.log, beside our copy of its output
        edition = edition_of(context)
        edition_vars = dbt_vars(edition)  # the contract's rules and the edition (dbt_project/macros/editions.sql)
        # One target folder per warehouse, kept between invocations: dbt then re-parses only what
        # changed (partial parsing) instead of the whole project, ~2 s per invocation. dbt parses
        # fully again only when the vars (the edition) or the profile (the warehouse) change.
        invocation = dbt.cli(["build", "--vars", edition_vars], context=context, target_path=folder / DBT_TARGET_FOLDER)
        log = dbt_log_path(folder, context.run_id)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as out:
            out.write(f"--- {name}, edition {edition} ---\n")
            events = list(_quiet(invocation.stream(), out))
            started = time.perf_counter()
            # rows, column types and descriptions, column lineage in the UI (once dbt has finished)
            events = list(with_table_metadata(events, warehouse.database, invocation.manifest, TRANSLATOR,
                                              folder / DBT_TARGET_FOLDER, DBT_PROJECT.project_dir / "target", edition))  # fmt: skip
            out.write(f"--- table metadata for the Dagster UI: {time.perf_counter() - started:.1f} s ---\n")
        yield from events

    _build.__doc__ = description
    return _build


# The whole relational flow of an edition in one dbt invocation: seeds, staging, intermediate,
# the calibration weights and the statistics (dbt Python models on monitor/statistics), the
# marts and the trend, each node after its inputs and their tests (dbt build order).
dbt_build = _dbt_build(
    "dbt_build",
    "Seeds, staging, intermediate, the weights and the statistics (Python models), the marts and the trend, "
    "with their dbt tests.",
)
