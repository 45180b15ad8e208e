"""Model and publish: small-area estimates for every wijk and buurt (methodology section 5),
benchmarked to the published gemeente direct estimates, with the "overall goed, maar niet
overal" flag, and a validation of model against direct at gemeente level."""

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset
from dagster_duckdb import DuckDBResource

from data_quality.suites.published_marts import MIN_RESPONDENTS
from monitor.presentation.flagged import flagged_areas
from monitor.statistics.small_area import INDICATORS, fit_table, small_area_estimates
from orchestration.assets.publish import FLAGGED_KEY, audit_key
from orchestration.assets.weighting import WEIGHTS_KEY
from orchestration.metadata import code_version, markdown_table, table_metadata
from orchestration.partitions import edition_of, editions
from orchestration.warehouse import AUDIT, replace_edition_rows

SAE_KEY = audit_key("monitor_small_area_estimates")
VALIDATION_KEY = audit_key("monitor_small_area_validation")
VERSION = code_version(__name__, "monitor.statistics.small_area")
INPUTS = [
    AssetKey(["intermediate", "int_small_area_covariates"]),
    AssetKey(["intermediate", "int_respondent_indicators"]),
    AssetKey(["intermediate", "int_area_names"]),
    AssetKey(["staging", "stg_survey__respondents"]),
    audit_key("monitor_area_estimates"),
    WEIGHTS_KEY,
]

# one row per respondent with the two small-area indicators (NULL where not valid)
RESPONDENTS_SQL = """
    select
        r.edition, r.resp_id, r.gemeente_code, r.buurt_code,
        case when r.buurt_code is not null then 'WK' || substr(r.buurt_code, 3, 6) end as wijk_code,
        w.calibration_weight as weight,
        max(case when i.indicator = 'veerkracht_score' then i.value end) as veerkracht_score,
        max(case when i.indicator = 'pct_veerkrachtig' then i.value end) as pct_veerkrachtig
    from staging.stg_survey__respondents as r
    inner join weighting.respondent_weights as w using (edition, resp_id)
    left join intermediate.int_respondent_indicators as i using (edition, resp_id)
    where r.edition = ?
    group by all
    order by r.resp_id  -- a fixed order: float sums (and the REML fit) must not depend on it
"""
AREAS_SQL = "select * from intermediate.int_small_area_covariates where edition = ? order by area_level, area_code"
DIRECT_SQL = """
    select edition, area_level, area_code, indicator, estimate, ci_lower, ci_upper, n_respondents
    from audit.monitor_area_estimates
    where edition = ? and area_level in ('provincie', 'gemeente') and indicator in (select unnest(?))
    order by area_level, area_code, indicator
"""
# the names every table and page shows beside the codes (methodology section 12)
NAMES_SQL = """
    select area_level, area_code, area_name, gemeente_name, name_source
    from intermediate.int_area_names
    where edition = ? and area_level in ('wijk', 'buurt')
"""


