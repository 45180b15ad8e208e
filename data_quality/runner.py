"""Run a list of `Expect` specs with Great Expectations 1.x on a pandas frame.

GX's SQL datasource over duckdb-engine returns no rows for its metric queries (GX issues
#10738, #11579), so DuckDB tables are validated as frames read from DuckDB.

With a `docs_dir`, the scrubbed validation result is also written into that folder as a page of
the run's data-quality report (data_quality/report.py: self-contained HTML, no network, no
script; it replaced GX's Data Docs site, whose pages load their styles and scripts from CDNs).
Several validations (checks of one Dagster run, possibly in parallel processes) share the
folder, and its `index.html` lists every validation written so far."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from data_quality.expectations import Expect
from data_quality.outcome import ExpectationOutcome, SuiteOutcome
from monitor.landing.identifiers import HiddenValues

MAX_EXAMPLES = 5
PRIVATE_REASON = "values not shown: private column"
ROW_COLUMN = "_source_row"  # the line in the delivered file (set by the loaders)

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


def _columns(kwargs: dict) -> set[str]:
    """Every column an expectation reads, whatever its domain (column, pair or list)."""
    named = [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"), *(kwargs.get("column_list") or [])]
    return {c for c in named if c}


def _leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, (list, tuple, set)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [str(value)]


def _private_values(frame: pd.DataFrame, private_columns: set[str]) -> set[str]:
    return {str(v) for c in private_columns if c in frame.columns for v in frame[c].dropna().unique()}


def _scrub_private(validation, private_columns: set[str], private_values: set[str]) -> None:
    """Keep only counts in a result that is about a private column or carries one of its
    values anywhere (e.g. in the index list of another column), before it is stored or
    rendered: Data Docs show sample values such as the duplicated resp_ids of
    ExpectColumnValuesToBeUnique."""
    for evr in validation.results:
        result = evr.result or {}
        shown = _leaves({k: v for k, v in result.items() if k not in PRIVATE_SAFE_KEYS})
        if _columns(evr.expectation_config.kwargs) & private_columns or private_values.intersection(shown):
            evr.result = {k: v for k, v in result.items() if k in PRIVATE_SAFE_KEYS}


def _write_docs(docs_dir: Path, validation, batch_name: str, row_count: int) -> tuple[Path, Path]:
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


def _gx_friendly(frame: pd.DataFrame) -> pd.DataFrame:
    """pandas 3 string columns as object: GX 1.24 compares dtypes by equality and cannot name
    `StringDtype(na_value=nan)` in a type list."""
    strings = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
    return frame.astype({c: object for c in strings}) if strings else frame


def source_lines(result: dict) -> list[int]:
    """Line numbers in the delivered file of the failing rows GX lists (frames from raw tables
    carry `_source_row`). Without that column GX lists bare frame positions, not lines."""
    items = result.get("partial_unexpected_index_list") or []
    return [int(item[ROW_COLUMN]) for item in items if isinstance(item, dict) and ROW_COLUMN in item]


def _reason(spec: Expect, hidden: Mapping[str, str]) -> str | None:
    """Why the values of this expectation are not shown, when one of its columns is hidden."""
    return next((hidden[c] for c in sorted(_columns(spec.kwargs)) if c in hidden), None)


def _meta(index: int, spec: Expect, hidden: Mapping[str, str]) -> dict:
    """What the stored GX result and its report page carry of the spec: its place in the list
    (GX returns results in its own order), its meaning, and why values are not shown."""
    reason = _reason(spec, hidden)
    return {"spec": index, "meaning": spec.meaning, **({"values_hidden": reason} if reason else {})}


def _outcome(spec: Expect, gx_result, hidden: Mapping[str, str]) -> ExpectationOutcome:
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


def _hidden(private_columns: Iterable[str] | Mapping[str, str] | HiddenValues) -> tuple[dict[str, str], str | None]:
    """Per column why its values are not shown, and the note saying what to do about it: from
    the identifier rule (HiddenValues), a mapping of reasons, or plain private column names."""
    if isinstance(private_columns, HiddenValues):
        return dict(private_columns.reasons), private_columns.advice or None
    if isinstance(private_columns, Mapping):
        return dict(private_columns), None
    return {c: PRIVATE_REASON for c in private_columns}, None


def validate_frame(
    frame: pd.DataFrame,
    suite_name: str,
    batch_name: str,
    expectations: Iterable[Expect],
    private_columns: Iterable[str] | Mapping[str, str] | HiddenValues = (),
    docs_dir: Path | None = None,
) -> SuiteOutcome:
    """Validate `frame` against the specs; the outcome keeps no values of private columns
    (names, or HiddenValues from the identifier rule of monitor/landing/identifiers.py, which
    also hides columns whose content looks like respondent ids): counts and lines only. With
    `docs_dir`, also write the validation as a page of the run's data-quality report there (the
    same values scrubbed) and add it to the folder's index.html."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    specs = list(expectations)
    hidden, note = _hidden(private_columns)
    private = set(hidden)
    if docs_dir is not None:
        docs_dir = Path(docs_dir)
        docs_dir.mkdir(parents=True, exist_ok=True)
    batch = (
        _context()
        .data_sources.add_pandas(suite_name)
        .add_dataframe_asset(batch_name)
        .add_batch_definition_whole_dataframe("whole_frame")
        .get_batch(batch_parameters={"dataframe": _gx_friendly(frame)})
    )
    suite = gx.ExpectationSuite(
        name=suite_name,
        expectations=[getattr(gxe, s.kind)(**s.kwargs, meta=_meta(i, s, hidden)) for i, s in enumerate(specs)],
    )
    result_format = {"result_format": "SUMMARY"}
    if ROW_COLUMN in frame.columns:
        result_format["unexpected_index_column_names"] = [ROW_COLUMN]
    validation = batch.validate(suite, result_format=result_format)
    # GX returns results in its own order; the meta tag leads each back to its spec
    by_spec = {r.expectation_config.meta["spec"]: r for r in validation.results}
    outcomes = [_outcome(spec, by_spec[i], hidden) for i, spec in enumerate(specs)]
    outcome = SuiteOutcome(
        suite_name=suite_name, batch_name=batch_name, row_count=len(frame), outcomes=outcomes, note=note
    )
    if docs_dir is not None:
        # after the outcomes, which keep the line numbers of private-column failures
        _scrub_private(validation, private, _private_values(frame, private))
        page, index = _write_docs(docs_dir, validation, batch_name, len(frame))
        outcome.docs_path, outcome.docs_index = str(page), str(index)
    return outcome
