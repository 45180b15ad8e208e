"""Per gemeente: the small-area model aggregated before benchmarking against the direct estimate,
the level's sigma_u^2, the weight of the own respondents and the flagged areas by basis (monitor/statistics/small_area.py). The estimates and their validation rest on
one fit, computed once per dbt invocation (monitor/statistics/tables.py)."""

from monitor.statistics.tables import small_area_table


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="edition")
    respondents = dbt.ref("int_small_area_respondents")
    areas = dbt.ref("int_small_area_covariates")
    direct = dbt.ref("monitor_area_estimates")
    names = dbt.ref("int_area_names")
    return small_area_table("validation", respondents, areas, direct, names, dbt.config.get("edition"))
