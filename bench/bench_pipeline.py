"""Where the time of a monitor refresh goes, against the floor, from Brabant to national scale.

    .venv/bin/python bench/bench_pipeline.py [--scales brabant,brabant_x5,national] [--repeat N]
                                             [--data-dir DIR] [--no-results] [--profile] [--note TEXT]

For every scale (bench/scales.py: brabant, brabant_x5, national):

1. inputs: the landing files of the scale, generated once into <data-dir>/<scale>/landing
   (untimed; regenerated only when the scale or the generator version changes);
2. pipeline: a fresh interpreter runs what `monitor refresh` runs (bench/run_pipeline.py) on a
   fresh warehouse; wall time from process creation to the printed summary, every Dagster
   step's time from the run's event log, peak resident memory of the process tree (Python +
   dbt subprocesses, sampled every 50 ms) and getrusage, rows of every table, dbt's own
   timings (run_results.json of each invocation);
3. floor: a fresh interpreter runs bench/floor.py (the same outputs with plain DuckDB SQL and
   the statistics functions, no Dagster/dbt/GX) and compares its tables with the pipeline's.

Prints per scale: stage | pipeline s | share | floor s | rows, then end to end, floor, ratio,
peak memory, where the orchestration overhead goes and what the dbt invocations spent; and
appends the same as a section to bench/RESULTS.md (date, machine, load average, git commit)
unless --no-results. --repeat N runs pipeline and floor N times each and reports the fastest
(the least disturbed on a shared machine) with all walls listed. --profile runs the pipeline
under cProfile once more, untimed, and prints the cumulative time of known overhead sources.

Stages (Dagster step keys -> stage): load raw (raw assets), GX raw (raw contracts), dbt build
(the one dbt invocation: staging, intermediate, the weights and the statistics as dbt Python
models, the marts and the trend, dbt tests included), GX staging+weights (staging and weights
contracts), GX marts (audit contents, disclosure, small-area
publication, trend contents), publish, exports (tabellenboek, factsheets), and start-up &
orchestration = end to end minus the steps: interpreter start, imports, building the Dagster
definitions, run set-up and the gaps between steps.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from measure import machine, run_child  # noqa: E402
from scales import SCALES  # noqa: E402

RESULTS = BENCH / "RESULTS.md"
RESULTS_MARKER = "<!-- bench_pipeline.py appends below this line -->"
TARGETS = {"brabant": (60.0, 3.0), "national": (120.0, 3.0)}  # end to end s, ratio to the floor (issue 20)
NATIONAL_MEMORY_TARGET = 2 * 2**30  # issue 20
MiB = 2**20

# (stage, how a Dagster step key is recognised); first match wins
CHECK = r"(_(contract|recoded|in_layout|contents|disclosure_control|publication)|\baudit_checks)$"  # audit_checks: one step
STAGES = [
    ("GX raw", lambda k: k.startswith("raw__") and re.search(CHECK, k)),
    ("load raw", lambda k: k in ("raw__survey_responses", "raw_codebook", "raw_kwb_key_figures") or k.startswith("raw")),
    # one dbt invocation: staging, intermediate, the weights and the statistics (Python models),
    # the marts and the trend
    ("dbt build", lambda k: k.startswith("dbt_")),
    ("GX staging+weights", lambda k: (k.startswith("staging__") or k.startswith("weighting__")) and re.search(CHECK, k)),
    ("GX marts", lambda k: (k.startswith("audit__") or k == "audit_checks") and re.search(CHECK, k)),
    ("publish", lambda k: k == "publish_monitor_tables"),
    ("exports", lambda k: k.startswith("exports__") or k.startswith("factsheets__") or k.startswith("assessments__")),
]
OVERHEAD = "start-up & orchestration"
ORDER = ["load raw", "GX raw", "dbt build", "GX staging+weights", "GX marts",
         "publish", "exports", "other steps", OVERHEAD]  # as shown; STAGES is in matching order
# the floor's stage(s) that do what a pipeline stage does
FLOOR_OF = {
    "load raw": ["load raw"],
    "dbt build": ["transform (SQL)", "direct estimates (SQL)", "weighting", "importance", "SAE"],
    "publish": ["write Parquet"],
    "exports": ["exports"],
    OVERHEAD: ["interpreter start", "imports"],
}
# rows shown beside a stage (pipeline tables)
ROWS_OF = {
    "load raw": ["raw.survey_responses", "raw.kwb_key_figures"],
    "GX raw": ["raw.survey_responses"],
    "dbt build": ["staging.stg_survey__item_answers", "weighting.respondent_weights", "audit.monitor_area_estimates",
                  "audit.monitor_small_area_estimates"],
    "GX staging+weights": ["staging.stg_survey__item_answers"],
    "publish": ["monitor.*"],
    "exports": ["monitor.*"],
}


def stage_of(step_key: str) -> str:
    key = step_key.split(" ", 1)[-1]  # "2018 dbt_build" -> "dbt_build"
    for name, test in STAGES:
        if test(key):
            return name
    return "other steps"


# ------------------------------------------------------------------------- running


def git_commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "--no-optional-locks", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return commit + (" + uncommitted changes" if dirty else "")


def ensure_inputs(scale: str, landing: Path) -> dict:
    started = time.time()
    done = subprocess.run([sys.executable, str(BENCH / "scales.py"), scale, str(landing)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"generating the {scale} inputs failed:\n{done.stdout}\n{done.stderr}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    if time.time() - started > 5:
        print(f"  inputs generated in {time.time() - started:.0f} s", flush=True)
    return summary


def pipeline_env(landing: Path, warehouse: Path) -> dict:
    env = {"MONITOR_LANDING": str(landing), "MONITOR_WAREHOUSE": str(warehouse)}
    for name in ("DAGSTER_HOME", "MONITOR_DUCKDB_PATH"):
        os.environ.pop(name, None)  # the CLI's defaults: <warehouse>/dagster_home
    return env


MAX_RSS = None  # bytes; set from --max-rss-gib


def run_pipeline(root: Path, landing: Path, profile: Path | None = None):
    warehouse = root / "warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    warehouse.mkdir(parents=True)
    args = [str(BENCH / "run_pipeline.py"), "--result", str(root / "pipeline.json")]
    if profile:
        args = ["-m", "cProfile", "-o", str(profile), *args]
    run = run_child(args, root / "pipeline.json", pipeline_env(landing, warehouse), root / "pipeline.log", MAX_RSS)
    if run.killed:
        print(f"  pipeline STOPPED: its memory exceeded {MAX_RSS / 2**30:.1f} GiB (--max-rss-gib)", flush=True)
    elif run.returncode != 0 or not run.result.get("ok"):
        print(f"  pipeline FAILED (exit {run.returncode}); log: {root / 'pipeline.log'}\n{run.stdout_tail}", flush=True)
    return run


def run_floor(root: Path, landing: Path):
    """The floor runs before the pipeline (the pipeline's writes, ~250 MB at Brabant scale, are
    still being flushed to disk for a while after it exits); compare() afterwards."""
    out = root / "floor"
    shutil.rmtree(out, ignore_errors=True)
    args = [str(BENCH / "floor.py"), str(landing), str(out), "--result", str(root / "floor.json")]
    run = run_child(args, root / "floor.json", {}, root / "floor.log", MAX_RSS)
    if run.returncode != 0:
        print(f"  floor FAILED (exit {run.returncode}); log: {root / 'floor.log'}\n{run.stdout_tail}", flush=True)
    return run


def compare_floor(root: Path, floor) -> None:
    """The floor's tables against the pipeline's monitor tables (rows, numbers within 1e-9)."""
    from floor import compare

    database = root / "warehouse" / "warehouse.duckdb"
    if floor.result and database.exists():
        try:
            floor.result["compare"] = compare(database, root / "floor")
        except Exception as error:  # e.g. a pipeline that stopped before publishing
            floor.result["compare_error"] = f"{type(error).__name__}: {error}"


# ------------------------------------------------------------------------- analysis


def end_to_end(run) -> float:
    """From process creation to the printed summary (the untimed collection afterwards excluded)."""
    r = run.result
    return r["t_end"] - r["t_launched"] if r.get("t_launched") else run.wall_seconds


def floor_end_to_end(run) -> float:
    r = run.result
    if not r:
        return float("nan")
    return r["t_end"] - (r.get("t_launched") or r["t_process"])


def pipeline_stages(run) -> dict[str, float]:
    seconds = dict.fromkeys(ORDER, 0.0)
    for step, s in run.result["step_seconds"].items():
        seconds[stage_of(step)] += s
    seconds[OVERHEAD] = end_to_end(run) - sum(v for k, v in seconds.items() if k != OVERHEAD)
    return seconds


def overhead_parts(run) -> list[tuple[str, float]]:
    """Where `start-up & orchestration` goes, from the child's phases and the event log."""
    r = run.result
    phases = r["phases"]
    parts = [
        ("interpreter start", phases.get("interpreter_start", 0.0)),
        ("import orchestration (dagster, dagster-dbt, duckdb, pandas)", phases.get("import_orchestration", 0.0)),
        ("import orchestration.definitions (asset modules, dagster-dbt; statistics load in dbt)", phases.get("import_definitions", 0.0)),
        ("build_definitions() again in run_refresh", phases.get("build_definitions", 0.0)),
    ]
    runs = r["timeline"]["runs"]
    in_refresh = phases.get("run_refresh", 0.0) - phases.get("build_definitions", 0.0) - phases.get("execute_in_process", 0.0)
    parts.append(("run_refresh: instance, lock, partitions", in_refresh))
    gaps = in_runs = 0.0
    for run_log in runs:
        steps = sorted((s for s in run_log["steps"].values() if "start" in s and "end" in s), key=lambda s: s["start"])
        if not steps or "start" not in run_log:
            continue
        covered, last_end = 0.0, steps[0]["start"]
        for s in steps:
            covered += max(0.0, s["end"] - max(s["start"], last_end))
            last_end = max(last_end, s["end"])
        duration = run_log.get("end", last_end) - run_log["start"]
        in_runs += duration
        gaps += duration - covered
    parts.append(("execute_in_process outside the run (job set-up, resources, run storage)",
                  phases.get("execute_in_process", 0.0) - in_runs))
    parts.append(("between steps inside the run (event log, step set-up)", gaps))
    parts.append(("render_summary", phases.get("render_summary", 0.0)))
    return parts


