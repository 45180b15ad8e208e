-- The name of every area the monitor reports on, at every level, per edition (methodology
-- section 12), and where it comes from (`name_source`). Levels down to the gemeente are named
-- by the reference seeds (int_areas). A wijk or buurt takes the first source that names it:
-- the CBS key figures (a cbsodata download carries the names), else the boundaries (PDOK's
-- statnaam, the wijk- en buurtkaart's wijknaam / buurtnaam), else its code: such an area keeps
-- its code as its name (name_source 'code'), is never dropped, and the refresh summary counts it.
with areas as (
    select * from {{ edition_rows(ref('int_areas')) }}
),

regions as (
    select * from {{ edition_rows(ref('stg_cbs__kwb_regions')) }}
    where region_type in ('wijk', 'buurt')
),

boundaries as (
    select * from {{ edition_rows(ref('stg_cbs__area_boundaries')) }}
),

gemeenten as (
    select edition, area_code as gemeente_code, area_name as gemeente_name
    from areas
    where area_level = 'gemeente'
)

select
    areas.edition,
    areas.area_level,
    areas.area_code,
    areas.area_name,
    'reference' as name_source,
    gemeenten.gemeente_code,
    gemeenten.gemeente_name
from areas
left join gemeenten
    on areas.area_level = 'gemeente' and gemeenten.edition = areas.edition and gemeenten.gemeente_code = areas.area_code
union all
select
    regions.edition,
    regions.region_type,
    regions.region_code,
    coalesce(regions.cbs_name, boundaries.area_name, regions.region_code),
    case
        when regions.cbs_name is not null then 'cbs_key_figures'
        when boundaries.area_name is not null then 'boundaries'
        else 'code'
    end,
    regions.gemeente_code,
    gemeenten.gemeente_name
from regions
left join boundaries
    on boundaries.edition = regions.edition and boundaries.area_code = regions.region_code
left join gemeenten
    on gemeenten.edition = regions.edition and gemeenten.gemeente_code = regions.gemeente_code
