{#- Editions are refreshed one at a time (Dagster partition = edition; methodology section 7):
    the pipeline passes --vars '{"edition": 2018}', every model reads only that edition's rows
    of its inputs, and the incremental delete+insert on `edition` replaces only that edition's
    rows of its table. Without the var (a plain `dbt build`) every edition is processed. -#}

{% macro edition_rows(relation, column='edition') -%}
    {%- if var('edition', none) is not none -%}
        (select * from {{ relation }} where {{ column }} = {{ var('edition') | int }})
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
