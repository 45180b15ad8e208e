"""Run a list of `Expect` specs with Great Expectations 1.x on a pandas frame.

GX's SQL datasource over duckdb-engine returns no rows for its metric queries (GX issues
#10738, #11579), so DuckDB tables are validated as frames read from DuckDB.

With a `docs_dir`, the validation is also rendered as GX Data Docs in that folder. Several
validations (checks of one Dagster run, possibly in parallel processes) share the folder: each
keeps its scrubbed result as JSON under `_stores/`, and every build re-indexes all of them, so
`index.html` lists every validation written so far."""

from __future__ import annotations

import datetime
import re
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from data_quality.expectations import Expect
from data_quality.outcome import ExpectationOutcome, SuiteOutcome
from monitor.landing.identifiers import HiddenValues

MAX_EXAMPLES = 5
PRIVATE_REASON = "values not shown: private column"
ROW_COLUMN = "_source_row"  # the line in the delivered file (set by the loaders)

DOCS_SITE = "run_data_docs"
RESULTS_STORE = "run_validation_results"
SUITES_STORE = "run_expectation_suites"
STORES_FOLDER = "_stores"  # inside docs_dir: the results and suites the site is rebuilt from
LOCK_FILE = ".data_docs.lock"
# What a result of an expectation on a private column may keep: counts, never values
# (GX renders partial_unexpected_list, partial_unexpected_counts and index lists as examples).
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


def _docs_context(docs_dir: Path):
    """An ephemeral context whose validation results, suites and Data Docs site live in
    `docs_dir`: the filesystem stores let a later build (another check, another process) see
    and re-index the validations written before it."""
    context = _context()
    stores = docs_dir / STORES_FOLDER
    for name, kind, folder in [
        (RESULTS_STORE, "ValidationResultsStore", "validations"),
        (SUITES_STORE, "ExpectationsStore", "expectations"),
    ]:
        backend = {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(stores / folder)}
        context.add_store(name, {"class_name": kind, "store_backend": backend})
    context.add_data_docs_site(
        DOCS_SITE,
        {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "site_section_builders": {
                "expectations": {"source_store_name": SUITES_STORE},
                "validations": {"source_store_name": RESULTS_STORE},
                "profiling": "None",  # GX's falsy string: no profiling section
            },
        },
    )
    return context


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


def _batch_key(batch_name: str) -> str:
    """The batch name as one plain path segment of the docs site: a "/" would nest folders, a
    leading "." hide the page."""
    return re.sub(r"[^\w.()\- ]+", "_", batch_name).strip(" .") or "batch"


def _file_path(url: str) -> Path:
    return Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))


def _write_docs(context, docs_dir: Path, suite, validation, batch_name: str) -> tuple[Path, Path]:
    """Store the (scrubbed) result and suite, render their pages and rebuild the index; returns
    the validation's page and the index. Locked, so that a parallel check cannot write the index
    from a listing that misses this validation."""
    from filelock import FileLock  # a dependency of dagster, cheap to import
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    run_id = RunIdentifier(run_name=docs_dir.name, run_time=datetime.datetime.now(datetime.UTC))
    # the page renderer takes its title and run columns from the meta, as ValidationDefinition.run sets it
    validation.meta["run_id"] = run_id
    validation.meta["validation_time"] = run_id.run_time
    validation.meta.setdefault("batch_spec", {})["data_asset_name"] = batch_name  # the page's "Data asset" line
    suite_key = ExpectationSuiteIdentifier(name=suite.name)
    key = ValidationResultIdentifier(
        expectation_suite_identifier=suite_key, run_id=run_id, batch_identifier=_batch_key(batch_name)
    )
    with FileLock(docs_dir / LOCK_FILE):
        context.stores[RESULTS_STORE].set(key, validation)
        context.stores[SUITES_STORE].add_or_update(suite_key, suite)
        # only this validation's and suite's pages are rendered; the index is rebuilt from all stored results
        context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=[key, suite_key])
    urls = context.get_docs_sites_urls(resource_identifier=key, site_name=DOCS_SITE, only_if_exists=True)
    page = urls[0]["site_url"] if urls else None
    index = docs_dir / "index.html"
    if not page or not index.exists():
        # GX logs rendering errors instead of raising them
        raise RuntimeError(
            f"expected GX to write the Data Docs page of {suite.name} on {batch_name} and {index}; "
            "it did not (see the great_expectations error in the log)"
        )
    return _file_path(page), index


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
    carry `_source_row`). Without that column GX lists bare frame positions, not lines."""
    items = result.get("partial_unexpected_index_list") or []
    return [int(item[ROW_COLUMN]) for item in items if isinstance(item, dict) and ROW_COLUMN in item][:MAX_EXAMPLES]


def _outcome(spec: Expect, gx_result, hidden: Mapping[str, str]) -> ExpectationOutcome:
    result = gx_result.result or {}
    error = gx_result.exception_info.get("exception_message") if gx_result.exception_info.get("raised_exception") else None
    observed = result.get("observed_value")
    details = result.get("details", {}).get("mismatched") if isinstance(result.get("details"), dict) else None
    if details and details.get("missing"):
        observed = f"missing: {sorted(details['missing'])}"
    reason = next((hidden[c] for c in sorted(_columns(spec.kwargs)) if c in hidden), None)
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
        rows=_rows(result),
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
    `docs_dir`, also write the validation as GX Data Docs there (the same values scrubbed) and
    add it to the folder's index.html."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    specs = list(expectations)
    hidden, note = _hidden(private_columns)
    private = set(hidden)
    if docs_dir is not None:
        docs_dir = Path(docs_dir)
        docs_dir.mkdir(parents=True, exist_ok=True)
    context = _context() if docs_dir is None else _docs_context(docs_dir)
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
    outcomes = [_outcome(spec, by_spec[i], hidden) for i, spec in enumerate(specs)]
    outcome = SuiteOutcome(
        suite_name=suite_name, batch_name=batch_name, row_count=len(frame), outcomes=outcomes, note=note
    )
    if docs_dir is not None:
        # after the outcomes, which keep the line numbers of private-column failures
        _scrub_private(validation, private, _private_values(frame, private))
        page, index = _write_docs(context, docs_dir, suite, validation, batch_name)
        outcome.docs_path, outcome.docs_index = str(page), str(index)
    return outcome
