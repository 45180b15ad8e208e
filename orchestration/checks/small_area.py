"""Validate before publishing the small-area estimates (GX, blocking): no area without an
estimate or an interval, no figure for a suppressed area, no respondent-level column."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, asset_check
from dagster_duckdb import DuckDBResource

from data_quality.runner import validate_frame
from data_quality.suites import small_area as suite
from data_quality.suites.published_marts import no_respondent_columns
from monitor.codebook import load_codebook
from monitor.statistics.small_area import INDICATORS
from orchestration.checks.results import check_result, data_docs_dir
from orchestration.keys import audit_key
from orchestration.partitions import edition_of, editions

SAE_KEY = audit_key("monitor_small_area_estimates")


@asset_check(
    asset=SAE_KEY,
    name="monitor_small_area_estimates_publication",
    blocking=True,
    partitions_def=editions,
    additional_deps=[["intermediate", "int_small_area_covariates"]],
    description=(
        "GX: every wijk and buurt of the layout has both indicators; every area not suppressed has an "
        "estimate within its interval; suppressed areas (under 50 inhabitants) and direct figures on "
        "fewer than 10 respondents show nothing; no respondent-level column."
    ),
)
def monitor_small_area_estimates_publication(
    context: AssetCheckExecutionContext, warehouse: DuckDBResource
) -> AssetCheckResult:
    edition = edition_of(context)
    with warehouse.get_connection() as conn:
        areas = conn.execute("select count(*) from intermediate.int_small_area_covariates where edition = ?", [edition]).fetchone()[0]
        frame = conn.execute("select * from audit.monitor_small_area_estimates where edition = ?", [edition]).df()
    outcome = validate_frame(
        frame, suite.SUITE_NAME, f"audit.monitor_small_area_estimates (edition {edition})", suite.build_suite(areas * len(INDICATORS)),
        docs_dir=data_docs_dir(context),
    )
    outcome.outcomes.append(no_respondent_columns(list(frame.columns), load_codebook()))
    return check_result(context, [outcome])
