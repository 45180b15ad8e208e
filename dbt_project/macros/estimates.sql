{#- Disclosure control (methodology section 6): a cell on fewer respondents than
    var('min_respondents_per_cell') keeps its row but publishes no figure. -#}
{% macro is_suppressed(n_column) -%}
    ({{ n_column }} < {{ var('min_respondents_per_cell') }})
{%- endmacro %}

{% macro suppression_reason(n_column) -%}
    case
        when {{ n_column }} = 0 then 'no respondents'
        when {{ is_suppressed(n_column) }}
            then 'fewer than {{ var("min_respondents_per_cell") }} respondents'
    end
{%- endmacro %}

{% macro unless_suppressed(expression, n_column) -%}
    case when not {{ is_suppressed(n_column) }} then {{ expression }} end
{%- endmacro %}
