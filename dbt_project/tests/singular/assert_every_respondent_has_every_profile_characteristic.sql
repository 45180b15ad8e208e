{{ config(meta={"dagster": {"asset_key": ["intermediate", "int_respondent_characteristics"]}}) }}
-- Every respondent has exactly one category for every characteristic of the codebook's
-- profiles section, and each is a category of int_profile_categories: a characteristic the
-- codebook adds without int_respondent_characteristics knowing it, or a code without a
-- category, fails here instead of vanishing from monitor_profiles. Counts only: respondent
-- ids stay in staging.
with respondents as (
    select edition, resp_id from {{ edition_rows(ref('stg_survey__respondents')) }}
    where gemeente_code in (select gemeente_code from {{ edition_rows(ref('int_gemeenten')) }})
),

characteristics as (
    select characteristic from {{ source('survey', 'codebook_profile_characteristics') }}
),

found as (
    select characteristic_rows.*, categories.category is not null as listed
    from {{ edition_rows(ref('int_respondent_characteristics')) }} as characteristic_rows
    left join {{ ref('int_profile_categories') }} as categories using (edition, characteristic, category)
)

select respondents.edition, characteristics.characteristic, count(*) as n_respondents,
    'no category, or one int_profile_categories does not list' as problem
from respondents
cross join characteristics
left join found
    on found.edition = respondents.edition and found.resp_id = respondents.resp_id
    and found.characteristic = characteristics.characteristic
where found.category is null or not found.listed
group by all
