-- One row per respondent and area level: the provincie, regio, grootteklasse, size class
-- within the regio (regio_grootteklasse) and gemeente the respondent belongs to (through the
-- gemeente of the edition's layout).
with respondents as (
    select * from {{ edition_rows(ref('stg_survey__respondents')) }}
),

gemeenten as (
    select * from {{ edition_rows(ref('int_gemeenten')) }}
),

membership as (
    select
        respondents.edition,
        respondents.resp_id,
        gemeenten.gemeente_code,
        gemeenten.corop_code,
        gemeenten.size_class
    from respondents
    inner join gemeenten
        on respondents.edition = gemeenten.edition
        and respondents.gemeente_code = gemeenten.gemeente_code
)

select edition, resp_id, 'provincie' as area_level, '{{ var("provincie_code") }}' as area_code
from membership
union all
select edition, resp_id, 'regio', corop_code from membership
union all
select edition, resp_id, 'grootteklasse', size_class from membership
union all
select edition, resp_id, 'regio_grootteklasse', {{ regio_grootteklasse_code('corop_code', 'size_class') }}
from membership where size_class is not null
union all
select edition, resp_id, 'gemeente', gemeente_code from membership
