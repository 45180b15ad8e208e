-- One row per respondent with its calibration weight, its regio and a column per scale score
-- (veerkracht_score and the resource scales among them): what the regression of
-- monitor_resource_importance (and per regio monitor_resource_importance_regio) runs on.
-- DuckDB's PIVOT makes a column of every scale the codebook has, so no scale is named here.
with scores as (
    select edition, resp_id, scale, score from {{ edition_rows(ref('int_respondent_scale_scores')) }}
),

wide as (
    pivot scores on scale using max(score) group by edition, resp_id
),

weights as (
    select edition, resp_id, calibration_weight from {{ edition_rows(ref('respondent_weights')) }}
),

regios as (
    select edition, resp_id, area_code as regio_code
    from {{ edition_rows(ref('int_respondent_areas')) }}
    where area_level = 'regio'
)

select wide.edition, wide.resp_id, weights.calibration_weight, regios.regio_code, wide.* exclude (edition, resp_id)
from wide
inner join weights using (edition, resp_id)
inner join regios using (edition, resp_id)
