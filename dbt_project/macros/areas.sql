{#- The code of a size class within a regio (methodology section 10), e.g. CR35_middelgroot. -#}
{% macro regio_grootteklasse_code(corop_code, size_class) -%}
    ({{ corop_code }} || '_' || {{ size_class }})
{%- endmacro %}
