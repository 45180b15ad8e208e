"""Validate before publishing: every mart candidate in schema audit passes disclosure control
and its content rules (GX, blocking) before the publish asset copies it into monitor.

Disclosure control says what may be shown (data_quality/suites/published_marts.py, on the
tables and figures of monitor/contract.yaml); the content rules say whether what is shown is
consistent: figures inside their indicator's range, intervals containing their estimate,
shares adding up, trend differences agreeing with their estimates
(data_quality/suites/published_contents.py).

One Dagster step runs them all (a multi-asset check): each check keeps its own name, asset and
result in the UI, blocks publication on its own, and can be run alone (the step runs only the
checks selected); one step instead of one per check saves the per-step cost of the run (its
events and set-up), which was most of the time these small validations took."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pandas as pd
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSpec, multi_asset_check
from dagster_duckdb import DuckDBResource

from data_quality.outcome import SuiteOutcome
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


@dataclass(frozen=True)
class MartCheck:
    """One check of the step: its spec (name, asset, description) and its validation of an
    edition's candidate rows (rows, batch name, report folder -> suite outcome)."""

    spec: AssetCheckSpec
    table: str
    validate: Callable[[pd.DataFrame, str, object], SuiteOutcome]


def _spec(table: str, name: str, description: str) -> AssetCheckSpec:
    return AssetCheckSpec(name, asset=audit_key(table), blocking=True, partitions_def=editions, description=description)


def disclosure_check(mart: PublishedTable) -> MartCheck:
    def validate(rows: pd.DataFrame, batch: str, docs) -> SuiteOutcome:
        outcome = validate_frame(rows, "published_mart_disclosure", batch, mart_suite(mart), docs_dir=docs)
        outcome.outcomes.append(no_respondent_columns(list(rows.columns), load_codebook()))
        return outcome

    description = (
        f"GX: no figure of {AUDIT}.{mart.name} rests on fewer than {MIN_RESPONDENTS} respondents, suppressed cells "
        "publish nothing, and no respondent-level column is in the table."
    )
    return MartCheck(_spec(mart.name, f"{mart.name}_disclosure_control", description), mart.name, validate)


def content_check(content: ContentSuite) -> MartCheck:
    def validate(rows: pd.DataFrame, batch: str, docs) -> SuiteOutcome:
        return validate_frame(content.frame(rows), content.suite_name, batch, content.specs, docs_dir=docs)

    description = (
        f"GX suite {content.suite_name}: the figures of {AUDIT}.{content.table} are within their ranges "
        "and consistent with each other (intervals contain estimates, shares add up, keys unique)."
    )
    return MartCheck(_spec(content.table, f"{content.table}_contents", description), content.table, validate)


MART_CHECKS = [
    *(disclosure_check(mart) for mart in DISCLOSED_TABLES),
    *(content_check(content) for content in content_suites(load_codebook())),
]


@multi_asset_check(
    name="audit_checks",
    specs=[check.spec for check in MART_CHECKS],
    can_subset=True,
    description="Disclosure control and content rules of every candidate table in schema audit (GX, blocking).",
)
def audit_checks(context: AssetCheckExecutionContext, warehouse: DuckDBResource) -> Iterator[AssetCheckResult]:
    edition, docs = edition_of(context), data_docs_dir(context)
    selected = context.selected_asset_check_keys
    rows: dict[str, tuple[pd.DataFrame, str]] = {}  # a table read once for its checks
    for check in MART_CHECKS:
        if check.spec.key not in selected:
            continue
        if check.table not in rows:
            rows[check.table] = _audit_rows(warehouse, check.table, edition)
        frame, batch = rows[check.table]
        yield check_result(context, [check.validate(frame, batch, docs)], key=check.spec.key)
