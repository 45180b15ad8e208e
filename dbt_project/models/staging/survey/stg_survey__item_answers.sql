-- One row per respondent and questionnaire item (long), recoded through the codebook:
-- missing codes and empty cells become NULL, valid answers get their recoded value
-- (higher = more resource / resilience) and their score on 0..10.
with responses_as_text as (
    -- UNPIVOT needs one type; items are told apart from other columns by the codebook join
    select
        _landing_edition as edition,
        resp_id,
        columns(* exclude (_landing_edition, resp_id))::varchar
    from {{ edition_rows(source('survey', 'survey_responses'), '_landing_edition') }}
),

answers as (
    select edition, resp_id, column_name, answer
    from responses_as_text
    unpivot include nulls (answer for column_name in (columns(* exclude (edition, resp_id))))
),

items as (
    select * from {{ source('survey', 'codebook_items') }}
),

codes as (
    select * from {{ source('survey', 'codebook_codes') }}
    where column_kind = 'item'
)

select
    answers.edition,
    answers.resp_id,
    items.item,
    items.scale,
    items.scale_group,
    try_cast(answers.answer as integer) as code,
    case
        when answers.answer is null then 'missing'
        when codes.code is null then 'invalid'
        when codes.is_missing then 'missing'
        else 'valid'
    end as answer_status,
    codes.recoded_value,
    codes.score_0_10
from answers
inner join items
    on answers.column_name = items.item
left join codes
    on codes.column_name = items.item
    and codes.code = try_cast(answers.answer as integer)
