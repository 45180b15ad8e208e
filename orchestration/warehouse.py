"""Writing into the DuckDB warehouse, one edition at a time.

An edition's rows are replaced in a single transaction, so refreshing one edition never
touches another's rows, and readers see either the old or the new rows of an edition.

Write-audit-publish: the monitor tables are written and checked in schema AUDIT; `publish`
copies an edition's checked rows of every table into schema PUBLISHED in ONE transaction,
so readers of `monitor` see all of an edition's new tables or none of them."""

from __future__ import annotations

import duckdb
import pandas as pd

AUDIT = "audit"  # candidates, checked before anyone reads them
PUBLISHED = "monitor"  # what readers see: only data that passed every check


def _existing_columns(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str] | None:
    rows = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return {name: dtype for name, dtype in rows} or None


def replace_edition_rows(
    conn: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    frame: pd.DataFrame,
    edition: int,
    edition_column: str = "edition",
) -> int:
    """Replace the rows of `edition` in schema.table by `frame`; columns the table lacks are
    added (CBS files of different years carry different variables). Returns rows written."""
    conn.execute(f"create schema if not exists {schema}")
    conn.register("incoming_rows", frame)
    try:
        conn.execute("begin transaction")
        _replace_rows(conn, "incoming_rows", f"{schema}.{table}", edition_column, edition)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    finally:
        conn.unregister("incoming_rows")
    return len(frame)


def _replace_rows(conn: duckdb.DuckDBPyConnection, source: str, target: str, edition_column: str, edition: int) -> None:
    """Inside the caller's transaction: target gets source's columns it lacks, then its rows of
    `edition` are replaced by source's rows of `edition`."""
    schema, table = target.split(".")
    existing = _existing_columns(conn, schema, table)
    if existing is None:
        conn.execute(f"create table {target} as select * from {source} limit 0")
    else:
        for name, dtype, *_ in conn.execute(f"describe {source}").fetchall():
            if name not in existing:
                conn.execute(f'alter table {target} add column "{name}" {dtype}')
    conn.execute(f"delete from {target} where {edition_column} = ?", [edition])
    conn.execute(f"insert into {target} by name select * from {source} where {edition_column} = ?", [edition])


def publish_edition(
    conn: duckdb.DuckDBPyConnection,
    edition_tables: list[str],
    whole_tables: list[str],
    edition: int,
    after: list[tuple[str, list]] = (),
) -> dict[str, int]:
    """Copy the audit candidates into the published schema in one transaction: the rows of
    `edition` of each table in `edition_tables`, the whole of each table in `whole_tables`
    (tables that compare editions), then run the `after` statements (views, the publication
    log). Returns the published rows per table."""
    conn.execute(f"create schema if not exists {PUBLISHED}")
    rows = {}
    try:
        conn.execute("begin transaction")
        for table in edition_tables:
            _replace_rows(conn, f"{AUDIT}.{table}", f"{PUBLISHED}.{table}", "edition", edition)
            rows[table] = conn.execute(f"select count(*) from {PUBLISHED}.{table} where edition = ?", [edition]).fetchone()[0]
        for table in whole_tables:
            conn.execute(f"create or replace table {PUBLISHED}.{table} as select * from {AUDIT}.{table}")
            rows[table] = conn.execute(f"select count(*) from {PUBLISHED}.{table}").fetchone()[0]
        for statement, parameters in after:
            conn.execute(statement, parameters)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return rows


def replace_table(conn: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pd.DataFrame) -> int:
    """Replace a whole table (for tables that do not depend on the edition)."""
    conn.execute(f"create schema if not exists {schema}")
    conn.register("incoming_rows", frame)
    try:
        conn.execute(f"create or replace table {schema}.{table} as select * from incoming_rows")
    finally:
        conn.unregister("incoming_rows")
    return len(frame)
