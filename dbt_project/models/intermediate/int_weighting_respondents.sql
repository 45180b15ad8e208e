-- The respondents the calibration weights are raked for (methodology section 2): each with its
-- gemeente, COROP region (the pool of a gemeente with too few respondents), sex and age band,
-- and the design weight of the delivery, the starting point of the raking (weighting/*.py).
with respondents as (
    select * from {{ edition_rows(ref('stg_survey__respondents')) }}
),

gemeenten as (
    select * from {{ edition_rows(ref('int_gemeenten')) }}
)

select
    respondents.edition,
    respondents.resp_id,
    respondents.gemeente_code,
    gemeenten.corop_code,
    respondents.sex,
    respondents.age_band,
    respondents.design_weight
from respondents
inner join gemeenten using (edition, gemeente_code)
