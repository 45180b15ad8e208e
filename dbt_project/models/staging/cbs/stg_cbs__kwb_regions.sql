-- The gemeenten, wijken and buurten of Noord-Brabant in each edition's CBS layout, with the
-- key figures the monitor uses under English names. The gemeente list of the reference seed
-- decides what belongs to the province in an edition.
with kwb as (
    select * from {{ edition_rows(source('cbs', 'kwb_key_figures')) }}
    where region_type in ('Gemeente', 'Wijk', 'Buurt')
),

brabant as (
    select * from {{ ref('brabant_gemeenten') }}
)

select
    kwb.edition,
    kwb.region_code,
    lower(kwb.region_type) as region_type,
    kwb.gemeente_code,
    case
        when kwb.region_type = 'Wijk' then kwb.region_code
        when kwb.region_type = 'Buurt' then 'WK' || substr(kwb.region_code, 3, 6)
    end as wijk_code,
    brabant.gemeente_name,
    -- the CBS name of the region where the delivery has one: a cbsodata download carries it in
    -- WijkenEnBuurten, a StatLine CSV export usually only the code there (then NULL)
    case when upper(trim(kwb.region_label)) <> kwb.region_code then trim(kwb.region_label) end as cbs_name,
    brabant.corop_code,
    brabant.corop_name,
    kwb.AantalInwoners as inhabitants,
    kwb.Mannen as men,
    kwb.Vrouwen as women,
    kwb.k_0Tot15Jaar as age_0_14,
    kwb.k_15Tot25Jaar as age_15_24,
    kwb.k_25Tot45Jaar as age_25_44,
    kwb.k_45Tot65Jaar as age_45_64,
    kwb.k_65JaarOfOuder as age_65_plus,
    kwb.WestersTotaal as migration_western,
    kwb.NietWestersTotaal as migration_non_western,
    kwb.HuishoudensTotaal as households,
    kwb.Eenpersoonshuishoudens as single_person_households,
    kwb.GemiddeldeHuishoudensgrootte as mean_household_size,
    kwb.Bevolkingsdichtheid as population_density,
    kwb.GemiddeldeWoningwaarde as mean_property_value,
    kwb.Koopwoningen as pct_owner_occupied,
    kwb.GemiddeldInkomenPerInwoner as mean_income_per_inhabitant,
    kwb.k_40PersonenMetLaagsteInkomen as pct_persons_low_income,
    kwb.HuishoudensMetEenLaagInkomen as pct_households_low_income,
    kwb.PersonenPerSoortUitkeringBijstand as persons_on_bijstand,
    kwb.MateVanStedelijkheid as urbanity,
    kwb.Omgevingsadressendichtheid as address_density,
    -- where the row came from: the delivery, or kwb_supplement.csv (monitor/cbs/supplement.py)
    kwb._source_file as source_file,
    kwb._supplemented_columns as supplemented_columns
from kwb
inner join brabant
    on kwb.gemeente_code = brabant.gemeente_code
    and kwb.edition between coalesce(brabant.first_edition, 0) and coalesce(brabant.last_edition, 9999)
