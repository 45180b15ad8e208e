-- One row per respondent with a type (methodology section 1): veerkrachtig yes/no crossed
-- with veranderbereidheid at or above the codebook threshold, named by the codebook's types.
-- Respondents lacking either have no type and count in no typology share.
with resilience as (
    select * from {{ edition_rows(ref('int_respondent_veerkrachtig')) }}
    where veerkrachtig is not null
),

rules as (
    select * from {{ source('survey', 'codebook_rules') }}
),

change as (
    select scores.edition, scores.resp_id, scores.score >= rules.typology_change_threshold as open_to_change
    from {{ edition_rows(ref('int_respondent_scale_scores')) }} as scores
    inner join rules on scores.scale = rules.typology_change_scale
    where scores.score is not null
)

select resilience.edition, resilience.resp_id, types.type
from resilience
inner join change using (edition, resp_id)
inner join {{ source('survey', 'codebook_types') }} as types
    on types.veerkrachtig = resilience.veerkrachtig
    and types.open_to_change = change.open_to_change
