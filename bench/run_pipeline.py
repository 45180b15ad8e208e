"""One measured run of the pipeline as `monitor refresh` runs it, in a fresh interpreter.

    .venv/bin/python bench/run_pipeline.py --result RESULT.json

MONITOR_LANDING and MONITOR_WAREHOUSE (set by bench/bench_pipeline.py) choose the inputs and
a fresh warehouse; DAGSTER_HOME defaults to <warehouse>/dagster_home as for the CLI. The timed
part is what `monitor refresh` does: import the orchestration code, open the Dagster instance,
run_refresh() (build the definitions, one in-process run of the job per edition), render the
summary. Afterwards, untimed, it writes to RESULT.json: the phases, every step's start and end
from the run's event log, the rows of every warehouse table, the timings dbt recorded in the
run_results.json of each of its invocations, and getrusage of this process and its children.
"""

import time

T_PROCESS = time.time()  # before any heavy import

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from measure import launched_at, self_usage  # noqa: E402

PHASES: dict[str, float] = {}


def _phase(name: str, started: float) -> float:
    now = time.time()
    PHASES[name] = PHASES.get(name, 0.0) + now - started
    return now


DBT_INVOCATIONS: list[dict] = []


def _dbt_record(invocation, name: str, called: float, returned: float) -> None:
    """What one dbt invocation cost: the Dagster-side set-up (DbtCliResource.cli() until the
    subprocess runs: `dbt --version` once, the adapter), and dbt's own run_results.json (read
    right after the invocation: the target folder may be shared by the next one)."""
    record = {"invocation": name, "cli_called": called, "cli_returned": returned, "stream_done": time.time()}
    try:
        data = json.loads((Path(invocation.target_path) / "run_results.json").read_text())
    except (OSError, ValueError):
        data = {}
    by_type: dict[str, float] = {}
    nodes = []
    for result in data.get("results", []):
        kind = result["unique_id"].split(".")[0]
        by_type[kind] = by_type.get(kind, 0.0) + result.get("execution_time", 0.0)
        nodes.append((result["unique_id"], round(result.get("execution_time", 0.0), 3)))
    nodes.sort(key=lambda n: -n[1])
    metadata = data.get("metadata", {})
    record |= {
        "elapsed_time": data.get("elapsed_time"),
        "invocation_started_at": metadata.get("invocation_started_at"),
        "generated_at": metadata.get("generated_at"),
        "nodes": len(nodes),
        "execution_by_type": by_type,
        "slowest_nodes": nodes[:8],
    }
    DBT_INVOCATIONS.append(record)


def _instrument_dbt() -> None:
    """Wrap DbtCliResource.cli so that every invocation is timed and its run_results kept."""
    from dagster_dbt import DbtCliResource

    cli = DbtCliResource.cli

    def timed_cli(self, args, **kwargs):
        called = time.time()
        invocation = cli(self, args, **kwargs)
        returned = time.time()
        context = kwargs.get("context")
        try:
            name = context.op_execution_context.op.name
        except AttributeError:
            name = " ".join(args[:1])
        stream = invocation.stream

        def timed_stream(*a, **k):
            yield from stream(*a, **k)
            _dbt_record(invocation, name, called, returned)

        invocation.stream = timed_stream
        return invocation

    DbtCliResource.cli = timed_cli


def _instrument() -> None:
    """Time build_definitions() and each edition's execute_in_process() without changing them."""
    import orchestration.definitions as definitions
    import orchestration.refresh as refresh

    _instrument_dbt()

    build, edition_run = definitions.build_definitions, refresh._refresh_edition

    def timed_build():
        started = time.time()
        try:
            return build()
        finally:
            _phase("build_definitions", started)

    def timed_edition(job, instance, edition):
        started = time.time()
        try:
            return edition_run(job, instance, edition)
        finally:
            _phase("execute_in_process", started)

    definitions.build_definitions = timed_build
    refresh._refresh_edition = timed_edition


def _timeline(instance, run_ids: list[str]) -> dict:
    """Run start/end and every step's start/end (epoch seconds) from the event log."""
    runs = []
    for run_id in run_ids:
        steps, run = {}, {}
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None:
                continue
            kind = event.event_type_value
            if event.step_key is None:
                if kind in ("PIPELINE_START", "RUN_START"):
                    run["start"] = entry.timestamp
                elif kind in ("PIPELINE_SUCCESS", "RUN_SUCCESS", "PIPELINE_FAILURE", "RUN_FAILURE"):
                    run["end"] = entry.timestamp
                continue
            step = steps.setdefault(event.step_key, {"events": 0})
            step["events"] += 1
            if kind == "STEP_START":
                step["start"] = entry.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
                step["end"] = entry.timestamp
                step["status"] = kind
        runs.append({"run_id": run_id, **run, "steps": steps})
    return {"runs": runs}


def _table_rows(database: Path) -> dict[str, int]:
    import duckdb

    rows = {}
    with duckdb.connect(str(database), read_only=True) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            rows[f"{schema}.{table}"] = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--result", type=Path, required=True)
    args = parser.parse_args()
    launched = launched_at()
    t = time.time()
    if launched:
        PHASES["interpreter_start"] = T_PROCESS - launched

    # -- what `monitor refresh` does ----------------------------------------------------------
    from monitor import settings
    from orchestration.refresh import render_summary, run_refresh

    t = _phase("import_orchestration", t)
    # run_refresh imports orchestration.definitions, whose module-level `defs` builds the
    # definitions once; run_refresh then builds them again: import it here to time both
    import orchestration.definitions  # noqa: F401

    t = _phase("import_definitions", t)
    _instrument()
    t = time.time()
    report = run_refresh(None)  # the CLI's call: instance from DAGSTER_HOME (dagster_home())
    t = _phase("run_refresh", t)
    summary = render_summary(report, settings.duckdb_path())
    t = _phase("render_summary", t)
    t_end = t
    print(summary, flush=True)

    # -- untimed: what happened ---------------------------------------------------------------
    from dagster import DagsterInstance

    usage = self_usage()
    instance = DagsterInstance.get()
    result = {
        "ok": report.ok,
        "success": report.success,
        "failed_steps": report.failed_steps,
        "failed_checks": [c.name for c in report.failed_checks],
        "error": report.error,
        "editions": report.editions,
        "published": report.published,
        "run_ids": report.run_ids,
        "t_process": T_PROCESS,
        "t_launched": launched,
        "t_end": t_end,
        "phases": PHASES,
        "step_seconds": report.step_seconds,
        "checks": len(report.checks),
        "timeline": _timeline(instance, report.run_ids),
        "rows": _table_rows(settings.duckdb_path()),
        "dbt": DBT_INVOCATIONS,
        "usage": usage,
        "warehouse_bytes": settings.duckdb_path().stat().st_size,
    }
    args.result.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
