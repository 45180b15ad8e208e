-- One row per respondent for the small-area model (methodology section 5): gemeente, wijk and
-- buurt, calibration weight and the two small-area indicators (NULL where not valid).
with respondents as (
    select * from {{ edition_rows(ref('stg_survey__respondents')) }}
),

weights as (
    select edition, resp_id, calibration_weight from {{ edition_rows(ref('respondent_weights')) }}
),

indicators as (
    select edition, resp_id, indicator, value from {{ edition_rows(ref('int_respondent_indicators')) }}
    where indicator in ('veerkracht_score', 'pct_veerkrachtig')
)

select
    respondents.edition,
    respondents.resp_id,
    respondents.gemeente_code,
    respondents.buurt_code,
    case when respondents.buurt_code is not null then 'WK' || substr(respondents.buurt_code, 3, 6) end as wijk_code,
    weights.calibration_weight as weight,
    max(case when indicators.indicator = 'veerkracht_score' then indicators.value end) as veerkracht_score,
    max(case when indicators.indicator = 'pct_veerkrachtig' then indicators.value end) as pct_veerkrachtig
from respondents
inner join weights using (edition, resp_id)
left join indicators using (edition, resp_id)
group by all
