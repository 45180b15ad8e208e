-- Every category of every background characteristic of the profiles (methodology section 9)
-- per edition, whether or not a respondent falls in it: the codebook's codes and unknown
-- category (no answer) and its age bands, every size class of the seed size_classes and the regios
-- (COROP) of the edition's layout. The profiles are published on this grid, so an empty
-- category keeps its row.
with editions as (
    select distinct edition from {{ edition_rows(ref('int_gemeenten')) }}
),

characteristics as (
    select * from {{ source('survey', 'codebook_profile_characteristics') }}
),

codebook_categories as (
    select editions.edition, categories.characteristic, categories.category, categories.category_label,
        categories.category_order, categories.is_unknown
    from editions
    cross join {{ source('survey', 'codebook_profile_categories') }} as categories
),

size_classes as (
    select editions.edition, size_classes.size_class as category, size_classes.label as category_label,
        size_classes.sort_order as category_order
    from editions
    cross join {{ ref('size_classes') }} as size_classes
),

regios as (
    select distinct edition, corop_code as category, corop_name as category_label
    from {{ edition_rows(ref('int_gemeenten')) }}
),

area_categories as (
    select characteristics.characteristic, size_classes.edition, size_classes.category, size_classes.category_label,
        size_classes.category_order, false as is_unknown
    from characteristics
    inner join size_classes on characteristics.source = 'size_class'
    union all
    select characteristics.characteristic, regios.edition, regios.category, regios.category_label,
        row_number() over (partition by regios.edition order by regios.category)::integer, false
    from characteristics
    inner join regios on characteristics.source = 'regio'
)

select
    all_categories.edition,
    all_categories.characteristic,
    characteristics.characteristic_label,
    characteristics.characteristic_order,
    all_categories.category,
    all_categories.category_label,
    all_categories.category_order,
    all_categories.is_unknown
from (
    select edition, characteristic, category, category_label, category_order, is_unknown from codebook_categories
    union all
    select edition, characteristic, category, category_label, category_order, is_unknown from area_categories
) as all_categories
inner join characteristics using (characteristic)
