-- Change between consecutive editions (methodology section 7), on the later edition's
-- boundaries. Provincie, regio, grootteklasse, regio_grootteklasse and gemeente: the earlier edition's respondents
-- are placed in the later edition's gemeenten (mergers through the seed gemeente_changes,
-- e.g. Aalburg + Werkendam + Woudrichem -> Altena) and estimated again with their calibration
-- weights, so both sides cover the same area; respondents of a gemeente that was split count
-- only at provincie level. Wijk and buurt: only where the CBS code is the same in both
-- editions (comparability says so), from the small-area estimates.
-- difference = estimate_to - estimate_from, 95 % CI from the two independent samples.
-- Only checked editions take part: the one being refreshed and those already published
-- (macros/publication.sql).
with editions as (
    select distinct edition from {{ ref('stg_survey__respondents') }}
    where {{ is_checked_edition() }}
),

pairs as (
    select edition as edition_from, (select min(later.edition) from editions as later where later.edition > editions.edition) as edition_to
    from editions
),

changes as (
    select * from {{ ref('gemeente_changes') }}
),

located as (
    -- every respondent of both editions of a pair, on the later edition's gemeente
    select
        pairs.edition_from,
        pairs.edition_to,
        respondents.edition,
        respondents.resp_id,
        case
            when respondents.edition = pairs.edition_to then respondents.gemeente_code
            when exists (
                select 1 from changes
                where changes.kind = 'split' and changes.from_code = respondents.gemeente_code
                    and changes.change_year > pairs.edition_from and changes.change_year <= pairs.edition_to
            ) then null
            else coalesce(
                (
                    select any_value(changes.to_code) from changes
                    where changes.kind = 'merger' and changes.from_code = respondents.gemeente_code
                        and changes.change_year > pairs.edition_from and changes.change_year <= pairs.edition_to
                ),
                respondents.gemeente_code
            )
        end as gemeente_code,
        respondents.gemeente_code <> coalesce(
            (
                select any_value(changes.to_code) from changes
                where changes.from_code = respondents.gemeente_code
                    and changes.change_year > pairs.edition_from and changes.change_year <= pairs.edition_to
            ),
            respondents.gemeente_code
        ) as moved
    from pairs
    inner join {{ ref('stg_survey__respondents') }} as respondents
        on respondents.edition in (pairs.edition_from, pairs.edition_to)
    where pairs.edition_to is not null
),

later_gemeenten as (
    select located.*, gemeenten.corop_code, gemeenten.size_class
    from located
    left join {{ ref('int_gemeenten') }} as gemeenten
        on gemeenten.edition = located.edition_to
        and gemeenten.gemeente_code = located.gemeente_code
),

memberships as (
    select edition_from, edition_to, edition, resp_id, moved, 'provincie' as area_level, '{{ var("provincie_code") }}' as area_code
    from later_gemeenten
    union all
    select edition_from, edition_to, edition, resp_id, moved, 'regio', corop_code from later_gemeenten where corop_code is not null
    union all
    select edition_from, edition_to, edition, resp_id, moved, 'grootteklasse', size_class from later_gemeenten where size_class is not null
    union all
    select edition_from, edition_to, edition, resp_id, moved, 'regio_grootteklasse', {{ regio_grootteklasse_code('corop_code', 'size_class') }}
    from later_gemeenten where corop_code is not null and size_class is not null
    union all
    select edition_from, edition_to, edition, resp_id, moved, 'gemeente', gemeente_code from later_gemeenten where corop_code is not null
),

