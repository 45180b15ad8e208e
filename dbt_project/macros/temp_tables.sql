{#- dbt-duckdb's incremental materialization builds a Python model's new rows into a table
    `<model>__dbt_tmp<timestamp>` (a Python model cannot make a real temporary table) and leaves it
    behind, one per run, in schema main. A post-hook of every model drops what is left of its own. -#}
{% macro drop_leftover_temp_tables() -%}
    {%- if execute and model.language == 'python' -%}
        {%- set found = run_query(
            "select table_schema, table_name from information_schema.tables "
            ~ "where table_name like '" ~ this.identifier ~ "\\_\\_dbt\\_tmp%' escape '\\'"
        ) -%}
        {%- for row in found.rows -%}
            {%- do run_query('drop table if exists "' ~ row[0] ~ '"."' ~ row[1] ~ '"') -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
