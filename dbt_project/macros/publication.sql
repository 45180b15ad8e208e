{#- Write-audit-publish (see orchestration/assets/publish.py): the models of an edition are
    built in schema `audit`; `monitor` holds what passed every check. Models that compare
    editions (the trend) must use only checked data: the edition being refreshed (its audit
    candidate, checked before it is published) and the editions already published. An edition
    whose refresh failed its checks is left out until it passes. Without the edition var (a
    plain `dbt build`) nothing is published through the pipeline and every candidate is used. -#}

{% macro published_relation(table) -%}
    {#- monitor.<table> when it exists (it does not before the first publication) -#}
    {{ return(adapter.get_relation(database=target.database, schema='monitor', identifier=table)) }}
{%- endmacro %}

{% macro is_checked_edition(column='edition') -%}
    {#- true for the edition being refreshed and every published edition -#}
    {%- if var('edition', none) is none -%}
        true
    {%- else -%}
        {%- set log = published_relation('monitor_publication_log') -%}
        ({{ column }} = {{ var('edition') | int }}
        {%- if log %} or {{ column }} in (select edition from {{ log }}){% endif %})
    {%- endif -%}
{%- endmacro %}

{% macro checked_rows(candidate, table) -%}
    {#- the candidate's rows of the edition being refreshed, the published rows of the others -#}
    {%- set published = published_relation(table) -%}
    {%- if var('edition', none) is none or not published -%}
        {{ candidate }}
    {%- else -%}
        (
            select * from {{ candidate }} where edition = {{ var('edition') | int }}
            union all by name
            select * from {{ published }} where edition <> {{ var('edition') | int }}
        )
    {%- endif -%}
{%- endmacro %}