def dbt_lines(run) -> list[str]:
    """Per dbt invocation: the Dagster step, the set-up before dbt runs, dbt's own invocation
    (parse + run, from run_results.json) and what its nodes executed."""
    r = run.result
    steps = {k.split(" ", 1)[-1]: v for k, v in r["step_seconds"].items()}
    lines = []
    totals = dict.fromkeys(("step", "setup", "invocation", "nodes"), 0.0)
    for inv in r.get("dbt", []):
        step = steps.get(inv["invocation"], float("nan"))
        setup = inv["cli_returned"] - inv["cli_called"]
        started, ended = _iso(inv.get("invocation_started_at")), _iso(inv.get("generated_at"))
        invocation = ended - started if started and ended else float("nan")
        nodes = sum(inv["execution_by_type"].values())
        kinds = ", ".join(f"{k} {v:.1f}" for k, v in sorted(inv["execution_by_type"].items()))
        rest = step - setup - invocation
        lines.append(
            f"{inv['invocation']:<20} step {step:5.1f} s = set-up in Dagster {setup:4.1f} s (dbt --version, adapter) "
            f"+ dbt invocation {invocation:4.1f} s (parse + {inv['nodes']} nodes {nodes:4.1f} s: {kinds}) "
            f"+ rest {rest:4.1f} s (dbt interpreter start and import, events to Dagster)"
        )
        for key, value in (("step", step), ("setup", setup), ("invocation", invocation), ("nodes", nodes)):
            totals[key] += value
    if lines:
        lines.append(
            f"{'all dbt':<20} step {totals['step']:5.1f} s, of which SQL nodes {totals['nodes']:4.1f} s: overhead "
            f"{totals['step'] - totals['nodes']:4.1f} s (set-up {totals['setup']:.1f}, dbt parse/start-up "
            f"{totals['invocation'] - totals['nodes']:.1f}, rest {totals['step'] - totals['setup'] - totals['invocation']:.1f})"
        )
    return lines


