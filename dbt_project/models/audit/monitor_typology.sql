-- Share of each of the four types per edition and area (methodology sections 1 and 8), with
-- a 95 % CI that accounts for the weights; the base is the respondents with a type.
with typed as (
    select * from {{ edition_rows(ref('int_respondent_typology')) }}
),

types as (
    select type from {{ source('survey', 'codebook_types') }}
),

-- every typed respondent once per type: 100 when it is the respondent's type, else 0
type_values as (
    select typed.edition, typed.resp_id, types.type, case when typed.type = types.type then 100.0 else 0.0 end as value
    from typed
    cross join types
),

weights as (
    select edition, resp_id, calibration_weight from {{ edition_rows(ref('respondent_weights')) }}
),

cells as (
    select
        respondent_areas.edition,
        respondent_areas.area_level,
        respondent_areas.area_code,
        type_values.type,
        {{ weighted_cell_sums('type_values.value', 'weights.calibration_weight') }}
    from type_values
    inner join {{ edition_rows(ref('int_respondent_areas')) }} as respondent_areas using (edition, resp_id)
    inner join weights using (edition, resp_id)
    group by all
),

grid as (
    select areas.*, types.type
    from {{ edition_rows(ref('int_areas')) }} as areas
    cross join types
)

select
    grid.edition,
    grid.area_level,
    grid.area_code,
    grid.area_name,
    grid.type,
    {{ published_estimate_columns('cells', 0.0, 100.0, estimate_name='share', unusable='grid.without_key_figures') }}
from grid
left join cells using (edition, area_level, area_code, type)
