{#- Disclosure control (methodology section 6): a cell on fewer respondents than
    var('min_respondents_per_cell') keeps its row but publishes no figure. -#}
{#- `unusable`: optionally a boolean SQL expression that is true for an area without usable
    CBS key figures in the delivery (int_areas.without_key_figures): suppressed whatever its n. -#}
{% macro is_suppressed(n_column, unusable=none) -%}
    ({{ n_column }} < {{ var('min_respondents_per_cell') }}{% if unusable %} or coalesce({{ unusable }}, false){% endif %})
{%- endmacro %}

{% macro suppression_reason(n_column, unusable=none) -%}
    case
        {%- if unusable %}
        when coalesce({{ unusable }}, false) then 'no usable CBS key figures in the delivered file'
        {%- endif %}
        when {{ n_column }} = 0 then 'no respondents'
        when {{ is_suppressed(n_column) }}
            then 'fewer than {{ var("min_respondents_per_cell") }} respondents'
    end
{%- endmacro %}

{% macro unless_suppressed(expression, n_column, unusable=none) -%}
    case when not {{ is_suppressed(n_column, unusable) }} then {{ expression }} end
{%- endmacro %}