def _iso(text: str | None) -> float | None:
    if not text:
        return None
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def rows_text(stage: str, rows: dict[str, int]) -> str:
    shown = []
    for table in ROWS_OF.get(stage, []):
        if table == "monitor.*":
            total = sum(v for k, v in rows.items() if k.startswith("monitor."))
            shown.append(f"{total:,} monitor rows")
        elif table in rows:
            shown.append(f"{rows[table]:,} {table.split('.', 1)[1]}")
    return ", ".join(shown)


# ------------------------------------------------------------------------- profile


PROFILE_BUCKETS = [
    ("imports (all, cumulative)", "<frozen importlib._bootstrap>", "_find_and_load"),
    ("GX validate_table (total: counts in DuckDB, GX judges)", "data_quality/runner.py", "validate_table"),
    ("  GX Data Docs (write_docs)", "data_quality/runner.py", "write_docs"),
    ("  GX judging the counts (batch.validate)", "great_expectations/datasource/fluent/interfaces.py", "validate"),
    ("Dagster event log writes (sqlite store_event)", "sqlite_event_log.py", "store_event"),
    ("waiting on dbt subprocess output", "dbt_cli_invocation.py", "_stream_stdout"),
    ("dbt --version (DbtCliResource._cli_version)", "dagster_dbt/core/resource.py", "_cli_version"),
    ("dbt adapter init in Dagster process", "dagster_dbt/core/resource.py", "_initialize_dbt_core_adapter"),
    ("replace_edition_rows (writes to DuckDB)", "orchestration/warehouse.py", "replace_edition_rows"),
    ("calibrate()", "monitor/statistics/weighting.py", "calibrate"),
    ("small_area_estimates()", "monitor/statistics/small_area.py", "small_area_estimates"),
    ("resource_importance()", "monitor/statistics/importance.py", "resource_importance"),
]


