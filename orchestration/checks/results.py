"""Turning suite outcomes into a Dagster check result a data engineer and an auditor can read:
a markdown table of every expectation, the failing columns with counts, and a plain summary."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, MetadataValue

from data_quality.outcome import SuiteOutcome


def check_result(context: AssetCheckExecutionContext, outcomes: list[SuiteOutcome]) -> AssetCheckResult:
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
        },
    )
