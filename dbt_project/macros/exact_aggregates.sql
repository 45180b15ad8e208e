{#- Aggregates whose result does not depend on the order in which DuckDB adds the rows.
    A sum of doubles does: on several threads DuckDB adds partial sums in a varying order, and
    the last bits of a figure would change from one refresh of an edition to the next (issue 6
    asks for bit-identical reruns). Each term is rounded once to 18 decimals and added as
    DECIMAL(38, 18), i.e. in integer arithmetic, which is exact and associative, so any number
    of threads gives the same bits. Range: a sum must stay below 1e20 in absolute value
    (DuckDB stops with "Overflow in SUM" beyond it; a calibration-weighted sum of squares
    w^2 y^2 of scores up to 100 reaches it only with weights above 1e5 on a million respondents).
    Every sum, mean or variance of the models goes through these macros
    (tests/test_exact_aggregates.py checks the models for a bare one). -#}

{% macro exact_sum(expression) -%}
    sum(({{ expression }})::decimal(38, 18))::double
{%- endmacro %}

{% macro exact_avg(expression) -%}
    ({{ exact_sum(expression) }} / count({{ expression }}))
{%- endmacro %}

{#- sum of an integer-valued expression, as HUGEINT (exact in any order) -#}
{% macro integer_sum(expression) -%}
    sum(({{ expression }})::hugeint)
{%- endmacro %}

{#- sample variance of an integer-valued expression (NULL with fewer than two values), from
    exact integer sums: (n sum(x^2) - sum(x)^2) / (n (n - 1)) -#}
{% macro exact_var_samp(integers) -%}
    ((count({{ integers }}) * {{ integer_sum(integers ~ ' * ' ~ integers) }}
        - {{ integer_sum(integers) }} * {{ integer_sum(integers) }})::double
        / nullif(count({{ integers }}) * (count({{ integers }}) - 1), 0))
{%- endmacro %}