def profile_lines(path: Path) -> list[str]:
    import pstats

    stats = pstats.Stats(str(path)).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    total = max(ct for (_, _, _, ct, _) in stats.values())
    lines = [f"cProfile of one more run (times inflated by profiling; total {total:.1f} s):"]
    for label, file_part, name in PROFILE_BUCKETS:
        best = 0.0
        for (file, _, function), (_, _, _, ct, _) in stats.items():
            if function == name and file_part in file:
                best = max(best, ct)  # the outermost frame's cumulative time (no double count)
        lines.append(f"  {label:<52} {best:7.1f} s")
    return lines


# ------------------------------------------------------------------------- reporting


def report_scale(scale: str, inputs: dict, pipelines: list, floors: list, loads: list[float]) -> tuple[list[str], dict]:
    finished = [p for p in pipelines if p.result.get("step_seconds") is not None]
    best_floor = min(floors, key=floor_end_to_end)
    if not finished:
        p = pipelines[-1]
        why = f"stopped at {p.peak_tree_rss / MiB:,.0f} MiB (over --max-rss-gib)" if p.killed else f"exit code {p.returncode}"
        return [
            f"scale {scale}: {SCALES[scale].description}",
            f"pipeline did NOT finish: {why} after {p.wall_seconds:.0f} s; peak memory {p.peak_tree_rss / MiB:,.0f} MiB "
            f"(Dagster process {p.peak_root_rss / MiB:,.0f}, dbt {p.peak_descendants_rss / MiB:,.0f}); "
            f"floor {floor_end_to_end(best_floor):.1f} s, {best_floor.peak_tree_rss / MiB:,.0f} MiB",
            "last lines of the log:", *[f"    {line}" for line in p.stdout_tail.splitlines()[-12:]],
        ], {}
    best = min(finished, key=end_to_end)
    total = end_to_end(best)
    stages = pipeline_stages(best)
    fr = best_floor.result
    floor_total = floor_end_to_end(best_floor)
    floor_stages = fr.get("stages", {}) if fr else {}
    ratio = total / floor_total if floor_total else float("nan")
    usage = best.result.get("usage", {})
    rows = best.result.get("rows", {})
    lines = [
        f"scale {scale}: {SCALES[scale].description}",
        f"inputs: {inputs.get('gemeenten')} gemeenten, {inputs.get('wijken'):,} wijken, {inputs.get('buurten'):,} buurten, "
        f"{inputs.get('respondents'):,} respondents; survey.csv {inputs.get('survey_mb')} MB, kwb.csv {inputs.get('kwb_mb')} MB",
        "",
        f"| {'stage':<26} | {'pipeline s':>10} | {'share':>6} | {'floor s':>8} | rows (pipeline) |",
        f"|{'-' * 28}|{'-' * 12}:|{'-' * 7}:|{'-' * 9}:|{'-' * 17}|",
    ]
    for name in ORDER:
        s = stages.get(name, 0.0)
        if name == "other steps" and s == 0:
            continue
        floor_s = sum(floor_stages.get(f, 0.0) for f in FLOOR_OF.get(name, []))
        floor_text = f"{floor_s:8.2f}" if name in FLOOR_OF else f"{'-':>8}"
        lines.append(f"| {name:<26} | {s:10.2f} | {100 * s / total:5.1f}% | {floor_text} | {rows_text(name, rows)} |")
    lines.append(f"| {'**end to end**':<26} | {total:10.2f} | {100.0:5.1f}% | {floor_total:8.2f} | |")
    lines.append("")
    target_s, target_ratio = TARGETS.get(scale, (None, None))
    peak = best.peak_tree_rss
    lines.append(
        f"end to end {total:.1f} s" + (f" (target <= {target_s:.0f} s)" if target_s else "")
        + f"; floor {floor_total:.1f} s; ratio end-to-end / floor {ratio:.1f}x"
        + (f" (target <= {target_ratio:.0f}x)" if target_ratio else "")
    )
    lines.append(
        f"peak memory (process tree, sampled) {peak / MiB:,.0f} MiB"
        + (f" (target <= {NATIONAL_MEMORY_TARGET / MiB:,.0f} MiB)" if scale == "national" else "")
        + f": Dagster process {best.peak_root_rss / MiB:,.0f} MiB, dbt subprocess {best.peak_descendants_rss / MiB:,.0f} MiB "
        f"(ru_maxrss of the Dagster process {usage.get('maxrss_self', 0) / MiB:,.0f} MiB); floor {best_floor.peak_tree_rss / MiB:,.0f} MiB"
    )
    lines.append(
        f"CPU: pipeline {usage.get('cpu_self', 0):.0f} s in the Dagster process + {usage.get('cpu_children', 0):.0f} s in "
        f"subprocesses; warehouse file {best.result.get('warehouse_bytes', 0) / MiB:,.0f} MiB"
    )
    lines.append("load average (1 min) at the start of each run: " + ", ".join(f"{x:.2f}" for x in loads)
                 + f" ({os.cpu_count()} cores)")
    if len(pipelines) > 1:
        lines.append("all runs: pipeline " + ", ".join(f"{end_to_end(p):.1f}" for p in pipelines)
                     + " s; floor " + ", ".join(f"{floor_end_to_end(f):.1f}" for f in floors) + " s (fastest reported)")
    lines += ["", f"start-up & orchestration ({stages[OVERHEAD]:.1f} s):"]
    lines += [f"  {label:<78} {s:6.2f} s" for label, s in overhead_parts(best)]
    lines += ["", "dbt invocations:"] + [f"  {line}" for line in dbt_lines(best)]
    checks = sorted(((k.split(' ', 1)[-1], v) for k, v in best.result["step_seconds"].items() if re.search(CHECK, k)),
                    key=lambda kv: -kv[1])
    lines += ["", f"GX checks ({len(checks)} steps, {sum(v for _, v in checks):.1f} s), slowest: "
              + ", ".join(f"{k} {v:.1f}" for k, v in checks[:4])]
    compare = fr.get("compare", {}) if fr else {}
    if compare:
        unequal = [t for t, c in compare.items() if not c["equal"]]
        worst = max(compare.items(), key=lambda kv: kv[1]["max_rel_diff"])
        lines.append(
            "floor vs pipeline: "
            + ("all monitor tables equal" if not unequal else f"DIFFERENT: {', '.join(unequal)}")
            + " (rows: " + ", ".join(f"{t.removeprefix('monitor_')} {c['rows_pipeline']:,}/{c['rows_floor']:,}" for t, c in compare.items())
            + f"; largest relative difference {worst[1]['max_rel_diff']:.1e} in {worst[0]}.{worst[1]['max_rel_diff_column']})"
        )
    if fr and fr.get("compare_error"):
        lines.append(f"floor vs pipeline: not compared ({fr['compare_error']})")
    if fr and fr.get("exports_error"):
        lines.append(f"floor exports failed: {fr['exports_error']}")
    if not best.result.get("ok"):
        lines.append(f"PIPELINE NOT OK: failed steps {best.result.get('failed_steps')} checks {best.result.get('failed_checks')}")
    figures = {"end_to_end": total, "floor": floor_total, "ratio": ratio, "peak_rss": peak, "stages": stages}
    return lines, figures


