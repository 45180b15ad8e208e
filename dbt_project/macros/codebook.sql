{#- Recoding rules live in the codebook (monitor/codebook/survey_codebook.yaml); the pipeline
    writes them to raw.codebook_* and these macros only look codes up there. -#}

{% macro null_if_missing_code(column) -%}
    case
        when {{ column }} in (
            select code from {{ source('survey', 'codebook_codes') }}
            where column_name = '{{ column }}' and is_missing
        ) then null
        else {{ column }}
    end
{%- endmacro %}

{#- Age bands of the weighting margins (methodology section 2). -#}
{% macro age_band(age) -%}
    case
        when {{ age }} < 25 then '18-24'
        when {{ age }} < 45 then '25-44'
        when {{ age }} < 65 then '45-64'
        else '65+'
    end
{%- endmacro %}
