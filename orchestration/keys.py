"""Asset keys of the warehouse's tables: [schema, name], where the name drops the `monitor_` that
every monitor table's name starts with. Dagster's lineage graph shows a key's last part, cut in
the middle when long: audit/monitor_area_estimates, monitor/monitor_area_estimates and
audit/monitor_small_area_estimates all read "monitor…_estimates" there. Keyed audit/area_estimates,
monitor/area_estimates and audit/small_area_estimates they read apart at a glance, each in its
group's box; the table's full name is in every materialization (dagster/table_name)."""

from dagster import AssetKey

from orchestration.warehouse import AUDIT, PUBLISHED

MONITOR_PREFIX = "monitor_"


def table_key(schema: str, table: str) -> AssetKey:
    return AssetKey([schema, table.removeprefix(MONITOR_PREFIX)])


def audit_key(table: str) -> AssetKey:
    """The candidate of a monitor table in schema audit."""
    return table_key(AUDIT, table)


def published_key(table: str) -> AssetKey:
    """A monitor table as published in schema monitor."""
    return table_key(PUBLISHED, table)
