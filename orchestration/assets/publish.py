"""Publish: the last step of write-audit-publish.

Every monitor table of an edition is first written in schema `audit` and checked there (GX
suites and dbt tests, all blocking). This asset runs only when every one of those checks
passed (Dagster does not start an asset downstream of a failed blocking check); it then
copies the edition's checked rows into schema `monitor` in one transaction and logs the
publication in monitor.monitor_publication_log. A failed check therefore leaves `monitor`
exactly as it was, and the failed candidate stays in `audit` for inspection.

After the commit it writes the whole schema `monitor` into `published.duckdb` beside the
warehouse (warehouse.write_reader_copy), the file readers open: a new file renamed into place,
so readers never block the refresh and never see half a publication."""

from pathlib import Path

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    TableColumnDep,
    TableColumnLineage,
    multi_asset,
)
from dagster_duckdb import DuckDBResource

from monitor.contract import PUBLISHED_TABLES
from monitor.presentation.flagged import below_gemeente_view_sql, read_flagged_areas
from monitor.settings import published_path
from orchestration.keys import audit_key, published_key
from orchestration.metadata import (
    FLAGGED_KEY,
    LINEAGE_TABLE,
    code_version,
    lineage_markdown,
    markdown_table,
    table_metadata,
)
from orchestration.partitions import edition_of, editions
from orchestration.warehouse import AUDIT, PUBLISHED, publish_edition, write_reader_copy

# monitor tables with one set of rows per edition, and tables that compare editions (monitor/contract.yaml)
EDITION_TABLES = {t.name: t.about for t in PUBLISHED_TABLES.values() if t.per_edition}
WHOLE_TABLES = {t.name: t.about for t in PUBLISHED_TABLES.values() if not t.per_edition}
LOG_TABLE = "monitor_publication_log"
VERSION = code_version(__name__, "orchestration.warehouse")

BELOW_GEMEENTE_VIEW = below_gemeente_view_sql(PUBLISHED)
LOG_STATEMENTS = [
    f"""create table if not exists {PUBLISHED}.{LOG_TABLE} (
        edition integer, published_at timestamp with time zone, dagster_run_id varchar, tables varchar[])""",
    f"insert into {PUBLISHED}.{LOG_TABLE} values (?, current_timestamp, ?, ?)",
]


def _spec(table: str, description: str) -> AssetSpec:
    return AssetSpec(
        published_key(table),
        deps=[audit_key(table)],
        group_name=PUBLISHED,  # the layer monitor (monitor/contract.yaml)
        kinds={"duckdb"},
        code_version=VERSION,
        description=f"{PUBLISHED}.{table}: {description} Published copy of {AUDIT}.{table} after every check passed.",
    )


SPECS = [_spec(t, d) for t, d in {**EDITION_TABLES, **WHOLE_TABLES}.items()] + [
    AssetSpec(
        published_key(LOG_TABLE),
        deps=[audit_key(t) for t in {**EDITION_TABLES, **WHOLE_TABLES}],
        group_name=PUBLISHED,  # the layer monitor (monitor/contract.yaml)
        kinds={"duckdb"},
        code_version=VERSION,
        description=f"{PUBLISHED}.{LOG_TABLE}: one row per publication: edition, when, by which Dagster run, which tables.",
    )
]


@multi_asset(specs=SPECS, partitions_def=editions, can_subset=False)
def publish_monitor_tables(context: AssetExecutionContext, warehouse: DuckDBResource):
    """Copy the checked candidates of the edition from audit to monitor, all in one transaction."""
    edition = edition_of(context)
    tables = [*EDITION_TABLES, *WHOLE_TABLES]
    after = [(BELOW_GEMEENTE_VIEW, []), (LOG_STATEMENTS[0], []), (LOG_STATEMENTS[1], [edition, context.run_id, tables])]
    with warehouse.get_connection() as conn:
        rows = publish_edition(conn, list(EDITION_TABLES), list(WHOLE_TABLES), edition, after)
        flagged = read_flagged_areas(conn, edition, PUBLISHED)
        context.log.info(f"edition {edition}: published {len(rows)} tables into schema {PUBLISHED} ({sum(rows.values()):,} rows)")
        tables = {table: table_metadata(conn, PUBLISHED, table, edition) for table in rows}
        readers = _write_reader_copy(conn, warehouse)
    if readers is not None:
        context.log.info(f"schema {PUBLISHED} for readers: {readers}")
    for table, metadata in tables.items():
        lineage = _copied_from(table, metadata)
        metadata = {**metadata, "dagster/column_lineage": lineage, LINEAGE_TABLE: MetadataValue.md(lineage_markdown(lineage)),
                    "published_from": f"{AUDIT}.{table}"}  # fmt: skip
        if table == "monitor_small_area_estimates":
            metadata[FLAGGED_KEY] = flagged.total
        yield MaterializeResult(asset_key=published_key(table), metadata=metadata)
    summary = pd.DataFrame({"table": [f"{PUBLISHED}.{t}" for t in rows], "rows": list(rows.values())})
    yield MaterializeResult(
        asset_key=published_key(LOG_TABLE),
        metadata={
            "edition": edition,
            "published": MetadataValue.md(markdown_table(summary)),
            **({"readers_open": MetadataValue.path(str(readers))} if readers is not None else {}),
        },
    )


def _copied_from(table: str, metadata: dict) -> TableColumnLineage:
    """Each published column is its audit candidate's column, copied as it was checked."""
    columns = [column.name for column in metadata["dagster/column_schema"].schema.columns]
    return TableColumnLineage(
        deps_by_column={name: [TableColumnDep(asset_key=audit_key(table), column_name=name)] for name in columns}
    )


def _write_reader_copy(conn, warehouse: DuckDBResource) -> Path | None:
    """Replace published.duckdb beside the warehouse file by the schema just published (none
    for an in-memory warehouse)."""
    if warehouse.database == ":memory:":
        return None
    target = published_path(Path(warehouse.database).parent)
    write_reader_copy(conn, target)
    return target
