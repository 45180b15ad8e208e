-- One row per respondent: resilient (veerkrachtig) when at least min_resilient_items of the
-- coping items have a resilient recoded answer, given at least min_valid_items valid ones.
with answers as (
    select * from {{ edition_rows(ref('stg_survey__item_answers')) }}
),

rules as (
    select * from {{ source('survey', 'codebook_rules') }}
),

coping as (
    select
        answers.edition,
        answers.resp_id,
        count(answers.recoded_value) as n_valid_items,
        count_if(answers.recoded_value >= rules.resilient_min_recoded) as n_resilient_items,
        any_value(rules.min_valid_items) as min_valid_items,
        any_value(rules.min_resilient_items) as min_resilient_items
    from answers
    cross join rules
    where answers.scale = rules.veerkrachtig_scale
    group by answers.edition, answers.resp_id
)

select
    edition,
    resp_id,
    n_valid_items,
    n_resilient_items,
    case when n_valid_items >= min_valid_items then n_resilient_items >= min_resilient_items end as veerkrachtig
from coping
