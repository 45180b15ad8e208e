-- One row per gemeente and edition in the CBS layout: region (COROP), inhabitants and size
-- class (seeded: named gemeenten first, otherwise the largest threshold reached).
with regions as (
    select * from {{ edition_rows(ref('stg_cbs__kwb_regions')) }}
    where region_type = 'gemeente'
),

named as (
    select * from {{ ref('size_class_gemeenten') }}
),

thresholds as (
    select * from {{ ref('size_classes') }}
    where min_inhabitants is not null
)

select
    regions.edition,
    regions.gemeente_code,
    regions.gemeente_name,
    regions.corop_code,
    regions.corop_name,
    regions.inhabitants,
    coalesce(
        named.size_class,
        (
            select arg_max(thresholds.size_class, thresholds.min_inhabitants)
            from thresholds
            where thresholds.min_inhabitants <= regions.inhabitants
        )
    ) as size_class
from regions
left join named using (gemeente_code)
