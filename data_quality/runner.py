"""Run a list of `Expect` specs on rows in DuckDB: the rows are counted where they lie
(data_quality/counting.py) and Great Expectations 1.x judges the counts.

`validate_table` validates a relation of the warehouse; `validate_frame` registers a pandas
frame with an in-memory DuckDB and validates it the same way, so a check on a mart and a check
on a raw table give their outcomes, examples and report pages by one code path. Why not GX on
the rows themselves: GX's SQL datasource over duckdb-engine returns no rows for its metric
queries (GX issues #10738, #11579), and GX on a national table read into pandas took 25 s where
the counts take half a second.

GX judges one small frame per suite: a row per expectation with its unexpected count and the
count its `mostly` allows. The measured results are then put into GX's own validation-result
shape, so that the outcome, the scrubbing of private values and the report page are those of a
GX validation.

With a `docs_dir`, the scrubbed validation result is also written into that folder as a page of
the run's data-quality report (data_quality/report.py: self-contained HTML, no network, no
script; it replaced GX's Data Docs site, whose pages load their styles and scripts from CDNs).
Several validations (checks of one Dagster run, possibly in parallel processes) share the
folder, and its `index.html` lists every validation written so far."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import pandas as pd

from data_quality.counting import Measured, Table, measure, private_values_shown, source_lines
from data_quality.expectations import Expect
from data_quality.outcome import ExpectationOutcome, SuiteOutcome
from monitor.landing.identifiers import HiddenValues

MAX_EXAMPLES = 5
PRIVATE_REASON = "values not shown: private column"
JUDGE_SUITE = "{suite}__counts"
FRAME_VIEW = "validated_rows"

# What a result of an expectation on a private column may keep: counts, never values
# (the report shows partial_unexpected_list, partial_unexpected_counts and index lists as examples).
PRIVATE_SAFE_KEYS = frozenset(
    {
        "element_count",
        "missing_count",
        "missing_percent",
        "unexpected_count",
        "unexpected_percent",
        "unexpected_percent_total",
        "unexpected_percent_nonmissing",
    }
)


def ephemeral_context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _columns(kwargs: dict) -> set[str]:
    """Every column an expectation reads, whatever its domain (column, pair or list)."""
    named = [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"), *(kwargs.get("column_list") or [])]
    return {c for c in named if c}


def leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, (list, tuple, set)):
        return [leaf for v in value for leaf in leaves(v)]
    return [str(value)]


def scrub_private(validation, private_columns: set[str], private_values: set[str]) -> None:
    """Keep only counts in a result that is about a private column or carries one of its
    values anywhere (e.g. in the index list of another column), before it is stored or
    rendered: Data Docs show sample values such as the duplicated resp_ids of
    ExpectColumnValuesToBeUnique."""
    for evr in validation.results:
        result = evr.result or {}
        shown = leaves({k: v for k, v in result.items() if k not in PRIVATE_SAFE_KEYS})
        if _columns(evr.expectation_config.kwargs) & private_columns or private_values.intersection(shown):
            evr.result = {k: v for k, v in result.items() if k in PRIVATE_SAFE_KEYS}


def write_docs(docs_dir: Path, validation, batch_name: str, row_count: int) -> tuple[Path, Path]:
    """The validation's report page and the run's index (a function of its own, because the
    benchmark's profile (bench/bench_pipeline.py) reports the docs' share under this name)."""
    from data_quality.report import write_validation  # jinja2 and filelock, only when docs are written

    return write_validation(docs_dir, validation, batch_name, row_count)


def _examples(result: dict, private: bool) -> list[str]:
    if private:  # values of private columns (resp_id) never reach metadata or logs
        return []
    values = result.get("partial_unexpected_list") or result.get("partial_missing_list") or []
    distinct = list(dict.fromkeys(str(v) for v in values))
    return distinct[:MAX_EXAMPLES]


def _reason(spec: Expect, hidden: Mapping[str, str]) -> str | None:
    """Why the values of this expectation are not shown, when one of its columns is hidden."""
    return next((hidden[c] for c in sorted(_columns(spec.kwargs)) if c in hidden), None)


def spec_meta(index: int, spec: Expect, hidden: Mapping[str, str]) -> dict:
    """What the stored GX result and its report page carry of the spec: its place in the list
    (GX returns results in its own order), its meaning, and why values are not shown."""
    reason = _reason(spec, hidden)
    return {"spec": index, "meaning": spec.meaning, **({"values_hidden": reason} if reason else {})}


def expectation_outcome(spec: Expect, gx_result, hidden: Mapping[str, str]) -> ExpectationOutcome:
    result = gx_result.result or {}
    error = gx_result.exception_info.get("exception_message") if gx_result.exception_info.get("raised_exception") else None
    observed = result.get("observed_value")
    details = result.get("details", {}).get("mismatched") if isinstance(result.get("details"), dict) else None
    if details and details.get("missing"):
        observed = f"missing: {sorted(details['missing'])}"
    reason = _reason(spec, hidden)
    return ExpectationOutcome(
        expectation=spec.kind,
        column=spec.column,
        meaning=spec.meaning,
        success=bool(gx_result.success),
        element_count=result.get("element_count"),
        unexpected_count=result.get("unexpected_count", result.get("missing_count")),
        unexpected_percent=result.get("unexpected_percent"),
        observed_value=None if (reason or observed is None) else str(observed)[:300],
        examples=_examples(result, bool(reason)),
        rows=source_lines(result)[:MAX_EXAMPLES],
        error=error,
        hidden=reason,
    )


def hidden_reasons(private_columns: Iterable[str] | Mapping[str, str] | HiddenValues) -> tuple[dict[str, str], str | None]:
    """Per column why its values are not shown, and the note saying what to do about it: from
    the identifier rule (HiddenValues), a mapping of reasons, or plain private column names."""
    if isinstance(private_columns, HiddenValues):
        return dict(private_columns.reasons), private_columns.advice or None
    if isinstance(private_columns, Mapping):
        return dict(private_columns), None
    return {c: PRIVATE_REASON for c in private_columns}, None


def judge(suite_name: str, measured: list[Measured]) -> set[int]:
    """GX validates the counts (one row per spec): the specs whose unexpected count exceeds what
    their `mostly` allows, or that could not be evaluated."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    counts = pd.DataFrame(
        {
            "spec": range(len(measured)),
            "unexpected_count": [m.unexpected for m in measured],
            "allowed_unexpected": [m.allowed for m in measured],
        }
    )
    name = JUDGE_SUITE.format(suite=suite_name)
    batch = (
        ephemeral_context()
        .data_sources.add_pandas(name)
        .add_dataframe_asset("counts")
        .add_batch_definition_whole_dataframe("counts")
        .get_batch(batch_parameters={"dataframe": counts})
    )
    rule = gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="allowed_unexpected", column_B="unexpected_count", or_equal=True
    )
    validation = batch.validate(
        gx.ExpectationSuite(name=name, expectations=[rule]),
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["spec"]},
    )
    index = (validation.results[0].result or {}).get("unexpected_index_list") or []
    failing = {int(item["spec"]) for item in index}
    if not validation.success and not failing:  # never lose a failure to a change of GX's result shape
        failing = {i for i, m in enumerate(measured) if m.unexpected > m.allowed}
    return failing | {i for i, m in enumerate(measured) if m.error}


