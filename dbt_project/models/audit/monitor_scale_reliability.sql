-- Cronbach's alpha per multi-item scale and edition (methodology section 1), on the recoded
-- items of the respondents who answered every item of the scale (unweighted, as is usual
-- for reliability). alpha = k / (k - 1) * (1 - sum of item variances / variance of the sum).
with answers as (
    select * from {{ edition_rows(ref('stg_survey__item_answers')) }}
),

scales as (
    select * from {{ source('survey', 'codebook_scales') }}
    where n_items > 1
),

complete_cases as (
    select answers.edition, answers.resp_id, answers.scale
    from answers
    inner join scales using (scale)
    group by answers.edition, answers.resp_id, answers.scale
    having count(answers.recoded_value) = any_value(scales.n_items)
),

items as (
    select answers.*
    from answers
    semi join complete_cases using (edition, resp_id, scale)
),

item_variances as (
    select edition, scale, {{ exact_sum('item_variance') }} as sum_item_variances
    from (
        select edition, scale, item, {{ exact_var_samp('recoded_value') }} as item_variance
        from items
        group by edition, scale, item
    )
    group by edition, scale
),

sum_scores as (
    select edition, scale, {{ exact_var_samp('sum_score') }} as sum_variance, count(*) as n_valid
    from (
        select edition, resp_id, scale, {{ integer_sum('recoded_value') }} as sum_score
        from items
        group by edition, resp_id, scale
    )
    group by edition, scale
)

select
    sum_scores.edition,
    sum_scores.scale,
    scales.label as scale_label,
    scales.n_items,
    scales.n_items / (scales.n_items - 1.0)
        * (1 - item_variances.sum_item_variances / nullif(sum_scores.sum_variance, 0)) as cronbach_alpha,
    sum_scores.n_valid
from sum_scores
inner join item_variances using (edition, scale)
inner join scales using (scale)
