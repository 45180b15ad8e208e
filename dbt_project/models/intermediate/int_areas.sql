-- Every area the monitor reports on per edition, at every level above the buurt:
-- provincie, regio (COROP), grootteklasse and gemeente.
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
    '{{ var("provincie_name") }}' as area_name
from gemeenten
union all
select distinct edition, 'regio', corop_code, corop_name
from gemeenten
union all
select distinct gemeenten.edition, 'grootteklasse', size_classes.size_class, size_classes.label
from gemeenten
inner join size_classes using (size_class)
union all
select edition, 'gemeente', gemeente_code, gemeente_name
from gemeenten
