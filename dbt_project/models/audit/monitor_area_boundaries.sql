-- The boundaries the maps are drawn from (methodology section 12), published with the figures
-- so that every map can be redrawn from monitor.* alone: one geometry per gemeente, wijk and
-- buurt of the edition's layout that has one (WKB, EPSG:28992, as delivered: simplified only
-- for display), named as in every other table. No rows for an edition without boundaries.
with boundaries as (
    select * from {{ edition_rows(ref('stg_cbs__area_boundaries')) }}
),

names as (
    select * from {{ edition_rows(ref('int_area_names')) }}
    where area_level in ('gemeente', 'wijk', 'buurt')
)

select
    names.edition::integer as edition,
    names.area_level,
    names.area_code,
    names.area_name,
    names.gemeente_code,
    boundaries.geometry,
    boundaries.source_file
from boundaries
inner join names
    on names.edition = boundaries.edition
    and names.area_level = boundaries.area_level
    and names.area_code = boundaries.area_code
