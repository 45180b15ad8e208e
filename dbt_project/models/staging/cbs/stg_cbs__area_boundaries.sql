-- The boundaries of the Brabant gemeenten, wijken and buurten of each edition, as delivered
-- (raw.area_boundaries, checked by raw_area_boundaries_contract): one geometry (WKB, EPSG:28992)
-- and the CBS name per area. Areas of other provinces are left out here, by the same rule as
-- the key figures (the reference seed's gemeenten of the edition).
with boundaries as (
    select * from {{ edition_rows(source('cbs', 'area_boundaries')) }}
    where problem is null
),

brabant as (
    select * from {{ ref('brabant_gemeenten') }}
)

select
    boundaries.edition::integer as edition,
    boundaries.region_type as area_level,
    boundaries.region_code as area_code,
    'GM' || substr(boundaries.region_code, 3, 4) as gemeente_code,
    nullif(trim(boundaries.region_name), '') as area_name,
    boundaries.geometry,
    boundaries.source_file
from boundaries
inner join brabant
    on 'GM' || substr(boundaries.region_code, 3, 4) = brabant.gemeente_code
    and boundaries.edition between coalesce(brabant.first_edition, 0) and coalesce(brabant.last_edition, 9999)