def _named(estimates: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """The estimates with area_name, gemeente_name and name_source after area_code. Every wijk
    and buurt has a row in int_area_names (its code where no source names it)."""
    named = estimates.merge(names, on=["area_level", "area_code"], how="left", validate="many_to_one")
    named["area_name"] = named["area_name"].fillna(named["area_code"])
    named["name_source"] = named["name_source"].fillna("code")
    order = list(estimates.columns)
    at = order.index("area_code") + 1
    return named[order[:at] + ["area_name", "gemeente_name", "name_source"] + order[at:]]


def _without_small_direct_figures(estimates: pd.DataFrame) -> pd.DataFrame:
    """The direct estimate beside the model one is a direct figure too: not published on
    fewer than 10 respondents (methodology section 6)."""
    few = estimates["n_respondents"] < MIN_RESPONDENTS
    return estimates.assign(direct_estimate=estimates["direct_estimate"].where(~few))


def _validation_summary(validation: pd.DataFrame) -> pd.DataFrame:
    """Model (before benchmarking, aggregated to the gemeente) against the direct estimate."""
    grouped = validation.groupby(["edition", "area_level", "indicator"])
    return grouped.apply(
        lambda g: pd.Series(
            {
                "gemeenten": len(g),
                "correlation": g["model_aggregate"].corr(g["direct_estimate"]),
                "mean_difference": (g["model_aggregate"] - g["direct_estimate"]).mean(),
                "rmse": float(((g["model_aggregate"] - g["direct_estimate"]) ** 2).mean() ** 0.5),
                "share_within_direct_ci": float(g["within_direct_ci"].mean()),
            }
        ),
        include_groups=False,
    ).reset_index()


@multi_asset(
    partitions_def=editions,
    specs=[
        AssetSpec(
            SAE_KEY,
            deps=INPUTS,
            group_name="audit",
            kinds={"duckdb", "python"},
            code_version=VERSION,
            description=(
                "audit.monitor_small_area_estimates (published as monitor.monitor_small_area_estimates): veerkracht_score and pct_veerkrachtig for every wijk and "
                "buurt of the layout (named: area_name, gemeente_name, name_source from intermediate.int_area_names), model-based (CBS covariates + gemeente), benchmarked to the gemeente direct "
                "estimate, with a 95 % interval, the weight of the area's own respondents (own_weight) and the "
                "below_gemeente flag with what it rests on (flag_basis: respondents, model or both); the published "
                "view monitor.monitor_below_gemeente lists the flagged areas per gemeente."
            ),
        ),
        AssetSpec(
            VALIDATION_KEY,
            deps=[SAE_KEY],
            group_name="audit",
            kinds={"duckdb"},
            code_version=VERSION,
            description=("audit.monitor_small_area_validation: per gemeente, the model aggregated before benchmarking "
                         "against the direct estimate, the level's sigma_u^2, the mean weight of the own respondents "
                         "and the flagged areas by what the flag rests on."),
        ),
    ],
)
def small_area_estimates_asset(context: AssetExecutionContext, warehouse: DuckDBResource):
    edition = edition_of(context)
    with warehouse.get_connection() as conn:
        respondents = conn.execute(RESPONDENTS_SQL, [edition]).df()
        areas = conn.execute(AREAS_SQL, [edition]).df()
        direct = conn.execute(DIRECT_SQL, [edition, list(INDICATORS)]).df()
        names = conn.execute(NAMES_SQL, [edition]).df()
    result = small_area_estimates(respondents, areas, direct)
    published = _named(_without_small_direct_figures(result.estimates), names)
    summary = _validation_summary(result.validation)
    with warehouse.get_connection() as conn:
        rows = replace_edition_rows(conn, AUDIT, "monitor_small_area_estimates", published, edition)
        replace_edition_rows(conn, AUDIT, "monitor_small_area_validation", result.validation, edition)
        tables = {name: table_metadata(conn, AUDIT, name, edition) for name in ("monitor_small_area_estimates", "monitor_small_area_validation")}
    below = published.loc[published["below_gemeente"].astype(bool), ["gemeente_code", "area_level", "area_code", "indicator"]]
    flagged = flagged_areas(below.itertuples(index=False, name=None)).total
    context.log.info(f"edition {edition}: small-area estimates: {rows:,} rows, {flagged} wijken/buurten flagged below their gemeente")
    yield MaterializeResult(
        asset_key=SAE_KEY,
        metadata={
            **tables["monitor_small_area_estimates"],
            FLAGGED_KEY: flagged,
            "fit_and_flags": MetadataValue.md(markdown_table(fit_table(result.diagnostics))),
            "model": MetadataValue.json(result.diagnostics),
        },
    )
    yield MaterializeResult(
        asset_key=VALIDATION_KEY,
        metadata={**tables["monitor_small_area_validation"], "model_vs_direct": MetadataValue.md(markdown_table(summary))},
    )
