"""The regression of monitor_resource_importance on each regio's respondents alone, where n allows
(at least 50 complete respondents per resource); a regio below that keeps its rows with every
figure NULL and the reason (methodology section 11, the toetsingskader)."""

from monitor.statistics.tables import regio_importance_table


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="edition")
    return regio_importance_table(dbt.ref("int_respondent_resources"), dbt.ref("int_gemeenten"), dbt.config.get("edition"))
