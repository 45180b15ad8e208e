{#- Schemas are named by layer (staging, intermediate, audit), not prefixed with the
    target schema: the publish asset copies audit.<mart> to monitor.<mart>, where readers look. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
