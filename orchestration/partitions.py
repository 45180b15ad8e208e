"""Editions as Dagster partitions. An edition (2016, 2018, 2020, ...) becomes a partition when
its folder appears in the landing zone (sensor) or when `monitor refresh` finds it; every
edition-dependent asset is refreshed one edition at a time and replaces only that edition's
rows (methodology section 7)."""

from dagster import DynamicPartitionsDefinition

EDITION_PARTITIONS_NAME = "edition"
editions = DynamicPartitionsDefinition(name=EDITION_PARTITIONS_NAME)


def edition_of(context) -> int:
    """The edition a partitioned step works on."""
    return int(context.partition_key)