def _validation(
    suite_name: str, specs: list[Expect], measured: list[Measured], failing: set[int], hidden: Mapping[str, str]
):
    """The measurements as GX's validation result of the specs, so that the runner's outcome,
    scrubbing and report page treat them as they treat a validation of a frame."""
    import great_expectations.expectations as gxe
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult

    results = []
    for i, (spec, m) in enumerate(zip(specs, measured, strict=True)):
        kwargs = {k: v for k, v in spec.kwargs.items() if k != "result_format"}
        config = getattr(gxe, spec.kind)(**kwargs, meta=spec_meta(i, spec, hidden)).configuration
        error = (
            {"raised_exception": True, "exception_message": m.error, "exception_traceback": None}
            if m.error
            else {"raised_exception": False, "exception_message": None, "exception_traceback": None}
        )
        results.append(
            ExpectationValidationResult(
                success=m.error is None and i not in failing,
                expectation_config=config,
                result=m.result,
                exception_info=error,
            )
        )
    successful = sum(bool(r.success) for r in results)
    statistics = {
        "evaluated_expectations": len(results),
        "successful_expectations": successful,
        "unsuccessful_expectations": len(results) - successful,
        "success_percent": 100.0 * successful / len(results) if results else 100.0,
    }
    return ExpectationSuiteValidationResult(
        success=successful == len(results), results=results, suite_name=suite_name, statistics=statistics, meta={}
    )


def validate_table(
    conn,
    relation: str,
    suite_name: str,
    batch_name: str,
    expectations: Iterable[Expect],
    private_columns: Iterable[str] | Mapping[str, str] | HiddenValues = (),
    docs_dir: Path | None = None,
) -> SuiteOutcome:
    """Validate the rows of `relation` (a table name or a select) in DuckDB against the specs.
    The outcome keeps no values of private columns (names, or HiddenValues from the identifier
    rule of monitor/landing/identifiers.py, which also hides columns whose content looks like
    respondent ids): counts and lines only. With `docs_dir`, also write the validation as a page
    of the run's data-quality report there (the same values scrubbed) and add it to the
    folder's index.html."""
    specs = list(expectations)
    hidden, note = hidden_reasons(private_columns)
    table = Table(conn, relation)
    measured = measure(table, specs)
    validation = _validation(suite_name, specs, measured, judge(suite_name, measured), hidden)
    outcomes = [expectation_outcome(spec, validation.results[i], hidden) for i, spec in enumerate(specs)]
    outcome = SuiteOutcome(
        suite_name=suite_name, batch_name=batch_name, row_count=table.row_count, outcomes=outcomes, note=note
    )
    if docs_dir is not None:
        # after the outcomes, which keep the line numbers of private-column failures
        docs_dir = Path(docs_dir)
        docs_dir.mkdir(parents=True, exist_ok=True)
        shown = {leaf for evr in validation.results for leaf in leaves(evr.result.get("partial_unexpected_list") or [])}
        scrub_private(validation, set(hidden), private_values_shown(table, shown, set(hidden)))
        page, index = write_docs(docs_dir, validation, batch_name, table.row_count)
        outcome.docs_path, outcome.docs_index = str(page), str(index)
    return outcome


def validate_frame(
    frame: pd.DataFrame,
    suite_name: str,
    batch_name: str,
    expectations: Iterable[Expect],
    private_columns: Iterable[str] | Mapping[str, str] | HiddenValues = (),
    docs_dir: Path | None = None,
) -> SuiteOutcome:
    """`validate_table` on a pandas frame (the rows a check computed, or a test's frame): DuckDB
    reads the frame in place, NaN as NULL, its dtypes as DuckDB types."""
    with duckdb.connect() as conn:
        conn.register(FRAME_VIEW, frame)
        return validate_table(
            conn, f"select * from {FRAME_VIEW}", suite_name, batch_name, expectations, private_columns, docs_dir
        )
