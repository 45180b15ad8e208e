-- One row per respondent and background characteristic of the profiles (methodology section
-- 9): the respondent's category as text. A coded background column holds the codebook code
-- ('1', '2', ...); no answer (a missing code or empty, NULL after staging) is the unknown
-- category, never dropped. Size class and regio come from the respondent's gemeente.
-- The characteristics are those of the codebook's `profiles` section; the singular test
-- assert_every_respondent_has_every_profile_characteristic fails when this list and the
-- codebook's differ.
with respondents as (
    select * from {{ edition_rows(ref('stg_survey__respondents')) }}
),

gemeenten as (
    select * from {{ edition_rows(ref('int_gemeenten')) }}
),

unknown as (
    select any_value(category) as category from {{ source('survey', 'codebook_profile_categories') }} where is_unknown
),

described as (
    select
        respondents.edition,
        respondents.resp_id,
        coalesce(respondents.sex::varchar, unknown.category) as sex,
        respondents.age_band,
        coalesce(respondents.education::varchar, unknown.category) as education,
        coalesce(respondents.household::varchar, unknown.category) as household,
        coalesce(respondents.paid_work::varchar, unknown.category) as paid_work,
        gemeenten.size_class as grootteklasse,
        gemeenten.corop_code as regio
    from respondents
    inner join gemeenten using (edition, gemeente_code)
    cross join unknown
)

unpivot described
on sex, age_band, education, household, paid_work, grootteklasse, regio
into name characteristic value category
