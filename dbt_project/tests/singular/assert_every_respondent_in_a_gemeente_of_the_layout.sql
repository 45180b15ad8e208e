{{ config(meta={"dagster": {"asset_key": ["staging", "stg_survey__respondents"]}}) }}
-- Respondents whose gemeente is not in their edition's CBS layout would fall out of every
-- estimate; the raw GX suite refuses them, and this test proves none slipped through.
select respondents.edition, count(*) as n_respondents_outside_layout
from {{ ref('stg_survey__respondents') }} as respondents
left join {{ ref('int_gemeenten') }} as gemeenten
    on respondents.edition = gemeenten.edition
    and respondents.gemeente_code = gemeenten.gemeente_code
where gemeenten.gemeente_code is null
group by respondents.edition
