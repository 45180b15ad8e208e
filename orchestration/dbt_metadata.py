"""What the Dagster UI shows of each table a dbt step built: its rows (the table's and this
edition's), its columns with their DuckDB types and the YAML descriptions, and where each column
comes from (column lineage).

Measured: dagster-dbt's `fetch_row_counts().fetch_column_metadata()` do this through an in-process
dbt adapter, which costs 10-20 s per dbt step here (the adapter loads dbt's configuration and
opens DuckDB per table) and keeps DuckDB open in the process (the next step's connection is then
refused). So the rows and columns are read in one DuckDB connection once dbt has finished, and
the lineage, which depends only on a model's SQL and its parents' columns, is computed with
dagster-dbt's own lineage builder once per version of the model and kept in a cache beside the
dbt manifest."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
from dagster import AssetKey, AssetMaterialization, MetadataValue, Output, TableColumnDep, TableColumnLineage

from orchestration.metadata import LINEAGE_TABLE, lineage_markdown, table_metadata
from orchestration.model_metadata import extra_metadata

log = logging.getLogger(__name__)
CACHE_FILE = "column_lineage_cache.json"  # in the dbt project's target folder (not in git)


def _relation(props: dict) -> tuple[str, str]:
    return props["schema"], props.get("alias") or props["name"]


def _columns(conn, schema: str, table: str) -> dict[str, dict[str, str]]:
    rows = conn.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    return {name: {"data_type": data_type.lower()} for name, data_type in rows}


def _lineage_key(props: dict, parents: dict[str, dict]) -> str:
    text = json.dumps([props["unique_id"], props.get("checksum", {}).get("checksum"), parents], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _to_json(lineage: TableColumnLineage) -> dict:
    return {column: [[list(dep.asset_key.path), dep.column_name] for dep in deps]
            for column, deps in lineage.deps_by_column.items()}  # fmt: skip


def _from_json(data: dict) -> TableColumnLineage:
    return TableColumnLineage(deps_by_column={
        column: [TableColumnDep(asset_key=AssetKey(path), column_name=name) for path, name in deps]
        for column, deps in data.items()
    })  # fmt: skip


class LineageCache:
    """Column lineage per model version, in a JSON file written whole (tempfile + rename)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / CACHE_FILE
        try:
            self.entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}
        self.changed = False

    def lineage(self, conn, props: dict, manifest: dict, translator, target_path: Path) -> TableColumnLineage | None:
        from dagster_dbt.core.dbt_cli_event import EventHistoryMetadata, _build_column_lineage_metadata

        parents = {}
        for parent_id in props.get("depends_on", {}).get("nodes", []):
            parent = manifest["nodes"].get(parent_id) or manifest["sources"].get(parent_id)
            if parent is not None:
                parents[parent["relation_name"]] = _columns(conn, *_relation(parent))
        key = _lineage_key(props, parents)
        if key not in self.entries and props.get("language") == "python":
            self.entries[key] = None  # a Python model has no SQL to follow
            self.changed = True
        if key not in self.entries:
            try:
                built = _build_column_lineage_metadata(
                    event_history_metadata=EventHistoryMetadata(columns=_columns(conn, *_relation(props)), parents=parents),
                    dbt_resource_props=props, manifest=manifest, dagster_dbt_translator=translator,
                    target_path=target_path, project=None,
                )  # fmt: skip
                lineage = built.get("dagster/column_lineage")
            except Exception as error:  # noqa: BLE001 - sqlglot cannot follow every query (e.g. PIVOT): no lineage then
                log.info("no column lineage for %s (%s); kept as none for this version of the model", props["unique_id"], error)
                lineage = None
            self.entries[key] = _to_json(lineage) if lineage is not None else None
            self.changed = True
        data = self.entries[key]
        return None if data is None else _from_json(data)

    def save(self) -> None:
        if not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{CACHE_FILE}.", dir=self.path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(self.entries, out)
        os.replace(temporary, self.path)


def with_table_metadata(
    events: Iterable, database: str, manifest: dict, translator, target_path: Path, cache_folder: Path, edition: int
) -> Iterator:
    """The events of a finished dbt build, each table's materialization carrying rows, columns
    and column lineage (see the module docstring). Read in one connection, closed before the
    first event is handed on."""
    events = list(events)
    cache = LineageCache(cache_folder)
    # sqlglot warns on every query it cannot follow (DuckDB's PIVOT): said once in the cache, not
    # at the terminal
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    extra: dict[int, dict] = {}
    with duckdb.connect(database) as conn:
        for index, event in enumerate(events):
            if not isinstance(event, (Output, AssetMaterialization)) or "unique_id" not in event.metadata:
                continue
            props = manifest["nodes"].get(event.metadata["unique_id"].text)
            if props is None or props.get("config", {}).get("materialized") == "view":
                continue
            metadata = {**table_metadata(conn, *_relation(props), edition),
                        **extra_metadata(conn, translator.get_asset_key(props), edition)}  # fmt: skip
            lineage = cache.lineage(conn, props, manifest, translator, target_path)
            if lineage is not None:
                metadata["dagster/column_lineage"] = lineage
                metadata[LINEAGE_TABLE] = MetadataValue.md(lineage_markdown(lineage))
            extra[index] = metadata
    cache.save()
    for index, event in enumerate(events):
        yield event.with_metadata({**event.metadata, **extra[index]}) if index in extra else event
