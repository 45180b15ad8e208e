"""What the Dagster UI shows of the statistics beside their tables' standard metadata: how the
weighting went, which resource groups lead, how much the small-area estimates rest on the model.
Aggregates only, read with SQL from the tables the dbt Python models wrote (no respondent row)."""

from __future__ import annotations

from collections.abc import Callable

from dagster import AssetKey, MetadataValue

from monitor.presentation.flagged import flagged_areas
from orchestration.keys import audit_key, table_key
from orchestration.metadata import FLAGGED_KEY, markdown_table


def _weighting(conn, edition: int) -> dict:
    summary = conn.execute(
        """select
            (select count(*) from weighting.respondent_weights where edition = $1) as respondents,
            (select count(*) from weighting.raking_domains where edition = $1) as raking_domains,
            (select coalesce(list(gemeente_code order by gemeente_code), []) from weighting.gemeente_weights
                where edition = $1 and raking_level = 'regio') as gemeenten_pooled_in_region,
            (select max(abs(relative_difference)) from weighting.raking_margins where edition = $1) as max_relative_margin_difference,
            (select max(weight_ratio) from weighting.respondent_weights where edition = $1) as max_weight_ratio,
            (select count(*) filter (where trimmed) from weighting.respondent_weights where edition = $1) as trimmed_respondents,
            (select median(kish_deff) from weighting.gemeente_weights where edition = $1) as median_kish_deff_gemeente""",
        [edition],
    ).df()
    return {"weighting": MetadataValue.json({k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in summary.iloc[0].items()})}


def _kish(conn, edition: int) -> dict:
    table = conn.execute(
        "select edition, gemeente_code, raking_level, n_respondents, kish_deff from weighting.gemeente_weights "
        "where edition = ? order by gemeente_code",
        [edition],
    ).df()
    return {"kish_deff_per_gemeente": MetadataValue.md(markdown_table(table))}


def _importance(conn, edition: int) -> dict:
    groups = conn.execute(
        "select edition, resource, importance_share, rank from audit.monitor_resource_importance "
        "where edition = ? and level = 'group' order by rank",
        [edition],
    ).df()
    fit = conn.execute(
        "select any_value(r2_total), any_value(n_respondents), any_value(n_excluded) from audit.monitor_resource_importance where edition = ?",
        [edition],
    ).fetchone()
    return {"groups": MetadataValue.md(markdown_table(groups)),
            "fit": MetadataValue.json({"r2_total": fit[0], "n_used": fit[1], "n_excluded": fit[2]})}  # fmt: skip


def _regio_importance(conn, edition: int) -> dict:
    fits = conn.execute(
        """select regio_code, regio_name, any_value(n_respondents) as n_respondents, any_value(r2_total) as r2_total,
               bool_or(suppressed) as suppressed
           from audit.monitor_resource_importance_regio where edition = ? group by all order by regio_code""",
        [edition],
    ).df()
    return {"regios": MetadataValue.md(markdown_table(fits))}


def _small_area(conn, edition: int) -> dict:
    flagged = conn.execute(
        "select gemeente_code, area_level, area_code, indicator from audit.monitor_small_area_estimates "
        "where edition = ? and below_gemeente",
        [edition],
    ).fetchall()
    fit = conn.execute(
        """select area_level, indicator, any_value(sigma2_area) as sigma2_area, avg(mean_own_weight) as mean_own_weight,
               sum(flagged) as flagged, sum(flagged_on_respondents) as on_respondents, sum(flagged_on_model) as on_model,
               sum(flagged_on_both) as on_both
           from audit.monitor_small_area_validation where edition = ? group by all order by area_level, indicator""",
        [edition],
    ).df()
    return {FLAGGED_KEY: flagged_areas(flagged).total, "fit_and_flags": MetadataValue.md(markdown_table(fit))}


def _validation(conn, edition: int) -> dict:
    summary = conn.execute(
        """select edition, area_level, indicator, count(*) as gemeenten,
               corr(model_aggregate, direct_estimate) as correlation,
               avg(model_aggregate - direct_estimate) as mean_difference,
               sqrt(avg(power(model_aggregate - direct_estimate, 2))) as rmse,
               avg(within_direct_ci::integer) as share_within_direct_ci
           from audit.monitor_small_area_validation where edition = ? group by all order by area_level, indicator""",
        [edition],
    ).df()
    return {"model_vs_direct": MetadataValue.md(markdown_table(summary))}


EXTRAS: dict[AssetKey, Callable[[object, int], dict]] = {
    table_key("weighting", "respondent_weights"): _weighting,
    table_key("weighting", "gemeente_weights"): _kish,
    audit_key("monitor_resource_importance"): _importance,
    audit_key("monitor_resource_importance_regio"): _regio_importance,
    audit_key("monitor_small_area_estimates"): _small_area,
    audit_key("monitor_small_area_validation"): _validation,
}


def extra_metadata(conn, key: AssetKey, edition: int) -> dict:
    """The statistics' own metadata of asset `key` (none for other assets)."""
    extra = EXTRAS.get(key)
    return extra(conn, edition) if extra is not None else {}
