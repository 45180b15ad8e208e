-- Who is resilient (methodology section 9), per edition, background characteristic, category
-- and indicator, on the grid of int_profile_categories (an empty category keeps its row):
--   estimate, ci_lower, ci_upper: the calibration-weighted mean (or share) of the indicator
--     among the category's respondents, Taylor-linearised 95 % CI, as monitor_area_estimates;
--   share_among_resilient / share_among_less_resilient: the other way round, the weighted
--     share (0..100) of the category among the respondents who are veerkrachtig / not
--     (base: every respondent with a known veerkrachtig, so the shares of a characteristic's
--     categories add up to 100); the same on every indicator row of the category;
--   difference = share_among_resilient - share_among_less_resilient with a 95 % CI that
--     treats the two groups as independent samples (they hold different respondents).
-- Disclosure (section 6): the estimate is suppressed on fewer than
-- var('min_respondents_per_cell') respondents with a value; the composition is withheld
-- (composition_suppressed) when the category has fewer among the resilient or among the
-- less resilient.
with characteristics as (
    select * from {{ edition_rows(ref('int_respondent_characteristics')) }}
),

categories as (
    select * from {{ edition_rows(ref('int_profile_categories')) }}
),

weights as (
    select edition, resp_id, calibration_weight from {{ edition_rows(ref('respondent_weights')) }}
),

indicator_values as (
    select * from {{ edition_rows(ref('int_respondent_indicators')) }}
    where value is not null
),

resilience as (
    select edition, resp_id, veerkrachtig from {{ edition_rows(ref('int_respondent_veerkrachtig')) }}
    where veerkrachtig is not null
),

cells as (
    select
        characteristics.edition,
        characteristics.characteristic,
        characteristics.category,
        indicator_values.indicator,
        {{ weighted_cell_sums('indicator_values.value', 'weights.calibration_weight') }}
    from characteristics
    inner join indicator_values using (edition, resp_id)
    inner join weights using (edition, resp_id)
    group by all
),

-- the respondents with a known veerkrachtig, once per characteristic, in their own category
members as (
    select
        characteristics.edition,
        characteristics.characteristic,
        characteristics.category,
        resilience.veerkrachtig,
        weights.calibration_weight
    from characteristics
    inner join resilience using (edition, resp_id)
    inner join weights using (edition, resp_id)
),

-- A category's share among the resilient (or the less resilient) is the weighted mean of a
-- value that is 100 for the members in the category and 0 for the others. Its weighted cell
-- sums (macro weighted_cell_sums) follow from two groupings instead of a row per member and
-- category: n, sum(w) and sum(w^2) over all members of the characteristic, and sum(w) and
-- sum(w^2) in the category (sum(w y) = 100 sum_category(w), sum(w^2 y) = 100 sum_category(w^2),
-- sum(w^2 y^2) = 10000 sum_category(w^2)).
member_totals as (
    select
        edition,
        characteristic,
        veerkrachtig,
        {{ weight_sums('calibration_weight') }}
    from members
    group by all
),

category_totals as (
    select
        edition,
        characteristic,
        category,
        veerkrachtig,
        {{ weight_sums('calibration_weight') }}
    from members
    group by all
),

composition_cells as (
    select
        categories.edition,
        categories.characteristic,
        categories.category,
        member_totals.veerkrachtig,
        coalesce(category_totals.n_respondents, 0) as n_in_category,
        member_totals.n_respondents,
        member_totals.sum_w,
        member_totals.sum_w2,
        100.0 * coalesce(category_totals.sum_w, 0) as sum_wy,
        100.0 * coalesce(category_totals.sum_w2, 0) as sum_w2y,
        10000.0 * coalesce(category_totals.sum_w2, 0) as sum_w2y2
    from categories
    inner join member_totals using (edition, characteristic)
    left join category_totals using (edition, characteristic, category, veerkrachtig)
),

composition as (
    select
        edition,
        characteristic,
        category,
        veerkrachtig,
        n_in_category,
        {{ weighted_mean('composition_cells') }} as share,
        {{ weighted_mean_variance('composition_cells') }} as variance
    from composition_cells
),

composition_sides as (
    select
        categories.edition,
        categories.characteristic,
        categories.category,
        coalesce(resilient.n_in_category, 0) as n_resilient,
        coalesce(less_resilient.n_in_category, 0) as n_less_resilient,
        resilient.share as share_among_resilient,
        less_resilient.share as share_among_less_resilient,
        resilient.variance + less_resilient.variance as difference_variance,
        least(coalesce(resilient.n_in_category, 0), coalesce(less_resilient.n_in_category, 0))
            < {{ var('min_respondents_per_cell') }} as composition_suppressed
    from categories
    left join composition as resilient
        on resilient.edition = categories.edition and resilient.characteristic = categories.characteristic
        and resilient.category = categories.category and resilient.veerkrachtig
    left join composition as less_resilient
        on less_resilient.edition = categories.edition and less_resilient.characteristic = categories.characteristic
        and less_resilient.category = categories.category and not less_resilient.veerkrachtig
),

grid as (
    select categories.*, indicators.indicator, indicators.min_value, indicators.max_value
    from categories
    cross join {{ ref('int_indicators') }} as indicators
)

select
    grid.edition,
    grid.characteristic,
    grid.characteristic_label,
    grid.characteristic_order,
    grid.category,
    grid.category_label,
    grid.category_order,
    grid.indicator,
    {{ published_estimate_columns('cells', 'grid.min_value', 'grid.max_value') }},
    sides.n_resilient,
    sides.n_less_resilient,
    {%- set shown = "not sides.composition_suppressed" %}
    case when {{ shown }} then sides.share_among_resilient end as share_among_resilient,
    case when {{ shown }} then sides.share_among_less_resilient end as share_among_less_resilient,
    case when {{ shown }} then sides.share_among_resilient - sides.share_among_less_resilient end as difference,
    case when {{ shown }} then sides.share_among_resilient - sides.share_among_less_resilient - 1.959964 * sqrt(sides.difference_variance) end as difference_ci_lower,
    case when {{ shown }} then sides.share_among_resilient - sides.share_among_less_resilient + 1.959964 * sqrt(sides.difference_variance) end as difference_ci_upper,
    case when {{ shown }} then abs(sides.share_among_resilient - sides.share_among_less_resilient) > 1.959964 * sqrt(sides.difference_variance) end as significant,
    sides.composition_suppressed,
    case
        when sides.composition_suppressed
            then 'composition: fewer than {{ var("min_respondents_per_cell") }} respondents of the category among the '
                || case when sides.n_resilient < {{ var("min_respondents_per_cell") }} then 'resilient' else 'less resilient' end
    end as composition_suppression_reason
from grid
left join cells using (edition, characteristic, category, indicator)
inner join composition_sides as sides using (edition, characteristic, category)
