"""Run the refresh job in this process and summarise it for the person waiting at the terminal.

Used by `monitor refresh` and by the tests, so that both exercise the same Dagster job."""

from __future__ import annotations

import os
import textwrap
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from dagster import DagsterInstance

from monitor import settings
from monitor.exports.tabellenboek import workbook_name
from monitor.landing.discover import find_editions, skipped_folders
from monitor.settings import dbt_log_path, published_path
from orchestration.lock import warehouse_lock
from orchestration.partitions import EDITION_PARTITIONS_NAME
from orchestration.progress import edition_banner

DAGSTER_YAML = """\
# Written by `monitor`: the Dagster instance of this warehouse (runs, events, check results).
telemetry:
  enabled: false
run_queue:
  # DuckDB allows one writer per file: runs launched from the UI wait for each other.
  max_concurrent_runs: 1
"""


def dagster_home() -> Path:
    """DAGSTER_HOME, defaulting to <warehouse>/dagster_home so that runs started from the CLI
    show in the UI (`make ui`) with their check results."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.warehouse_dir() / "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@dataclass
class CheckSummary:
    name: str
    passed: bool
    detail: str = ""
    edition: int | None = None
    layer: str = ""
    what_to_do: str = ""
    blocking: bool = True  # False for a WARN result: reported, never a failure of the refresh


@dataclass
class RefreshReport:
    success: bool
    run_ids: list[str]
    checks: list[CheckSummary] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    error: str | None = None
    step_seconds: dict[str, float] = field(default_factory=dict)
    published: list[int] = field(default_factory=list)  # editions whose checked tables reached schema monitor
    editions: list[int] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)  # editions whose candidate tables were built in schema audit
    notes: list[str] = field(default_factory=list)  # what the refresh noticed and did besides (not errors)

    @property
    def failed_checks(self) -> list[CheckSummary]:
        return [c for c in self.checks if not c.passed and c.blocking]

    @property
    def warnings(self) -> list[CheckSummary]:
        return [c for c in self.checks if not c.passed and not c.blocking]

    @property
    def ok(self) -> bool:
        return self.success and not self.failed_checks


def _run_config() -> dict:
    return {
        "resources": {"landing": {"config": {"path": str(settings.landing_dir())}}},
        "loggers": {"console": {"config": {}}},
    }


def _check_summaries(result, edition: int) -> list[CheckSummary]:
    from dagster import AssetCheckSeverity

    from orchestration.checks.remedies import advice

    summaries = []
    for evaluation in result.get_asset_check_evaluations():
        meta = evaluation.metadata or {}
        detail = meta.get("failure_summary")
        key = evaluation.asset_check_key
        blocking = evaluation.severity == AssetCheckSeverity.ERROR
        guidance = advice(key.asset_key, key.name, edition, blocking)
        summaries.append(
            CheckSummary(
                name=key.to_user_string(),
                passed=evaluation.passed,
                detail="" if evaluation.passed or detail is None else str(detail.value),
                edition=edition,
                layer=guidance.layer,
                what_to_do="" if evaluation.passed else guidance.what_to_do,
                blocking=blocking,
            )
        )
    return summaries


def _step_seconds(instance: DagsterInstance, run_id: str) -> dict[str, float]:
    """Wall time of each step of the run, from the event log (where the time goes)."""
    started, seconds = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            seconds[event.step_key] = entry.timestamp - started[event.step_key]
    return seconds


def _failure_message(event, edition: int) -> str:
    """What went wrong in a failed step: the error the step raised (e.g. the loader's message
    naming file, column and rows), not Dagster's wrapper around it, and what to do."""
    from orchestration.checks.remedies import step_advice

    error = event.event_specific_data.error
    message = str((error.cause or error).message).strip()
    return f"{event.step_key}: {message}\nwhat to do: {step_advice(event.step_key, edition, message)}"


