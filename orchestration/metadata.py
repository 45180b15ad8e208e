"""Metadata helpers: aggregate tables as markdown for the Dagster UI (never respondent rows)."""

import pandas as pd

# the count of flagged areas (monitor/presentation/flagged.py), under one name wherever it is shown
FLAGGED_KEY = "flagged_areas (distinct wijken and buurten, either headline indicator)"


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A frame as a markdown table, numbers rounded; no dependency on tabulate."""
    shown = frame.round(digits).astype(object).where(frame.notna(), "")
    header = "| " + " | ".join(map(str, shown.columns)) + " |"
    rule = "|" + "---|" * len(shown.columns)
    rows = ["| " + " | ".join(map(str, row)) + " |" for row in shown.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def table_metadata(conn, schema: str, table: str, edition: int | None = None, edition_column: str = "edition") -> dict:
    """Dagster's standard metadata of a table the step wrote: dagster/table_name,
    dagster/row_count, dagster/partition_row_count (the rows of `edition`), and
    dagster/column_schema with each column's DuckDB type and its description from the dbt YAML
    (orchestration.dbt_manifest.column_docs)."""
    from dagster import MetadataValue, TableColumn, TableSchema

    from orchestration.dbt_manifest import column_docs

    columns = conn.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    docs = column_docs(schema, table)
    metadata = {
        "dagster/table_name": f"{schema}.{table}",
        "dagster/row_count": int(conn.execute(f"select count(*) from {schema}.{table}").fetchone()[0]),
        "dagster/column_schema": MetadataValue.table_schema(TableSchema(columns=[
            TableColumn(name, data_type.lower(), description=docs.get(name) or None) for name, data_type in columns
        ])),
    }  # fmt: skip
    if edition is not None and edition_column in {name for name, _ in columns}:
        rows = conn.execute(f"select count(*) from {schema}.{table} where {edition_column} = ?", [edition]).fetchone()[0]
        metadata["dagster/partition_row_count"] = int(rows)
    return metadata


def code_version(*modules: str) -> str:
    """The version of the code behind an asset: a hash of the source files of the named modules
    (its asset module and the domain modules that compute it), found without importing them, so
    that the UI marks an asset stale exactly when that code changed."""
    import hashlib

    digest = hashlib.sha256()
    for name in modules:
        digest.update(_source_file(name).read_bytes())
    return digest.hexdigest()[:12]


def _source_file(module: str):
    """A project module's source file, from its name alone: `importlib.util.find_spec` would
    import the parent packages (monitor.factsheets imports scipy: half a second of start-up)."""
    from importlib.util import find_spec
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    path = root.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return Path(find_spec(module).origin)  # not the project's


LINEAGE_TABLE = "column_lineage (where each column comes from)"


def lineage_markdown(lineage) -> str:
    """A TableColumnLineage as a markdown table: Dagster records dagster/column_lineage for its
    API and Dagster+, but the open-source UI draws no column lineage; this table shows it there
    (a materialization's metadata in the asset's Events)."""
    rows = [
        "| column | comes from |",
        "|---|---|",
        *(
            f"| {column} | {', '.join(f'{dep.asset_key.to_user_string()}.{dep.column_name}' for dep in deps) or '(computed here)'} |"
            for column, deps in lineage.deps_by_column.items()
        ),
    ]
    return "\n".join(rows)