cells as (
    select
        memberships.edition_from,
        memberships.edition_to,
        memberships.edition,
        memberships.area_level,
        memberships.area_code,
        indicator_values.indicator,
        bool_or(memberships.moved) as harmonised,
        {{ weighted_cell_sums('indicator_values.value', 'weights.calibration_weight') }}
    from memberships
    inner join {{ ref('int_respondent_indicators') }} as indicator_values using (edition, resp_id)
    inner join {{ ref('respondent_weights') }} as weights using (edition, resp_id)
    where indicator_values.value is not null
        -- the editions of a pair only, stated so that DuckDB skips the indicators of every other
        -- edition before the join (with one edition there is no pair and nothing to read)
        and indicator_values.edition in (
            select edition_from from pairs where edition_to is not null
            union all
            select edition_to from pairs
        )
    group by all
),

sides as (
    select
        cells.*,
        {{ weighted_mean('cells') }} as estimate,
        {{ weighted_mean_variance('cells') }} as variance
    from cells
),

direct_changes as (
    select
        before.edition_from,
        before.edition_to,
        before.area_level,
        before.area_code,
        before.indicator,
        before.estimate as estimate_from,
        after.estimate as estimate_to,
        before.variance + after.variance as variance,
        before.n_respondents as n_from,
        after.n_respondents as n_to,
        case
            when before.harmonised then 'harmonised: earlier respondents placed in the later gemeenten'
            else 'same boundaries'
        end as comparability
    from sides as before
    inner join sides as after
        on before.edition_from = after.edition_from
        and before.edition_to = after.edition_to
        and before.area_level = after.area_level
        and before.area_code = after.area_code
        and before.indicator = after.indicator
    where before.edition = before.edition_from
        and after.edition = after.edition_to
),

small_areas as (
    select * from {{ checked_rows(ref('monitor_small_area_estimates'), 'monitor_small_area_estimates') }}
    where not suppressed
),

small_area_changes as (
    select
        pairs.edition_from,
        pairs.edition_to,
        before.area_level,
        before.area_code,
        before.indicator,
        before.estimate as estimate_from,
        after.estimate as estimate_to,
        before.mse + after.mse as variance,
        before.n_respondents as n_from,
        after.n_respondents as n_to,
        'stable CBS code, model-based (small-area estimates)' as comparability
    from pairs
    inner join small_areas as before on before.edition = pairs.edition_from
    inner join small_areas as after
        on after.edition = pairs.edition_to
        and after.area_code = before.area_code
        and after.indicator = before.indicator
),

all_changes as (
    select *, false as model_based from direct_changes
    union all
    select *, true as model_based from small_area_changes
),

names as (
    select edition, area_level, area_code, area_name, gemeente_name from {{ ref('int_area_names') }}
)

select
    all_changes.area_level,
    all_changes.area_code,
    coalesce(names.area_name, all_changes.area_code) as area_name,
    names.gemeente_name,
    all_changes.indicator,
    all_changes.edition_from,
    all_changes.edition_to,
    {%- set hidden = "(not all_changes.model_based and least(all_changes.n_from, all_changes.n_to) < " ~ var('min_respondents_per_cell') ~ ")" %}
    case when not {{ hidden }} then all_changes.estimate_from end as estimate_from,
    case when not {{ hidden }} then all_changes.estimate_to end as estimate_to,
    case when not {{ hidden }} then all_changes.estimate_to - all_changes.estimate_from end as difference,
    case when not {{ hidden }} then all_changes.estimate_to - all_changes.estimate_from - 1.959964 * sqrt(all_changes.variance) end as ci_lower,
    case when not {{ hidden }} then all_changes.estimate_to - all_changes.estimate_from + 1.959964 * sqrt(all_changes.variance) end as ci_upper,
    case when not {{ hidden }} then abs(all_changes.estimate_to - all_changes.estimate_from) > 1.959964 * sqrt(all_changes.variance) end as significant,
    all_changes.n_from,
    all_changes.n_to,
    all_changes.comparability,
    {{ hidden }} as suppressed,
    case when {{ hidden }} then 'fewer than {{ var("min_respondents_per_cell") }} respondents in an edition' end as suppression_reason
from all_changes
left join names
    on names.edition = all_changes.edition_to
    and names.area_level = all_changes.area_level
    and names.area_code = all_changes.area_code
