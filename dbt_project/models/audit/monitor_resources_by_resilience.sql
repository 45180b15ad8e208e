-- The resources of the resilient and the less resilient (methodology section 9): per edition
-- and resource (every resource scale and the three resource group scores), the
-- calibration-weighted mean among the respondents who are veerkrachtig and among those who
-- are not, each with its Taylor-linearised 95 % CI, and the difference (resilient minus less
-- resilient) with a 95 % CI that treats the two groups as independent samples.
-- Disclosure (section 6): a row whose smaller group has fewer than
-- var('min_respondents_per_cell') respondents with a value publishes no figure.
with indicator_values as (
    select * from {{ edition_rows(ref('int_respondent_indicators')) }}
    where value is not null
),

weights as (
    select edition, resp_id, calibration_weight from {{ edition_rows(ref('respondent_weights')) }}
),

resilience as (
    select edition, resp_id, veerkrachtig from {{ edition_rows(ref('int_respondent_veerkrachtig')) }}
    where veerkrachtig is not null
),

resource_groups as (
    select distinct scale_group from {{ source('survey', 'codebook_scales') }} where group_kind = 'resource'
),

resources as (
    select indicator, scale_group as resource_group, indicator_kind, min_value, max_value
    from {{ ref('int_indicators') }}
    where scale_group in (select scale_group from resource_groups)
),

cells as (
    select
        indicator_values.edition,
        indicator_values.indicator,
        resilience.veerkrachtig,
        {{ weighted_cell_sums('indicator_values.value', 'weights.calibration_weight') }}
    from indicator_values
    inner join resilience using (edition, resp_id)
    inner join weights using (edition, resp_id)
    where indicator_values.indicator in (select indicator from resources)
    group by all
),

sides as (
    select
        cells.*,
        {{ weighted_mean('cells') }} as estimate,
        {{ weighted_mean_variance('cells') }} as variance
    from cells
),

grid as (
    select editions.edition, resources.*
    from (select distinct edition from {{ edition_rows(ref('int_gemeenten')) }}) as editions
    cross join resources
),

paired as (
    select
        grid.*,
        resilient.estimate as estimate_resilient,
        resilient.variance as variance_resilient,
        coalesce(resilient.n_respondents, 0) as n_resilient,
        less_resilient.estimate as estimate_less_resilient,
        less_resilient.variance as variance_less_resilient,
        coalesce(less_resilient.n_respondents, 0) as n_less_resilient
    from grid
    left join sides as resilient
        on resilient.edition = grid.edition and resilient.indicator = grid.indicator and resilient.veerkrachtig
    left join sides as less_resilient
        on less_resilient.edition = grid.edition and less_resilient.indicator = grid.indicator and not less_resilient.veerkrachtig
)

{%- set n = 'least(paired.n_resilient, paired.n_less_resilient)' %}
select
    paired.edition,
    paired.indicator,
    paired.resource_group,
    paired.indicator_kind,
    {%- for group in ['resilient', 'less_resilient'] %}
    {%- set estimate = 'paired.estimate_' ~ group %}
    {%- set half_width = '1.959964 * sqrt(paired.variance_' ~ group ~ ')' %}
    {{ unless_suppressed(estimate, n) }} as estimate_{{ group }},
    {{ unless_suppressed('greatest(paired.min_value, ' ~ estimate ~ ' - ' ~ half_width ~ ')', n) }} as ci_lower_{{ group }},
    {{ unless_suppressed('least(paired.max_value, ' ~ estimate ~ ' + ' ~ half_width ~ ')', n) }} as ci_upper_{{ group }},
    paired.n_{{ group }},
    {%- endfor %}
    {%- set difference = 'paired.estimate_resilient - paired.estimate_less_resilient' %}
    {%- set difference_half = '1.959964 * sqrt(paired.variance_resilient + paired.variance_less_resilient)' %}
    {{ unless_suppressed(difference, n) }} as difference,
    {{ unless_suppressed(difference ~ ' - ' ~ difference_half, n) }} as ci_lower,
    {{ unless_suppressed(difference ~ ' + ' ~ difference_half, n) }} as ci_upper,
    {{ unless_suppressed('abs(' ~ difference ~ ') > ' ~ difference_half, n) }} as significant,
    {{ n }} as n_respondents,
    {{ is_suppressed(n) }} as suppressed,
    case
        when {{ is_suppressed(n) }}
            then 'fewer than {{ var("min_respondents_per_cell") }} respondents among the '
                || case when paired.n_resilient <= paired.n_less_resilient then 'resilient' else 'less resilient' end
    end as suppression_reason
from paired
