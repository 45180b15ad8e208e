{#- No NULL in the column, except in an edition where it is NULL throughout: a covariate the
    edition's CBS file does not carry (absent, or secret in every row). The small-area model
    goes without such a covariate and records it (monitor_small_area_validation.covariates_absent);
    a covariate the file does carry must be complete after imputation. -#}
{% test not_null_unless_absent(model, column_name) %}
with carried as (
    select edition from {{ model }} group by edition having count({{ column_name }}) > 0
)
select {{ model }}.edition, {{ column_name }}
from {{ model }}
inner join carried using (edition)
where {{ column_name }} is null
{% endtest %}
