"""veerkracht_score and pct_veerkrachtig for every wijk and buurt (methodology section 5):
model-based (CBS covariates and the gemeente), benchmarked to the gemeente direct estimate, with a
95 % interval and the "overall goed, maar niet overal" flag and what it rests on (monitor/statistics/small_area.py). The estimates and their validation rest on
one fit, computed once per dbt invocation (monitor/statistics/tables.py)."""

from monitor.statistics.tables import small_area_table


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="edition")
    respondents = dbt.ref("int_small_area_respondents")
    areas = dbt.ref("int_small_area_covariates")
    direct = dbt.ref("monitor_area_estimates")
    names = dbt.ref("int_area_names")
    return small_area_table("estimates", respondents, areas, direct, names, dbt.config.get("edition"))