def register_editions(instance: DagsterInstance, editions: list[int]) -> None:
    """Make each edition a partition (the sensor does the same for new landing folders)."""
    known = set(instance.get_dynamic_partitions(EDITION_PARTITIONS_NAME))
    new = [str(e) for e in editions if str(e) not in known]
    if new:
        instance.add_dynamic_partitions(EDITION_PARTITIONS_NAME, new)


def _published(result) -> bool:
    """Whether the run's publish step copied the edition into schema monitor."""
    from orchestration.assets.publish import LOG_TABLE, published_key

    return any(event.asset_key == published_key(LOG_TABLE) for event in result.get_asset_materialization_events())


def _built_candidate(result) -> bool:
    """Whether the run built any candidate table in schema audit."""
    from orchestration.warehouse import AUDIT

    return any(event.asset_key.path[0] == AUDIT for event in result.get_asset_materialization_events())


def _refresh_edition(job, instance: DagsterInstance, edition: int) -> RefreshReport:
    result = job.execute_in_process(
        run_config=_run_config(), instance=instance, partition_key=str(edition), raise_on_error=False
    )
    failures = [e for e in result.all_events if e.is_step_failure]
    if not result.success:
        from orchestration.failures import explain

        explain(instance, result.run_id)  # the UI's run page then ends with why it failed
    return RefreshReport(
        editions=[edition],
        published=[edition] if _published(result) else [],
        candidates=[edition] if _built_candidate(result) else [],
        success=result.success,
        run_ids=[result.run_id],
        checks=_check_summaries(result, edition),
        failed_steps=[f"{edition} {e.step_key}" for e in failures],
        error="\n".join(_failure_message(e, edition) for e in failures) or None,
        step_seconds={f"{edition} {k}": v for k, v in _step_seconds(instance, result.run_id).items()},
    )


def run_refresh(
    editions: list[int] | None = None,
    instance: DagsterInstance | None = None,
    wait: bool = True,
    progress: Callable[[str], None] = print,
) -> RefreshReport:
    """Materialize every asset (checks included) for each edition (None: every edition in the
    landing zone), one edition (partition) at a time, holding the warehouse's refresh lock
    (see orchestration.lock), announcing each edition to `progress`; one report for all."""
    from orchestration.definitions import build_definitions
    from orchestration.jobs import REFRESH_JOB_NAME

    if instance is None:
        dagster_home()
        instance = DagsterInstance.get()
    found = [f.edition for f in find_editions(settings.landing_dir(), editions)]
    notes = skipped_folders(settings.landing_dir())
    job = build_definitions().resolve_job_def(REFRESH_JOB_NAME)
    with warehouse_lock(settings.duckdb_path(), wait=wait, on_taken=lambda: notes.extend(_recover(instance))):
        register_editions(instance, found)
        reports = []
        for number, edition in enumerate(found, start=1):
            progress(edition_banner(edition, number, len(found)))
            reports.append(_refresh_edition(job, instance, edition))
    return RefreshReport(
        success=all(r.success for r in reports),
        run_ids=[run_id for r in reports for run_id in r.run_ids],
        checks=[c for r in reports for c in r.checks],
        failed_steps=[s for r in reports for s in r.failed_steps],
        error="\n".join(r.error for r in reports if r.error) or None,
        step_seconds={k: v for r in reports for k, v in r.step_seconds.items()},
        published=[e for r in reports for e in r.published],
        editions=found,
        candidates=[e for r in reports for e in r.candidates],
        notes=notes,
    )


def _recover(instance: DagsterInstance) -> list[str]:
    """What `monitor refresh` does on taking the warehouse lock: mark the runs of killed
    refreshes failed and remove what they left (orchestration.recovery)."""
    from orchestration.lock import CLI_HOLDER
    from orchestration.recovery import recover

    return recover(instance, settings.duckdb_path(), f"{CLI_HOLDER} (pid {os.getpid()})", say=lambda line: None)


# -- summary --------------------------------------------------------------------------------

