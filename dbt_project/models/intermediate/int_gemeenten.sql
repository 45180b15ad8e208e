-- One row per gemeente of Noord-Brabant and edition: the reference seed decides which
-- gemeenten exist in an edition, the CBS key figures give inhabitants and size class
-- (seeded: named gemeenten first, otherwise the largest threshold reached). A gemeente whose
-- key figures are unusable in the delivery (rows damaged, adult totals unknown) keeps its row
-- with has_key_figures false: it is reported with every figure suppressed, and the raw check
-- refuses the edition when it has respondents.
with editions as (
    select distinct edition from {{ edition_rows(source('cbs', 'kwb_key_figures')) }}
),

layout as (
    select editions.edition, brabant.gemeente_code, brabant.gemeente_name, brabant.corop_code, brabant.corop_name
    from editions
    inner join {{ ref('brabant_gemeenten') }} as brabant
        on editions.edition between coalesce(brabant.first_edition, 0) and coalesce(brabant.last_edition, 9999)
),

regions as (
    select * from {{ edition_rows(ref('stg_cbs__kwb_regions')) }}
    where region_type = 'gemeente'
),

margins as (
    select edition, gemeente_code, any_value(margins_source) as margins_source
    from {{ edition_rows(ref('int_weighting_targets')) }}
    group by all
),

named as (
    select * from {{ ref('size_class_gemeenten') }}
),

thresholds as (
    select * from {{ ref('size_classes') }}
    where min_inhabitants is not null
)

select
    layout.edition,
    layout.gemeente_code,
    layout.gemeente_name,
    layout.corop_code,
    layout.corop_name,
    regions.inhabitants,
    coalesce(
        named.size_class,
        (
            select arg_max(thresholds.size_class, thresholds.min_inhabitants)
            from thresholds
            where thresholds.min_inhabitants <= regions.inhabitants
        )
    ) as size_class,
    margins.gemeente_code is not null as has_key_figures,
    margins.margins_source
from layout
left join regions using (edition, gemeente_code)
left join margins using (edition, gemeente_code)
left join named using (gemeente_code)
