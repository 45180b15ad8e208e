-- Direct estimates per edition, area and indicator (methodology sections 1, 3 and 6), weighted
-- with the calibration weights; every area of the layout and every indicator has a row, with
-- or without respondents. The unweighted mean is kept beside it, so that the effect of
-- weighting is visible. Cells on too few respondents, and gemeenten without usable CBS key
-- figures in the delivery, publish no figure.
with indicator_values as (
    select * from {{ edition_rows(ref('int_respondent_indicators')) }}
    where value is not null
),

weights as (
    select edition, resp_id, calibration_weight from {{ edition_rows(ref('respondent_weights')) }}
),

respondent_areas as (
    select * from {{ edition_rows(ref('int_respondent_areas')) }}
),

cells as (
    select
        respondent_areas.edition,
        respondent_areas.area_level,
        respondent_areas.area_code,
        indicator_values.indicator,
        {{ weighted_cell_sums('indicator_values.value', 'weights.calibration_weight') }},
        {{ exact_avg('indicator_values.value') }} as unweighted_mean
    from indicator_values
    inner join respondent_areas using (edition, resp_id)
    inner join weights using (edition, resp_id)
    group by all
),

grid as (
    select areas.*, indicators.indicator, indicators.min_value, indicators.max_value
    from {{ edition_rows(ref('int_areas')) }} as areas
    cross join {{ ref('int_indicators') }} as indicators
)

select
    grid.edition,
    grid.area_level,
    grid.area_code,
    grid.area_name,
    grid.regio_code,
    grid.size_class,
    grid.regio_grootteklasse_code,
    grid.indicator,
    {{ published_estimate_columns('cells', 'grid.min_value', 'grid.max_value', unusable='grid.without_key_figures') }},
    {{ unless_suppressed('cells.unweighted_mean', 'coalesce(cells.n_respondents, 0)', 'grid.without_key_figures') }} as unweighted_estimate,
    'calibration-weighted mean, Taylor-linearised 95 % CI' as estimation_method
from grid
left join cells using (edition, area_level, area_code, indicator)
