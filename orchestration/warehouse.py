"""Writing frames into the DuckDB warehouse, one edition at a time.

An edition's rows are replaced in a single transaction, so refreshing one edition never
touches another's rows, and readers see either the old or the new rows of an edition."""

from __future__ import annotations

import duckdb
import pandas as pd


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
        existing = _existing_columns(conn, schema, table)
        if existing is None:
            conn.execute(f"create table {schema}.{table} as select * from incoming_rows limit 0")
        else:
            incoming = conn.execute("describe incoming_rows").fetchall()
            for name, dtype, *_ in incoming:
                if name not in existing:
                    conn.execute(f'alter table {schema}.{table} add column "{name}" {dtype}')
        conn.execute(f"delete from {schema}.{table} where {edition_column} = ?", [edition])
        conn.execute(f"insert into {schema}.{table} by name select * from incoming_rows")
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    finally:
        conn.unregister("incoming_rows")
    return len(frame)


def replace_table(conn: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pd.DataFrame) -> int:
    """Replace a whole table (for tables that do not depend on the edition)."""
    conn.execute(f"create schema if not exists {schema}")
    conn.register("incoming_rows", frame)
    try:
        conn.execute(f"create or replace table {schema}.{table} as select * from incoming_rows")
    finally:
        conn.unregister("incoming_rows")
    return len(frame)
