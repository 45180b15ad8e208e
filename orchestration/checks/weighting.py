"""Validate the calibration weights (GX, blocking): nothing built on weights that miss the CBS
margins, exceed the trimming bound or leave a respondent out is published."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, asset_check
from dagster_duckdb import DuckDBResource

from data_quality.runner import validate_frame, validate_table
from data_quality.suites import weighting as suite
from monitor.contract import MAX_WEIGHT_RATIO  # the trimming bound (not the weighting module: polars, svy)
from orchestration.checks.results import check_result, data_docs_dir
from orchestration.keys import table_key
from orchestration.partitions import edition_of, editions

WEIGHTS_KEY = table_key("weighting", "respondent_weights")


@asset_check(
    asset=WEIGHTS_KEY,
    name="calibration_weights_contract",
    blocking=True,
    partitions_def=editions,
    additional_deps=[["weighting", "raking_margins"]],
    description="GX: weights positive, within the trimming bound, one per staged respondent; weighted totals reproduce every CBS margin within 0.1 %.",
)
def calibration_weights_contract(context: AssetCheckExecutionContext, warehouse: DuckDBResource) -> AssetCheckResult:
    edition = edition_of(context)
    docs_dir = data_docs_dir(context)
    with warehouse.get_connection() as conn:
        n_staged = conn.execute("select count(*) from staging.stg_survey__respondents where edition = ?", [edition]).fetchone()[0]
        margins = conn.execute("select * from weighting.raking_margins where edition = ?", [edition]).df()
        weights = validate_table(
            conn,
            f"select calibration_weight, weight_ratio from weighting.respondent_weights where edition = {edition:d}",
            suite.SUITE_WEIGHTS,
            f"weighting.respondent_weights (edition {edition})",
            suite.weights_suite(n_staged, MAX_WEIGHT_RATIO),
            docs_dir=docs_dir,
        )
    margins_outcome = validate_frame(
        margins, suite.SUITE_MARGINS, f"weighting.raking_margins (edition {edition})", suite.margins_suite(), docs_dir=docs_dir
    )
    return check_result(context, [weights, margins_outcome])
