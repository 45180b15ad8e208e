-- One row per respondent and scale: the mean of the valid item scores (0..10), or NULL when
-- fewer valid items than the scale needs (the 60 % rule, min_valid_items in the codebook).
with answers as (
    select * from {{ edition_rows(ref('stg_survey__item_answers')) }}
),

scales as (
    select * from {{ source('survey', 'codebook_scales') }}
),

per_scale as (
    select
        edition,
        resp_id,
        scale,
        count(score_0_10) as n_valid_items,
        {{ exact_avg('score_0_10') }} as mean_score
    from answers
    group by edition, resp_id, scale
)

select
    per_scale.edition,
    per_scale.resp_id,
    per_scale.scale,
    scales.scale_group,
    scales.n_items,
    per_scale.n_valid_items,
    case when per_scale.n_valid_items >= scales.min_valid_items then per_scale.mean_score end as score
from per_scale
inner join scales using (scale)
