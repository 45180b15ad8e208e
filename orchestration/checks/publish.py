"""Publish: a warning when a published table's columns change between publications (added,
removed or retyped columns in the Dagster UI and the refresh summary), so that readers who
script against `monitor.*` hear of it from the run that changed it. Compares the
`dagster/column_schema` of the latest materialization with the one before (publish step)."""

from dagster import build_column_schema_change_checks

from orchestration.assets.publish import EDITION_TABLES, WHOLE_TABLES, published_key

schema_change_checks = build_column_schema_change_checks(
    assets=[published_key(table) for table in [*EDITION_TABLES, *WHOLE_TABLES]]
)
