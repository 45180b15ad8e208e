-- One row per respondent and indicator (long): every scale score, the resource group scores
-- (mean of the group's available scale scores) and pct_veerkrachtig (100 resilient, 0 not).
with scale_scores as (
    select * from {{ edition_rows(ref('int_respondent_scale_scores')) }}
),

indicators as (
    select * from {{ ref('int_indicators') }}
),

group_scores as (
    select edition, resp_id, scale_group as indicator, {{ exact_avg('score') }} as value
    from scale_scores
    where scale_group in (select indicator from indicators where indicator_kind = 'resource_group')
    group by edition, resp_id, scale_group
),

resilience as (
    select
        edition,
        resp_id,
        'pct_veerkrachtig' as indicator,
        case when veerkrachtig then 100.0 when not veerkrachtig then 0.0 end as value
    from {{ edition_rows(ref('int_respondent_veerkrachtig')) }}
)

select edition, resp_id, scale as indicator, score as value from scale_scores
union all
select edition, resp_id, indicator, value from group_scores
union all
select edition, resp_id, indicator, value from resilience
