"""Per raking domain, margin and category: target total and weighted total.

The calibration weights of methodology section 2: design weights raked to the CBS gemeente x sex
and gemeente x age-band margins, pooled per region for small gemeenten, trimmed and re-raked
(monitor/statistics/weighting.py). The four weighting tables rest on one calibration, computed
once per dbt invocation (monitor/statistics/tables.py)."""

from monitor.statistics.tables import weighting_table


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="edition")
    respondents = dbt.ref("int_weighting_respondents")
    targets = dbt.ref("int_weighting_targets")
    return weighting_table("raking_margins", respondents, targets, dbt.config.get("edition"))
