-- Direct estimates per edition, area and indicator (methodology sections 1, 3 and 6).
-- Every area of the layout and every indicator has a row, with or without respondents.
-- This first version is unweighted: estimate = mean of the respondents' values, 95 % CI from
-- the normal approximation, n_effective = n. Cells on too few respondents publish no figure.
with indicator_values as (
    select * from {{ ref('int_respondent_indicators') }}
    where value is not null
),

respondent_areas as (
    select * from {{ ref('int_respondent_areas') }}
),

cells as (
    select
        respondent_areas.edition,
        respondent_areas.area_level,
        respondent_areas.area_code,
        indicator_values.indicator,
        count(*) as n_respondents,
        avg(indicator_values.value) as mean_value,
        stddev_samp(indicator_values.value) as sd_value
    from indicator_values
    inner join respondent_areas using (edition, resp_id)
    group by all
),

grid as (
    select areas.*, indicators.indicator, indicators.min_value, indicators.max_value
    from {{ ref('int_areas') }} as areas
    cross join {{ ref('int_indicators') }} as indicators
),

estimates as (
    select
        grid.*,
        coalesce(cells.n_respondents, 0) as n_respondents,
        cells.mean_value,
        1.959964 * cells.sd_value / sqrt(cells.n_respondents) as half_width
    from grid
    left join cells using (edition, area_level, area_code, indicator)
)

select
    edition,
    area_level,
    area_code,
    area_name,
    indicator,
    {{ unless_suppressed('mean_value', 'n_respondents') }} as estimate,
    {{ unless_suppressed('greatest(min_value, mean_value - half_width)', 'n_respondents') }} as ci_lower,
    {{ unless_suppressed('least(max_value, mean_value + half_width)', 'n_respondents') }} as ci_upper,
    n_respondents,
    n_respondents::double as n_effective,
    {{ is_suppressed('n_respondents') }} as suppressed,
    {{ suppression_reason('n_respondents') }} as suppression_reason,
    'unweighted mean' as estimation_method
from estimates
