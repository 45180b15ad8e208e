"""Turning suite outcomes into a Dagster check result a data engineer and an auditor can read:
a markdown table of every expectation, the failing columns with counts, a plain summary and,
when written, the GX Data Docs of the run."""

from pathlib import Path

from dagster import AssetCheckExecutionContext, AssetCheckKey, AssetCheckResult, AssetCheckSeverity, MetadataValue

from data_quality.outcome import SuiteOutcome
from monitor import settings
from orchestration.checks.remedies import advice
from orchestration.partitions import edition_of


def data_docs_dir(context: AssetCheckExecutionContext) -> Path:
    """The GX Data Docs folder of this Dagster run, shared by all its checks:
    <MONITOR_WAREHOUSE>/data_quality/<run_id>/ (its index.html lists every validation)."""
    return settings.warehouse_dir() / "data_quality" / context.run.run_id  # no run_id on check contexts


def _docs_metadata(outcomes: list[SuiteOutcome]) -> dict:
    """The run's data-quality report: a link that opens from the UI while `monitor ui` serves
    the warehouse's reports (a browser will not open a local file from a web page), and the path."""
    index = next((o.docs_index for o in outcomes if o.docs_index), None)
    if not index:
        return {}
    page = next((o.docs_path for o in outcomes if o.docs_path and not o.success), None) or index
    url = settings.report_url(Path(page))
    return {**({"data_docs_url": MetadataValue.url(url)} if url else {}), "data_docs": MetadataValue.path(index)}


def _advice_metadata(context: AssetCheckExecutionContext, key: AssetCheckKey, passed: bool) -> dict:
    """The stage the check guards and, when it failed, what to do (the CLI summary shows the same)."""
    edition = edition_of(context) if context.has_partition_key else None
    guidance = advice(key.asset_key, key.name, edition)
    return {"layer": guidance.layer, **({} if passed else {"what_to_do": MetadataValue.text(guidance.what_to_do)})}


def check_result(
    context: AssetCheckExecutionContext,
    outcomes: list[SuiteOutcome],
    metadata: dict | None = None,
    key: AssetCheckKey | None = None,
) -> AssetCheckResult:
    """The outcomes as one check result; `metadata` adds what the suites alone do not show. `key`
    names the check when the step runs several (a multi-asset check); else the step's one check."""
    key = key or context.check_specs[0].key
    passed = all(o.success for o in outcomes)
    for outcome in outcomes:
        log = context.log.info if outcome.success else context.log.error
        log(outcome.summary_line() + ("" if outcome.success else "\n" + outcome.failure_text()))
    failures = [
        {"batch": o.batch_name, "column": f.column, "expected": f.meaning, "unexpected_count": f.unexpected_count}
        for o in outcomes
        for f in o.failures
    ]
    return AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "result": MetadataValue.md("\n\n".join(o.to_markdown() for o in outcomes)),
            "expectations_evaluated": sum(len(o.outcomes) for o in outcomes),
            "expectations_failed": len(failures),
            "failing_columns": MetadataValue.json(failures),
            "failure_summary": MetadataValue.text(
                "\n".join(f"{o.batch_name}:\n{o.failure_text()}" for o in outcomes if not o.success) or "none"
            ),
            **_advice_metadata(context, key, passed),
            **_docs_metadata(outcomes),
            **(metadata or {}),
        },
    )