# a table of each layer, per edition (the schema in each name is the layer: monitor/contract.yaml)
LAYER_TABLES = [
    ("raw.survey_responses", "_landing_edition"),
    ("raw.kwb_key_figures", "edition"),
    ("staging.stg_survey__respondents", "edition"),
    ("staging.stg_cbs__kwb_regions", "edition"),
    ("intermediate.int_respondent_indicators", "edition"),
    ("weighting.respondent_weights", "edition"),
    ("audit.monitor_area_estimates", "edition"),
    ("monitor.monitor_area_estimates", "edition"),
    ("monitor.monitor_small_area_estimates", "edition"),
]
HEADLINE_INDICATORS = ("veerkracht_score", "pct_veerkrachtig", "persoonlijk", "sociaal", "omgeving")


def _table_exists(conn: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, table = qualified.split(".")
    return bool(
        conn.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


# (table that must exist, query giving (edition, count), what the count means)
EDITION_COUNTS = [
    (
        "monitor.monitor_area_estimates",
        "select edition, count(distinct area_code) from monitor.monitor_area_estimates "
        "where area_level = 'gemeente' and suppressed and indicator = 'veerkracht_score' group by 1 order by 1",
        "gemeente(n) suppressed (too few respondents)",
    ),
    (
        "monitor.monitor_small_area_estimates",
        "select edition, count(distinct area_code) from monitor.monitor_small_area_estimates "
        "where below_gemeente group by 1 order by 1",
        "wijk(en)/buurt(en) significantly below their gemeente on either headline indicator, each counted once "
        "(monitor.monitor_below_gemeente)",
    ),
    (
        "monitor.monitor_small_area_estimates",
        "select edition, count(distinct area_code) filter (where name_source = 'code') "
        "from monitor.monitor_small_area_estimates group by 1 order by 1",
        "wijk(en)/buurt(en) without a name in the key figures or the boundaries (shown by their code)",
    ),
    (
        "monitor.monitor_area_boundaries",
        "select e.edition, count(b.area_code) from (select distinct edition from monitor.monitor_area_estimates) as e "
        "left join monitor.monitor_area_boundaries as b using (edition) group by 1 order by 1",
        "gemeenten, wijken and buurten with a boundary on the maps (0 when the edition came without boundaries)",
    ),
]


def _layer_lines(conn: duckdb.DuckDBPyConnection) -> list[str]:
    lines = ["rows per layer:"]
    for table, edition_column in LAYER_TABLES:
        if not _table_exists(conn, table):
            lines.append(f"  {table:<42} not built")
            continue
        counts = conn.execute(f"select {edition_column}, count(*) from {table} group by 1 order by 1").fetchall()
        shown = ", ".join(f"{edition}: {n:,}" for edition, n in counts) or "empty"
        lines.append(f"  {table:<42} {shown}")
    return lines


def _headline_lines(conn: duckdb.DuckDBPyConnection) -> list[str]:
    lines = ["headline (provincie Noord-Brabant):"]
    rows = conn.execute(
        "select edition, indicator, estimate, ci_lower, ci_upper, n_respondents "
        "from monitor.monitor_area_estimates where area_level = 'provincie' "
        "and indicator in (select unnest(?)) order by edition, indicator",
        [list(HEADLINE_INDICATORS)],
    ).fetchall()
    for edition, indicator, estimate, lower, upper, n in rows:
        figure = "suppressed" if estimate is None else f"{estimate:6.2f}  [{lower:.2f}, {upper:.2f}]"
        lines.append(f"  {edition}  {indicator:<18} {figure}  n={n:,}")
    for table, query, meaning in EDITION_COUNTS:
        if _table_exists(conn, table):
            lines += [f"  {edition}  {n} {meaning}" for edition, n in conn.execute(query).fetchall()]
    return lines


def _trend_lines(conn: duckdb.DuckDBPyConnection) -> list[str]:
    rows = conn.execute(
        "select edition_from, edition_to, difference, ci_lower, ci_upper, significant from monitor.monitor_trend "
        "where area_level = 'provincie' and indicator = 'veerkracht_score' order by edition_from"
    ).fetchall()
    return ["change of veerkracht_score (provincie):"] + [
        f"  {start} -> {end}  {diff:+.2f}  [{lower:+.2f}, {upper:+.2f}]  {'significant' if sig else 'not significant'}"
        for start, end, diff, lower, upper, sig in rows
    ]


def warehouse_lines(database: Path) -> list[str]:
    """Rows per stage and edition, the province headline figures and their change."""
    if not database.exists():
        return [f"no warehouse at {database}"]
    with duckdb.connect(str(database), read_only=True) as conn:
        lines = _layer_lines(conn)
        if _table_exists(conn, "monitor.monitor_area_estimates"):
            lines += _headline_lines(conn)
        if _table_exists(conn, "monitor.monitor_trend"):
            lines += _trend_lines(conn)
    return lines


def _publication_lines(report: RefreshReport) -> list[str]:
    lines = []
    for edition in report.editions:
        if edition in report.published:
            lines.append(f"edition {edition} published: its checked tables are in schema monitor")
            continue
        unchanged = f"edition {edition} NOT published: schema monitor still holds what it held before this refresh; "
        if edition in report.candidates:
            lines.append(unchanged + "the candidate that did not pass is in schema audit for inspection")
        else:
            lines.append(unchanged + f"the run stopped at {_stop_point(report, edition)} before any candidate was built")
    return lines


def _stop_point(report: RefreshReport, edition: int) -> str:
    """The first failed step (or failed blocking check) of the edition's run, with its layer."""
    from orchestration.checks.remedies import LAYERS

    steps = [s.split(" ", 1)[1] for s in report.failed_steps if s.split(" ", 1)[0] == str(edition)]
    if steps:
        layer = LAYERS.get(steps[0].split("_", 1)[0])
        return f"step {steps[0]}" + (f" (layer {layer})" if layer else "")
    checks = [c for c in report.failed_checks if c.edition == edition]
    if checks:
        return f"check {checks[0].name} (layer {checks[0].layer})"
    return "its start (no step ran; see the Dagster run's log)"


def failure_summary(error: BaseException, editions: list[int], started: float) -> str:
    """The summary of a refresh that an error stopped outside the steps (e.g. Dagster's own
    storage on a full disk): which editions were not published, the error in one line, what to
    do, and where the full traceback went."""
    from orchestration.checks.remedies import advice_by_cause

    chain = _error_chain(error)
    places = [Path(os.environ.get("DAGSTER_HOME") or settings.warehouse_dir() / "dagster_home"), settings.warehouse_dir()]
    what_to_do = advice_by_cause("\n".join(chain), None, places)
    written, where = _write_traceback(error)
    lines = ["", "=" * 72, "monitor refresh: FAILED   (stopped by an error outside the pipeline's steps)"]
    lines += _published_since(settings.duckdb_path(), editions, started)
    lines.append(f"error: {chain[-1]}")
    lines += textwrap.wrap(
        f"what to do: {what_to_do or 'Fix the cause the error names (the full traceback shows where it arose) and run `monitor refresh` again; if it is not in your data or machine, report it to the maintainers with the traceback.'}",
        100, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False,  # paths stay whole
    )
    lines.append(f"full traceback: {where}")
    lines.append("=" * 72)
    return "\n".join(lines) + ("" if written else "\n" + "".join(traceback.format_exception(error)))


def _error_chain(error: BaseException) -> list[str]:
    """The one-line messages of the error and of the errors it came from: the outermost first,
    the innermost (the real cause, e.g. sqlite3.OperationalError) last."""
    chain, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        chain.append(f"{type(error).__module__}.{type(error).__qualname__}: {' '.join(str(error).split())}"[:500])
        error = error.__cause__ or error.__context__
    return chain


def _write_traceback(error: BaseException) -> tuple[bool, str]:
    """Write the full traceback under the warehouse (logs/); where it is, or why it is below."""
    path = settings.logs_dir() / f"refresh-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    except OSError as cannot:
        return False, f"below (it could not be written to {path}: {cannot})"
    return True, str(path)


def _published_since(database: Path, editions: list[int], started: float) -> list[str]:
    """Which editions this refresh published before the error, from the publication log."""
    published: set[int] = set()
    try:
        with duckdb.connect(str(database), read_only=True) as conn:
            published = {
                e for (e,) in conn.execute(
                    "select distinct edition from monitor.monitor_publication_log where epoch(published_at) >= ?",
                    [started],
                ).fetchall()
            }
    except (duckdb.Error, OSError):
        pass  # no warehouse or no log yet: nothing was published
    return [
        f"edition {e} published: its checked tables are in schema monitor" if e in published
        else f"edition {e} NOT published: schema monitor still holds what it held before this refresh"
        for e in editions
    ]


def _output_lines(warehouse: Path, editions: list[int]) -> list[str]:
    """Where the published editions' outputs for people are."""
    from monitor.assessment.write import assessment_dir  # loaded by the share steps already
    from monitor.exports.kaartenboek import KAARTEN

    lines = []
    for edition in editions:
        for what, path in (
            ("tabellenboek", warehouse / "exports" / str(edition) / workbook_name(edition)),
            ("factsheets", warehouse / "factsheets" / str(edition) / "index.html"),
            ("kaartenboek", warehouse / "exports" / str(edition) / KAARTEN),
        ):
            if path.exists():
                lines.append(f"{what} {edition}: {path}")
        assessments = sorted(assessment_dir(edition, warehouse).glob("*.html"))
        if assessments:
            lines.append(f"assessments {edition} ({len(assessments)} project(s)): {assessments[0].parent}")
    return lines


def render_summary(report: RefreshReport, database: Path) -> str:
    passed = sum(c.passed for c in report.checks)
    lines = [
        "",
        "=" * 72,
        f"monitor refresh: {'OK' if report.ok else 'FAILED'}   (Dagster runs {', '.join(report.run_ids)})",
        f"checks: {passed} passed, {len(report.failed_checks)} failed, {len(report.warnings)} warning(s)",
    ]
    for check in report.warnings:
        lines.append(f"  WARNING {check.name} (edition {check.edition}, layer: {check.layer}; does not block)")
        lines += [f"    {line}" for line in check.detail.splitlines()]
        lines += textwrap.wrap(f"what to do: {check.what_to_do}", 100, initial_indent="    ", subsequent_indent="      ")
    for check in report.failed_checks:
        lines.append(f"  FAILED {check.name} (edition {check.edition}, layer: {check.layer})")
        lines += [f"    {line}" for line in check.detail.splitlines()]
        lines += textwrap.wrap(f"what to do: {check.what_to_do}", 100, initial_indent="    ", subsequent_indent="      ")
    lines += [f"note: {note}" for note in report.notes]
    lines += _publication_lines(report)
    if report.failed_steps:
        lines.append(f"failed steps: {', '.join(report.failed_steps)}")
        lines += [f"  {line}" for line in (report.error or "").splitlines()]
    if report.step_seconds:
        slowest = sorted(report.step_seconds.items(), key=lambda kv: -kv[1])[:5]
        total = sum(report.step_seconds.values())
        lines.append(f"time in steps: {total:.0f} s; slowest: " + ", ".join(f"{k} {v:.1f} s" for k, v in slowest))
    lines += warehouse_lines(database)
    lines.append(f"warehouse: {database}")
    if report.published:
        lines.append(f"schema monitor for readers: {published_path(database.parent)} (open it read-only, also during a refresh)")
    logs = [dbt_log_path(database.parent, run_id) for run_id in report.run_ids]
    lines += [f"dbt output: {path}" for path in logs if path.exists()]
    reports = [database.parent / "data_quality" / run_id / "index.html" for run_id in report.run_ids]
    lines += [f"data-quality report: {path}" for path in reports if path.exists()]
    lines += _output_lines(database.parent, report.published)
    lines.append(f"Dagster UI with this run and its checks: make ui (DAGSTER_HOME={os.environ.get('DAGSTER_HOME', '')})")
    lines.append("=" * 72)
    return "\n".join(lines)
