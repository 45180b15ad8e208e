"""Writing into the DuckDB warehouse, one edition at a time.

An edition's rows are replaced in a single transaction, so refreshing one edition never
touches another's rows, and readers see either the old or the new rows of an edition.

Write-audit-publish: the monitor tables are written and checked in schema AUDIT; `publish`
copies an edition's checked rows of every table into schema PUBLISHED in ONE transaction,
so readers of `monitor` see all of an edition's new tables or none of them.

Readers open another file: after each publication `write_reader_copy` writes the whole schema
PUBLISHED into a new DuckDB file and renames it over `published.duckdb` (settings.
published_path). The refresh never opens that file, so a reader there neither blocks a refresh
(DuckDB lets no writer in while any reader has the file open) nor is refused while steps
write; a reader who has the old file open keeps reading the old publication, whole."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from monitor.contract import layer
from monitor.settings import PUBLISHED_SCHEMA

AUDIT = layer("audit")  # candidates, checked before anyone reads them
PUBLISHED = PUBLISHED_SCHEMA  # what readers see: only data that passed every check


def warehouse_folder(warehouse) -> Path:
    """The folder of a warehouse resource's DuckDB file, where the outputs for people go
    (MONITOR_WAREHOUSE as configured; for an in-memory warehouse the configured folder)."""
    from monitor.settings import warehouse_dir

    return warehouse_dir() if warehouse.database == ":memory:" else Path(warehouse.database).parent


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


READER_COPY_ALIAS = "publishing"  # the new file's catalog name while it is being written
READER_COPY_WORK = ".{name}.tmp-"  # hidden work name beside the target; recovery.remove_leftovers knows it


def reader_copy_work_file(target: Path) -> Path:
    """Where the next reader copy is written before the rename (per process: a file left by a
    killed refresh is recognisable, and recovery.remove_leftovers deletes it)."""
    return target.with_name(READER_COPY_WORK.format(name=target.name) + str(os.getpid()))


def write_reader_copy(conn: duckdb.DuckDBPyConnection, target: Path) -> dict[str, int]:
    """Write every table and view of schema PUBLISHED of `conn`'s database into a new DuckDB
    file and put it in the place of `target` in one rename; returns the rows per table.
    Call it after the publication committed: the copy is exactly what was published."""
    target = Path(target)
    work = reader_copy_work_file(target)
    work.unlink(missing_ok=True)
    source = conn.execute("select current_database()").fetchone()[0]
    try:
        conn.execute(f"attach '{work}' as {READER_COPY_ALIAS}")
        try:
            rows = _copy_published_schema(conn, source)
            conn.execute(f"checkpoint {READER_COPY_ALIAS}")  # all in the file itself, no WAL beside it
        finally:
            conn.execute(f'use "{source}"')
            conn.execute(f"detach {READER_COPY_ALIAS}")
        os.replace(work, target)  # atomic: a reader opens the old file or the new one, never half of one
        _sync_folder(target.parent)
    except BaseException:
        work.unlink(missing_ok=True)
        raise
    return rows


def _copy_published_schema(conn: duckdb.DuckDBPyConnection, source: str) -> dict[str, int]:
    """Tables first, then the views, whose SQL (e.g. `from monitor.x`) then binds to the
    copy's own tables."""
    conn.execute(f"create schema {READER_COPY_ALIAS}.{PUBLISHED}")
    tables = [
        name
        for (name,) in conn.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = ? order by 1",
            [source, PUBLISHED],
        ).fetchall()
    ]
    rows = {}
    for table in tables:
        conn.execute(f'create table {READER_COPY_ALIAS}.{PUBLISHED}."{table}" as select * from "{source}".{PUBLISHED}."{table}"')
        rows[table] = conn.execute(f'select count(*) from {READER_COPY_ALIAS}.{PUBLISHED}."{table}"').fetchone()[0]
    views = conn.execute(
        "select sql from duckdb_views() where database_name = ? and schema_name = ? and not internal order by view_name",
        [source, PUBLISHED],
    ).fetchall()
    conn.execute(f"use {READER_COPY_ALIAS}")
    for (sql,) in views:
        conn.execute(sql)
    return rows


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (the folder's entry), so a crash cannot bring back the old file."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
