{#- Schemas are named by layer (staging, intermediate, monitor), not prefixed with the
    target schema: readers look for `monitor.monitor_area_estimates`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