def as_markdown(lines: list[str]) -> list[str]:
    """The printed report as markdown: the stage table as a table, the rest as preformatted text."""
    table = [i for i, line in enumerate(lines) if line.startswith("|")]
    if not table:
        return ["```text", *lines, "```"]
    first, last = table[0], table[-1]
    head = [line for line in lines[:first] if line]
    rest = lines[last + 1:]
    while rest and not rest[0]:
        rest = rest[1:]
    return [*(f"{line}  " for line in head), "", *lines[first:last + 1], "", "```text", *rest, "```"]


def append_results(sections: list[str], note: str | None) -> None:
    from datetime import datetime

    info = machine()
    head = (
        f"### {datetime.now().strftime('%Y-%m-%d %H:%M')} · commit {git_commit()} · {info['nproc']} cores "
        f"({info['cpu']}), {info['memory_gib']} GiB · load average at the end {info['loadavg'][0]:.2f} / "
        f"{info['loadavg'][1]:.2f} / {info['loadavg'][2]:.2f}"
    )
    blas = os.environ.get("OPENBLAS_NUM_THREADS")
    body = [head, ""] + ([f"Note: {note}", ""] if note else []) + ([f"OPENBLAS_NUM_THREADS={blas}", ""] if blas else []) + sections
    text = RESULTS.read_text() if RESULTS.exists() else f"# Benchmark results\n\n{RESULTS_MARKER}\n"
    if RESULTS_MARKER not in text:
        text += f"\n{RESULTS_MARKER}\n"
    RESULTS.write_text(text.rstrip("\n") + "\n\n" + "\n".join(body).rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default=",".join(SCALES), help=f"comma-separated, of {','.join(SCALES)}")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("MONITOR_BENCH_DIR", "/tmp/monitor-bench")))
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--profile", action="store_true", help="also run the pipeline once under cProfile (untimed)")
    parser.add_argument("--note", help="a line for RESULTS.md (what changed since the last measurement)")
    parser.add_argument("--max-rss-gib", type=float, default=12.0,
                        help="stop a run whose process tree exceeds this resident memory (shared machines); 0 = no limit")
    parser.add_argument("--blas-threads", type=int, help="OPENBLAS_NUM_THREADS for pipeline and floor (default: unset)")
    args = parser.parse_args()
    global MAX_RSS
    MAX_RSS = int(args.max_rss_gib * 2**30) if args.max_rss_gib else None
    if args.blas_threads:
        os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)  # inherited by both children
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in SCALES]
    if unknown:
        raise SystemExit(f"unknown scale(s) {unknown}; known: {list(SCALES)}")
    info = machine()
    print(f"machine: {info['nproc']} cores ({info['cpu']}), {info['memory_gib']} GiB; load average "
          f"{info['loadavg'][0]:.2f} {info['loadavg'][1]:.2f} {info['loadavg'][2]:.2f}; commit {git_commit()}", flush=True)
    sections = []
    for scale in scales:
        root = args.data_dir / scale
        landing = root / "landing"
        print(f"\n== {scale}: inputs in {landing}", flush=True)
        inputs = ensure_inputs(scale, landing)
        pipelines, floors, loads = [], [], []
        for i in range(args.repeat):
            loads.append(os.getloadavg()[0])
            print(f"  run {i + 1}/{args.repeat} (load {os.getloadavg()[0]:.2f}): floor ...", end="", flush=True)
            if not args.no_floor:
                floors.append(run_floor(root, landing))
                print(f" {floor_end_to_end(floors[-1]):.1f} s; pipeline ...", end="", flush=True)
            pipelines.append(run_pipeline(root, landing))
            print(f" {end_to_end(pipelines[-1]):.1f} s", flush=True)
            if floors:
                compare_floor(root, floors[-1])
        lines, _ = report_scale(scale, inputs, pipelines, floors or [pipelines[0].__class__(float("nan"), 0, 0, result={})], loads)
        if args.profile:
            profile = root / "pipeline.prof"
            run_pipeline(root, landing, profile=profile)
            lines += [""] + profile_lines(profile)
        print("\n" + "\n".join(lines), flush=True)
        sections += [f"#### {scale}", "", *as_markdown(lines), ""]
    if not args.no_results:
        append_results(sections, args.note)
        print(f"\nappended to {RESULTS}")


if __name__ == "__main__":
    main()
