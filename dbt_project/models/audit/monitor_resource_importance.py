"""Which resources go with resilience (methodology section 4): a weighted, standardised regression
of veerkracht_score on the resource scales with HC1 intervals and each resource's and group's
Shapley share of the explained variance (monitor/statistics/importance.py)."""

from monitor.statistics.tables import importance_table


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="edition")
    return importance_table(dbt.ref("int_respondent_resources"), dbt.config.get("edition"))
