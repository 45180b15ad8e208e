-- One row per wijk and buurt of the edition's layout, respondents or not, with complete
-- covariates for the small-area model (cov_* columns, secrecy imputed from the wijk and then
-- the gemeente) and the gemeente's own profile beside them (gem_* columns). Areas under
-- var('min_inhabitants_per_area') inhabitants are flagged for suppression (methodology section 6). A covariate the
-- edition's CBS file does not carry for most areas is NULL throughout (macros/small_area.sql).
{%- set gemeente_profile = ['pct_65_plus', 'mean_income_per_inhabitant', 'pct_households_low_income', 'urbanity'] %}
{%- set covariates = ['pct_65_plus', 'pct_0_14', 'pct_non_western', 'pct_single_households',
    'mean_income_per_inhabitant', 'pct_households_low_income', 'bijstand_per_1000',
    'log_population_density', 'urbanity', 'pct_owner_occupied'] %}
with profiles as (
    select * from {{ edition_rows(ref('int_area_profiles')) }}
),

areas as (
    select * from profiles where area_level in ('wijk', 'buurt')
),

wijken as (
    select * from profiles where area_level = 'wijk'
),

gemeenten as (
    select * from profiles where area_level = 'gemeente'
),

imputed as (
select
    areas.edition,
    areas.area_level,
    areas.area_code,
    areas.gemeente_code,
    areas.wijk_code,
    coalesce(areas.inhabitants, 0) as inhabitants,
    -- adults weight the benchmarking; where CBS keeps the age bands secret, the gemeente's adult share
    coalesce(areas.adults, areas.inhabitants * gemeenten.adults / nullif(gemeenten.inhabitants, 0), 0) as adults,
    {{ impute_from_parents(covariates, 'areas', 'wijken', 'gemeenten') }},
    {%- for column in gemeente_profile %}
    gemeenten.{{ column }} as gem_{{ column }},
    {%- endfor %}
    coalesce(areas.inhabitants, 0) < {{ var('min_inhabitants_per_area') }} as suppressed,
    case when coalesce(areas.inhabitants, 0) < {{ var('min_inhabitants_per_area') }}
        then 'fewer than {{ var("min_inhabitants_per_area") }} inhabitants' end as suppression_reason
from areas
left join wijken
    on areas.edition = wijken.edition
    and areas.wijk_code = wijken.area_code
    and areas.area_level = 'buurt'
inner join gemeenten
    on areas.edition = gemeenten.edition
    and areas.gemeente_code = gemeenten.area_code
)

{%- set model_columns = [] %}
{%- for column in covariates %}{% do model_columns.append('cov_' ~ column) %}{% endfor %}
{%- for column in gemeente_profile %}{% do model_columns.append('gem_' ~ column) %}{% endfor %}
select * replace ({{ carried_covariates(model_columns) }}
)
from imputed
