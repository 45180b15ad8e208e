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

{#- A covariate the edition's CBS file carries for too few areas (absent from the delivery, or
    secret or supplied for a few areas only, e.g. the rows of one gemeente in
    kwb_supplement.csv) cannot inform a model of every area: it is NULL throughout the edition,
    and the small-area step goes without it and lists it (covariates_absent). The share of
    areas that must have a value is var('min_covariate_coverage'). -#}
{% macro carried_covariates(columns) -%}
    {%- for column in columns %}
    case
        when count({{ column }}) over (partition by edition)
            >= {{ var('min_covariate_coverage') }} * count(*) over (partition by edition)
            then {{ column }}
    end as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
