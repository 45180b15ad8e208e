-- Weighting margins per gemeente and edition (methodology section 2): residents of 18 and
-- over by age band and by sex, from the CBS key figures of the edition. CBS counts 15-24 year
-- olds together; 7/10 of them are taken as 18-24. The adult sex margins split the adult total
-- by the gemeente's share of men and women. Age band labels follow the age_band() macro.
-- Only gemeenten with every margin known get targets (a gemeente without them and with
-- respondents is refused at the raw stage); margins_source says which file(s) they came from.
with gemeenten as (
    select * from {{ edition_rows(ref('stg_cbs__kwb_regions')) }}
    where region_type = 'gemeente'
),

adults as (
    select
        edition,
        gemeente_code,
        corop_code,
        0.7 * age_15_24 as age_18_24,
        age_25_44,
        age_45_64,
        age_65_plus,
        0.7 * age_15_24 + age_25_44 + age_45_64 + age_65_plus as adult_total,
        men / (men + women) as share_men,
        source_file || coalesce(' + ' || supplemented_columns, '') as margins_source
    from gemeenten
),

complete as (
    select * from adults
    where adult_total > 0 and share_men is not null
)

select edition, gemeente_code, corop_code, margins_source, 'age_band' as margin, '18-24' as category, age_18_24 as target_total from complete
union all
select edition, gemeente_code, corop_code, margins_source, 'age_band', '25-44', age_25_44 from complete
union all
select edition, gemeente_code, corop_code, margins_source, 'age_band', '45-64', age_45_64 from complete
union all
select edition, gemeente_code, corop_code, margins_source, 'age_band', '65+', age_65_plus from complete
union all
select edition, gemeente_code, corop_code, margins_source, 'sex', '1', adult_total * share_men from complete
union all
select edition, gemeente_code, corop_code, margins_source, 'sex', '2', adult_total * (1 - share_men) from complete
