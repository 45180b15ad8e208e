"""Validate the staged survey (GX, blocking): answers recoded inside their items' ranges with
missing codes as NULL, and respondents only in gemeenten and buurten of the edition's CBS
layout. The weights, the marts and publication wait for these checks."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetKey, asset_check
from dagster_duckdb import DuckDBResource

from data_quality.runner import validate_frame, validate_table
from data_quality.suites import staging as suite
from monitor.codebook import load_codebook
from orchestration.checks.results import check_result, data_docs_dir
from orchestration.partitions import edition_of, editions

ITEM_ANSWERS_KEY = AssetKey(["staging", "stg_survey__item_answers"])
RESPONDENTS_KEY = AssetKey(["staging", "stg_survey__respondents"])
LAYOUT_KEY = AssetKey(["staging", "stg_cbs__kwb_regions"])


@asset_check(
    asset=ITEM_ANSWERS_KEY,
    name="stg_survey__item_answers_recoded",
    blocking=True,
    partitions_def=editions,
    description=(
        "GX suites staging_item_answers and staging_item_answers_grain, built from the codebook: every "
        "valid answer has a recoded value inside its item's range and a 0..10 score, every missing code "
        "became NULL (validated on the distinct answer patterns with their counts), one answer per "
        "respondent and item."
    ),
)
def stg_survey__item_answers_recoded(context: AssetCheckExecutionContext, warehouse: DuckDBResource) -> AssetCheckResult:
    codebook = load_codebook()
    edition = edition_of(context)
    batch = f"staging.stg_survey__item_answers (edition {edition})"
    relation = f"(select * from staging.stg_survey__item_answers where edition = {edition:d})"
    with warehouse.get_connection() as conn:
        patterns = conn.execute(suite.ANSWER_PATTERNS_SQL.format(relation=relation)).df()
        grain = conn.execute(suite.ITEM_GRAIN_SQL.format(relation=relation)).df()
    context.log.info(f"{batch}: {int(patterns['answers'].sum()):,} answers in {len(patterns):,} distinct patterns")
    outcomes = [
        validate_frame(patterns, suite.SUITE_ITEM_ANSWERS, f"{batch}, answer patterns", suite.item_answers_suite(codebook), docs_dir=data_docs_dir(context)),
        validate_frame(grain, suite.SUITE_ITEM_GRAIN, f"{batch}, per item", suite.item_grain_suite(codebook), docs_dir=data_docs_dir(context)),
    ]
    return check_result(context, outcomes)


@asset_check(
    asset=RESPONDENTS_KEY,
    name="stg_survey__respondents_in_layout",
    blocking=True,
    partitions_def=editions,
    additional_deps=[LAYOUT_KEY],
    description=(
        "GX suite staging_respondents: no orphan gemeente or buurt codes against the edition's CBS layout "
        "(staging.stg_cbs__kwb_regions), resp_id present and unique, design weight positive, background "
        "codes valid after recoding."
    ),
)
def stg_survey__respondents_in_layout(context: AssetCheckExecutionContext, warehouse: DuckDBResource) -> AssetCheckResult:
    codebook = load_codebook()
    edition = edition_of(context)
    with warehouse.get_connection() as conn:
        layout = conn.execute(
            "select region_type, region_code from staging.stg_cbs__kwb_regions where edition = ? and region_type in ('gemeente', 'buurt')",
            [edition],
        ).df()
        codes = {kind: sorted(layout.loc[layout.region_type == kind, "region_code"]) for kind in ("gemeente", "buurt")}
        outcome = validate_table(
            conn,
            f"select * from staging.stg_survey__respondents where edition = {edition:d}",
            suite.SUITE_RESPONDENTS,
            f"staging.stg_survey__respondents (edition {edition})",
            suite.respondents_suite(codes["buurt"], codes["gemeente"], codebook),
            private_columns=codebook.private_columns,
            docs_dir=data_docs_dir(context),
        )
    return check_result(context, [outcome])
