{{ config(materialized='table') }}
-- Every indicator of the monitor tables with its kind, group, label and range: the codebook's
-- scales, the resource group scores and the share veerkrachtig.
with scales as (
    select * from {{ source('survey', 'codebook_scales') }}
),

resource_groups as (
    select distinct scale_group from scales where group_kind = 'resource'
)

select
    scale as indicator,
    'scale' as indicator_kind,
    scale_group,
    label,
    0.0 as min_value,
    10.0 as max_value
from scales
union all
select
    scale_group as indicator,
    'resource_group' as indicator_kind,
    scale_group,
    'Hulpbronnen: ' || scale_group as label,
    0.0 as min_value,
    10.0 as max_value
from resource_groups
union all
select
    'pct_veerkrachtig' as indicator,
    'share' as indicator_kind,
    'veerkracht' as scale_group,
    'Percentage veerkrachtig' as label,
    0.0 as min_value,
    100.0 as max_value
