-- How steerable each resource is (methodology section 11): the seed resource_steerability,
-- which users edit, published with every edition so that an assessment of a project can be
-- redone from monitor.* alone, with the steerability as it stood when the edition was published.
with editions as (
    select distinct edition from {{ edition_rows(ref('int_gemeenten')) }}
),

resources as (
    select scale as resource, scale_group as resource_group
    from {{ source('survey', 'codebook_scales') }}
    where group_kind = 'resource'
),

steerability as (
    select * from {{ ref('resource_steerability') }}
)

select
    editions.edition::integer as edition,
    resources.resource,
    resources.resource_group,
    steerability.steerability,
    steerability.reason
from editions
cross join resources
left join steerability using (resource)
