{{ config(meta={"dagster": {"asset_key": ["reference", "resource_steerability"]}}) }}
-- The seed resource_steerability names every resource scale of the codebook once, and nothing
-- else: a resource the codebook adds, or a misspelt name in the seed, fails here instead of
-- leaving an assessment without its steerability.
with resources as (
    select scale as resource from {{ source('survey', 'codebook_scales') }} where group_kind = 'resource'
),

seed as (
    select resource from {{ ref('resource_steerability') }}
)

select resource, 'a resource scale of the codebook without a row in resource_steerability' as problem
from (select resource from resources except select resource from seed)
union all
select resource, 'not a resource scale of the codebook' as problem
from (select resource from seed except select resource from resources)
