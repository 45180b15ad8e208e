"""Validate before publishing: every mart candidate in schema audit passes disclosure control
and its content rules (GX, blocking) before the publish asset copies it into monitor.

Disclosure control says what may be shown (data_quality/suites/published_marts.py); the
content rules say whether what is shown is consistent: figures inside their indicator's
range, intervals containing their estimate, shares adding up, trend differences agreeing
with their estimates (data_quality/suites/mart_contents.py)."""

import pandas as pd
from dagster import AssetCheckExecutionContext, AssetCheckResult, asset_check
from dagster_duckdb import DuckDBResource

from data_quality.runner import validate_frame
from data_quality.suites.mart_contents import ContentSuite
from data_quality.suites.published_contents import content_suites
from data_quality.suites.published_marts import DISCLOSED_TABLES, MIN_RESPONDENTS, mart_suite, no_respondent_columns
from monitor.codebook import load_codebook
from monitor.contract import PublishedTable
from orchestration.assets.publish import WHOLE_TABLES, audit_key
from orchestration.checks.results import check_result, data_docs_dir
from orchestration.partitions import edition_of, editions
from orchestration.warehouse import AUDIT


def _audit_rows(warehouse: DuckDBResource, table: str, edition: int) -> tuple[pd.DataFrame, str]:
    """The candidate rows of `edition` (tables comparing editions: all of them) and the batch name."""
    if table in WHOLE_TABLES:  # no edition column
        query, params, scope = f"select * from {AUDIT}.{table}", [], "all edition pairs"
    else:
        query, params, scope = f"select * from {AUDIT}.{table} where edition = ?", [edition], f"edition {edition}"
    with warehouse.get_connection() as conn:
        return conn.execute(query, params).df(), f"{AUDIT}.{table} ({scope})"


def disclosure_check(mart: PublishedTable):
    @asset_check(
        asset=audit_key(mart.name),
        name=f"{mart.name}_disclosure_control",
        blocking=True,
        partitions_def=editions,
        description=(
            f"GX: no figure of {AUDIT}.{mart.name} rests on fewer than {MIN_RESPONDENTS} respondents, suppressed cells "
            "publish nothing, and no respondent-level column is in the table."
        ),
    )
    def _check(context: AssetCheckExecutionContext, warehouse: DuckDBResource) -> AssetCheckResult:

        frame, batch = _audit_rows(warehouse, mart.name, edition_of(context))
        outcome = validate_frame(frame, "published_mart_disclosure", batch, mart_suite(mart), docs_dir=data_docs_dir(context))
        outcome.outcomes.append(no_respondent_columns(list(frame.columns), load_codebook()))
        return check_result(context, [outcome])

    return _check


disclosure_checks = [disclosure_check(mart) for mart in DISCLOSED_TABLES]


def content_check(content: ContentSuite):
    @asset_check(
        asset=audit_key(content.table),
        name=f"{content.table}_contents",
        blocking=True,
        partitions_def=editions,
        description=(
            f"GX suite {content.suite_name}: the figures of {AUDIT}.{content.table} are within their ranges "
            "and consistent with each other (intervals contain estimates, shares add up, keys unique)."
        ),
    )
    def _check(context: AssetCheckExecutionContext, warehouse: DuckDBResource) -> AssetCheckResult:
        rows, batch = _audit_rows(warehouse, content.table, edition_of(context))
        outcome = validate_frame(content.frame(rows), content.suite_name, batch, content.specs, docs_dir=data_docs_dir(context))
        return check_result(context, [outcome])

    return _check


content_checks = [content_check(content) for content in content_suites(load_codebook())]
