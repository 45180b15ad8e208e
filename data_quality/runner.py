"""Run a list of `Expect` specs with Great Expectations 1.x on a pandas frame.

GX's SQL datasource over duckdb-engine returns no rows for its metric queries (GX issues
#10738, #11579), so DuckDB tables are validated as frames read from DuckDB."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from data_quality.expectations import Expect
from data_quality.outcome import ExpectationOutcome, SuiteOutcome

MAX_EXAMPLES = 5
ROW_COLUMN = "_source_row"  # the line in the delivered file (set by the loaders)


def _context():
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


def _examples(result: dict, private: bool) -> list[str]:
    if private:  # values of private columns (resp_id) never reach metadata or logs
        return []
    values = result.get("partial_unexpected_list") or result.get("partial_missing_list") or []
    distinct = list(dict.fromkeys(str(v) for v in values))
    return distinct[:MAX_EXAMPLES]


def _gx_friendly(frame: pd.DataFrame) -> pd.DataFrame:
    """pandas 3 string columns as object: GX 1.24 compares dtypes by equality and cannot name
    `StringDtype(na_value=nan)` in a type list."""
    strings = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
    return frame.astype({c: object for c in strings}) if strings else frame


def _rows(result: dict) -> list[int]:
    """Line numbers in the delivered file of the first failing rows (frames from raw tables
    carry `_source_row`)."""
    return [int(item[ROW_COLUMN]) for item in result.get("partial_unexpected_index_list") or [] if ROW_COLUMN in item][:MAX_EXAMPLES]


def _outcome(spec: Expect, gx_result, private_columns: set[str]) -> ExpectationOutcome:
    result = gx_result.result or {}
    error = gx_result.exception_info.get("exception_message") if gx_result.exception_info.get("raised_exception") else None
    observed = result.get("observed_value")
    details = result.get("details", {}).get("mismatched") if isinstance(result.get("details"), dict) else None
    if details and details.get("missing"):
        observed = f"missing: {sorted(details['missing'])}"
    private = bool(spec.column and any(c in private_columns for c in spec.column.split(" / ")))
    return ExpectationOutcome(
        expectation=spec.kind,
        column=spec.column,
        meaning=spec.meaning,
        success=bool(gx_result.success),
        element_count=result.get("element_count"),
        unexpected_count=result.get("unexpected_count", result.get("missing_count")),
        unexpected_percent=result.get("unexpected_percent"),
        observed_value=None if (private or observed is None) else str(observed)[:300],
        examples=_examples(result, private),
        rows=_rows(result),
        error=error,
    )


def validate_frame(
    frame: pd.DataFrame,
    suite_name: str,
    batch_name: str,
    expectations: Iterable[Expect],
    private_columns: Iterable[str] = (),
) -> SuiteOutcome:
    """Validate `frame` against the specs; the outcome keeps no respondent-level values of
    private columns."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    specs = list(expectations)
    context = _context()
    batch = (
        context.data_sources.add_pandas(suite_name)
        .add_dataframe_asset(batch_name)
        .add_batch_definition_whole_dataframe("whole_frame")
        .get_batch(batch_parameters={"dataframe": _gx_friendly(frame)})
    )
    suite = gx.ExpectationSuite(
        name=suite_name,
        expectations=[getattr(gxe, s.kind)(**s.kwargs, meta={"spec": i}) for i, s in enumerate(specs)],
    )
    result_format = {"result_format": "SUMMARY"}
    if ROW_COLUMN in frame.columns:
        result_format["unexpected_index_column_names"] = [ROW_COLUMN]
    validation = batch.validate(suite, result_format=result_format)
    # GX returns results in its own order; the meta tag leads each back to its spec
    by_spec = {r.expectation_config.meta["spec"]: r for r in validation.results}
    outcomes = [_outcome(spec, by_spec[i], set(private_columns)) for i, spec in enumerate(specs)]
    return SuiteOutcome(suite_name=suite_name, batch_name=batch_name, row_count=len(frame), outcomes=outcomes)
