{#- Weighted direct estimates with a confidence interval that accounts for the weights
    (methodology section 3). One pass of sums per cell; then
      estimate   = sum(w y) / sum(w)
      variance   = n / (n - 1) * sum(w^2 (y - estimate)^2) / sum(w)^2   (Taylor linearisation)
      n_effective = sum(w)^2 / sum(w^2)                                    (Kish)
    The sums are exact_sum()s (macros/exact_aggregates.sql): the same bits on any number of
    threads. The linearisation treats respondents as drawn with replacement and ignores the gemeente
    strata, which errs on the wide side for areas above the gemeente. -#}

{#- the sums of a cell's weights alone: n, sum(w) and sum(w^2) -#}
{% macro weight_sums(weight) -%}
    count(*) as n_respondents,
    {{ exact_sum(weight) }} as sum_w,
    {{ exact_sum(weight ~ ' * ' ~ weight) }} as sum_w2
{%- endmacro %}

{% macro weighted_cell_sums(value, weight) -%}
    {{ weight_sums(weight) }},
    {{ exact_sum(weight ~ ' * ' ~ value) }} as sum_wy,
    {{ exact_sum(weight ~ ' * ' ~ weight ~ ' * ' ~ value) }} as sum_w2y,
    {{ exact_sum(weight ~ ' * ' ~ weight ~ ' * ' ~ value ~ ' * ' ~ value) }} as sum_w2y2
{%- endmacro %}

{% macro weighted_mean(cells) -%}
    ({{ cells }}.sum_wy / {{ cells }}.sum_w)
{%- endmacro %}

{% macro weighted_mean_variance(cells) -%}
    (greatest(0.0,
        {{ cells }}.n_respondents / nullif({{ cells }}.n_respondents - 1, 0)
        * ({{ cells }}.sum_w2y2
           - 2 * {{ weighted_mean(cells) }} * {{ cells }}.sum_w2y
           + {{ weighted_mean(cells) }} * {{ weighted_mean(cells) }} * {{ cells }}.sum_w2)
    ) / ({{ cells }}.sum_w * {{ cells }}.sum_w))
{%- endmacro %}

{% macro weighted_mean_half_width(cells) -%}
    (1.959964 * sqrt({{ weighted_mean_variance(cells) }}))
{%- endmacro %}

{#- The published columns of a weighted cell: estimate and CI clipped to the indicator's
    range, suppressed (estimate NULL, reason given) on too few respondents. -#}
{% macro published_estimate_columns(cells, min_value, max_value, estimate_name='estimate', unusable=none) -%}
    {%- set n = 'coalesce(' ~ cells ~ '.n_respondents, 0)' -%}
    {{ unless_suppressed(weighted_mean(cells), n, unusable) }} as {{ estimate_name }},
    {{ unless_suppressed('greatest(' ~ min_value ~ ', ' ~ weighted_mean(cells) ~ ' - ' ~ weighted_mean_half_width(cells) ~ ')', n, unusable) }} as ci_lower,
    {{ unless_suppressed('least(' ~ max_value ~ ', ' ~ weighted_mean(cells) ~ ' + ' ~ weighted_mean_half_width(cells) ~ ')', n, unusable) }} as ci_upper,
    {{ n }} as n_respondents,
    coalesce({{ cells }}.sum_w * {{ cells }}.sum_w / {{ cells }}.sum_w2, 0) as n_effective,
    {{ is_suppressed(n, unusable) }} as suppressed,
    {{ suppression_reason(n, unusable) }} as suppression_reason
{%- endmacro %}
