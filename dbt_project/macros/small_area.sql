{#- Small-area covariates (methodology section 5). CBS keeps small areas' figures secret
    (`.`); a secret covariate of a buurt takes its wijk's value, of a wijk its gemeente's,
    and the area records which were taken from a parent. -#}

{% macro impute_from_parents(columns, area, wijk, gemeente) -%}
    {%- for column in columns %}
    coalesce({{ area }}.{{ column }}, {{ wijk }}.{{ column }}, {{ gemeente }}.{{ column }}) as cov_{{ column }},
    {%- endfor %}
    concat_ws(', '
    {%- for column in columns %},
        case when {{ area }}.{{ column }} is null then '{{ column }}' end
    {%- endfor %}
    ) as imputed_covariates
{%- endmacro %}
