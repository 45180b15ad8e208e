-- Every area the monitor reports on per edition, at every level above the buurt:
-- provincie, regio (COROP), grootteklasse, the size classes within each regio
-- (regio_grootteklasse, methodology section 10: only the combinations the layout has) and
-- gemeente. regio_code, size_class and regio_grootteklasse_code place each area in the
-- regio and size class it belongs to (NULL where it spans several), so that readers can
-- compare a gemeente with its own size class in its own regio without rebuilding the
-- mapping. without_key_figures marks a gemeente
-- whose CBS key figures are unusable in the delivery: every figure of it is suppressed.
with gemeenten as (
    select * from {{ edition_rows(ref('int_gemeenten')) }}
),

size_classes as (
    select * from {{ ref('size_classes') }}
)

select distinct
    edition,
    'provincie' as area_level,
    '{{ var("provincie_code") }}' as area_code,
    '{{ var("provincie_name") }}' as area_name,
    null::varchar as regio_code,
    null::varchar as size_class,
    null::varchar as regio_grootteklasse_code,
    false as without_key_figures
from gemeenten
union all
select distinct edition, 'regio', corop_code, corop_name, corop_code, null, null, false
from gemeenten
union all
select distinct gemeenten.edition, 'grootteklasse', size_classes.size_class, size_classes.label, null, size_classes.size_class, null, false
from gemeenten
inner join size_classes using (size_class)
union all
select distinct
    gemeenten.edition,
    'regio_grootteklasse',
    {{ regio_grootteklasse_code('gemeenten.corop_code', 'gemeenten.size_class') }},
    gemeenten.corop_name || ', ' || size_classes.short_label,
    gemeenten.corop_code,
    gemeenten.size_class,
    {{ regio_grootteklasse_code('gemeenten.corop_code', 'gemeenten.size_class') }},
    false
from gemeenten
inner join size_classes using (size_class)
union all
select
    edition,
    'gemeente',
    gemeente_code,
    gemeente_name,
    corop_code,
    size_class,
    case when size_class is not null then {{ regio_grootteklasse_code('corop_code', 'size_class') }} end,
    not has_key_figures
from gemeenten
