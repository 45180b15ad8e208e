-- Every gemeente, wijk and buurt of the edition's layout with the profile the small-area
-- model borrows strength from: shares and rates derived from the CBS key figures (so that
-- areas of any size compare), and the number of adults (18+) that population-weights them.
with regions as (
    select * from {{ edition_rows(ref('stg_cbs__kwb_regions')) }}
)

select
    edition,
    region_code as area_code,
    region_type as area_level,
    gemeente_code,
    wijk_code,
    inhabitants,
    0.7 * age_15_24 + age_25_44 + age_45_64 + age_65_plus as adults,
    100.0 * age_65_plus / nullif(inhabitants, 0) as pct_65_plus,
    100.0 * age_0_14 / nullif(inhabitants, 0) as pct_0_14,
    100.0 * migration_non_western / nullif(inhabitants, 0) as pct_non_western,
    100.0 * single_person_households / nullif(households, 0) as pct_single_households,
    mean_income_per_inhabitant,
    pct_households_low_income,
    1000.0 * persons_on_bijstand / nullif(inhabitants, 0) as bijstand_per_1000,
    ln(1 + population_density) as log_population_density,
    urbanity,
    pct_owner_occupied
from regions
