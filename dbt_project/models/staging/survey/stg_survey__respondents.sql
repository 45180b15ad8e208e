-- One row per respondent: background variables with their missing codes as NULL.
with responses as (
    select * from {{ edition_rows(source('survey', 'survey_responses'), '_landing_edition') }}
)

select
    _landing_edition as edition,
    resp_id,
    gemeente_code,
    nullif(trim(buurt_code), '') as buurt_code,
    {{ null_if_missing_code('sex') }} as sex,
    age,
    {{ age_band('age') }} as age_band,
    {{ null_if_missing_code('education') }} as education,
    {{ null_if_missing_code('household') }} as household,
    {{ null_if_missing_code('paid_work') }} as paid_work,
    coalesce(design_weight, 1.0) as design_weight,
    _source_file as source_file,
    _source_row as source_row
from responses
