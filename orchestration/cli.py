"""`monitor`: the commands data engineers script against (the README lists them).

    monitor refresh [--edition YEAR]       run the whole pipeline, checks included
    monitor demo-data [--edition YEAR] [--seed N]   write demo landing files
    monitor fetch-cbs --year YEAR           download CBS key figures into the landing zone
    monitor fetch-cbs-map --year YEAR       download the gemeente, wijk and buurt boundaries into the landing zone
    monitor ui [--port N]                   serve the Dagster UI on 127.0.0.1
    monitor docs                            write the dbt docs (static HTML) under the warehouse
    monitor assess FILE.yaml [--edition YEAR] [--out DIR]   assess a project against the published tables

Heavy imports (Dagster, dbt, Great Expectations) happen inside the command that needs them."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from monitor import settings

DEMO_EDITIONS = [2016, 2018, 2020]
DEMO_SEED = 2018


def _demo_data(args: argparse.Namespace) -> int:
    from monitor.demo import generate_demo_edition
    from monitor.demo.generate import summary_text

    landing = settings.landing_dir()
    editions = args.edition or DEMO_EDITIONS
    if args.cbs_layout is not None and len(editions) != 1:
        print(f"demo-data: --cbs-layout {args.cbs_layout} is the CBS export of one edition; "
              "give that edition once with --edition YEAR", file=sys.stderr)
        return 2
    for edition in editions:
        folder = landing / str(edition)
        if args.if_absent and folder.exists() and any(folder.iterdir()):
            print(f"demo-data: {folder} exists, left as it is")
            continue
        print(f"demo-data: writing edition {edition} to {folder} (seed {args.seed}) ...", flush=True)
        try:
            written = generate_demo_edition(
                landing,
                edition,
                seed=args.seed,
                n_respondents=args.n_respondents,
                overwrite=args.overwrite,
                survey_format=args.format,
                kwb_habits=not args.clean_kwb,
                cbs_layout=args.cbs_layout,
                keep_unusable_respondents=args.keep_unusable_respondents,
            )
        except (ValueError, FileExistsError) as err:  # a refused argument or file: the message says what to do
            print(f"demo-data: edition {edition} not written: {err}", file=sys.stderr)
            return 2
        print(f"demo-data: {summary_text(written.summary)}")
    from monitor.demo.projects import write_demo_projects

    for path in write_demo_projects(landing):  # also beside editions left as they were
        print(f"demo-data: example project {path} (assessed by the toetsingskader after each refresh)")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from monitor.landing.discover import LandingError, find_editions
    from orchestration.lock import WarehouseBusy
    from orchestration.refresh import dagster_home, failure_summary, render_summary, run_refresh

    try:
        found = find_editions(settings.landing_dir(), args.edition)
    except LandingError as err:
        print(f"monitor refresh: {err}", file=sys.stderr)
        return 2
    print(
        f"monitor refresh: edition(s) {[f.edition for f in found]} from {settings.landing_dir()} "
        f"into {settings.duckdb_path()}",
        flush=True,
    )
    started = time.time()
    try:
        dagster_home()
        report = run_refresh(args.edition, wait=not args.no_wait)
        summary = render_summary(report, settings.duckdb_path())
    except WarehouseBusy as err:
        print(f"monitor refresh: {err}", file=sys.stderr)
        return 3
    except Exception as err:  # noqa: BLE001 - whatever stopped it, the refresh ends in a summary with what to do
        print(failure_summary(err, [f.edition for f in found], started), flush=True)
        return 1
    print(summary)
    return 0 if report.ok else 1


def _fetch_cbs(args: argparse.Namespace) -> int:
    from monitor.cbs.fetch import CBS_BASE_URL, CbsFetchError
    from orchestration.fetch import fetch_brabant_kwb

    try:
        folder = fetch_brabant_kwb(
            args.year, settings.landing_dir(), overwrite=args.overwrite, base_url=args.base_url or CBS_BASE_URL
        )
    except CbsFetchError as err:
        print(f"monitor fetch-cbs: {err}", file=sys.stderr)
        return 2
    print(f"monitor fetch-cbs: CBS key figures {args.year} for Noord-Brabant written to {folder}")
    return 0


def _fetch_cbs_map(args: argparse.Namespace) -> int:
    from monitor.geo.fetch import MapFetchError, fetch_brabant_boundaries

    def progress(line: str) -> None:
        print(f"monitor fetch-cbs-map: {line}", flush=True)

    try:
        fetch_brabant_boundaries(
            args.year, settings.landing_dir(), overwrite=args.overwrite, base_url=args.base_url, progress=progress
        )
    except (MapFetchError, ValueError) as err:  # unreachable, refused or unexpected answer; a refused argument
        print(f"monitor fetch-cbs-map: {err}", file=sys.stderr)
        return 2
    return 0  # the last progress line said where the files went


def _docs(args: argparse.Namespace) -> int:
    from orchestration.dbt_docs import DbtDocsError, generate_dbt_docs

    try:
        generate_dbt_docs()
    except DbtDocsError as err:
        print(f"monitor docs: {err}", file=sys.stderr)
        return 1
    return 0


def _assess(args: argparse.Namespace) -> int:
    import duckdb

    from monitor.assessment import (
        ProjectFileError,
        assess,
        assessment_dir,
        read_project,
        summary_lines,
        write_assessment,
    )

    published = settings.published_path()
    try:
        project = read_project(args.file)
        if not published.exists():
            raise ProjectFileError(project.path, None, f"nothing is published yet ({published} does not exist); run "
                                   "`monitor refresh` first, or set MONITOR_WAREHOUSE to the warehouse to read")  # fmt: skip
        with duckdb.connect(str(published), read_only=True) as conn:
            assessment = assess(conn, project, args.edition)
    except ProjectFileError as err:
        print(f"monitor assess: {err}\nnothing written.", file=sys.stderr)
        return 2
    written = write_assessment(assessment, args.out or assessment_dir(assessment.edition))
    print("\n".join(f"monitor assess: {line}" for line in summary_lines(assessment)))
    print(f"monitor assess: written {written.json_path} and {written.html_path}")
    return 0


def _ui(args: argparse.Namespace) -> int:
    from orchestration.ui import run_ui

    return run_ui(args.host, args.port)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="monitor", description="Monitor Sociale Veerkracht Noord-Brabant pipeline")
    commands = top.add_subparsers(dest="command", required=True)

    refresh = commands.add_parser("refresh", help="run the whole pipeline (all assets and checks)")
    refresh.add_argument("--edition", type=int, action="append", help="edition year (repeatable); default: every edition found")
    refresh.add_argument("--no-wait", action="store_true", help="stop at once (exit 3) when another refresh holds the warehouse")
    refresh.set_defaults(run=_refresh)

    demo = commands.add_parser("demo-data", help="write demo landing files")
    demo.add_argument("--edition", type=int, action="append", help=f"edition year (repeatable); default: {DEMO_EDITIONS}")
    demo.add_argument("--seed", type=int, default=DEMO_SEED)
    demo.add_argument("--n-respondents", type=int, default=10_000)
    demo.add_argument("--if-absent", action="store_true", help="leave an edition folder that already has files")
    demo.add_argument("--overwrite", action="store_true", help="replace existing demo files")
    demo.add_argument("--format", choices=["csv", "sav", "parquet"], default="csv",
                      help="file type of the survey (survey.csv, survey.sav or survey.parquet); default csv")
    demo.add_argument("--clean-kwb", action="store_true",
                      help="write every edition's kwb.csv clean, without the habits of real CBS exports "
                           "(monitor/demo/habits.py: EDITION_HABITS)")
    demo.add_argument("--cbs-layout", type=Path, metavar="FILE",
                      help="a real CBS KWB CSV export of the (one) --edition: copied as kwb.csv, the survey "
                           "placed on its gemeente and buurt codes")
    demo.add_argument("--keep-unusable-respondents", action="store_true",
                      help="with --cbs-layout: keep the respondents of gemeenten whose rows in FILE are "
                           "unusable, on their synthetic buurt codes (default: drop them)")
    demo.set_defaults(run=_demo_data)

    fetch = commands.add_parser("fetch-cbs", help="download a year's CBS key figures for Noord-Brabant into the landing zone")
    fetch.add_argument("--year", type=int, required=True)
    fetch.add_argument("--overwrite", action="store_true", help="replace an existing download of that year")
    fetch.add_argument("--base-url", default=None, help="the CBS OData API or a mirror of it (default: CBS itself)")
    fetch.set_defaults(run=_fetch_cbs)

    fetch_map = commands.add_parser(
        "fetch-cbs-map", help="download a year's gemeente, wijk and buurt boundaries of Noord-Brabant into the landing zone"
    )
    fetch_map.add_argument("--year", type=int, required=True)
    fetch_map.add_argument("--overwrite", action="store_true", help="replace an existing boundaries folder of that year")
    fetch_map.add_argument("--base-url", default=None,
                           help="the OGC API of PDOK's CBS gebiedsindelingen or a mirror of it (default: PDOK itself)")
    fetch_map.set_defaults(run=_fetch_cbs_map)

    docs = commands.add_parser("docs", help="write the dbt docs (one static HTML file) to <MONITOR_WAREHOUSE>/dbt_docs/")
    docs.set_defaults(run=_docs)

    assess_cmd = commands.add_parser(
        "assess", help="assess a project file against the published tables (toetsingskader)",
        description="Assess a project (YAML: name, areas, resources, optionally edition) against the published "
                    "monitor tables; writes <stem>.json and <stem>.html.",
    )  # fmt: skip
    assess_cmd.add_argument("file", type=Path, metavar="FILE.yaml")
    assess_cmd.add_argument("--edition", type=int, help="the published edition to assess against (overrides the file's)")
    assess_cmd.add_argument("--out", type=Path, metavar="DIR",
                            help="where to write (default: <MONITOR_WAREHOUSE>/assessments/<edition>/)")
    assess_cmd.set_defaults(run=_assess)

    ui = commands.add_parser("ui", help="serve the Dagster UI (127.0.0.1 by default)")
    ui.add_argument("--port", type=int, default=settings.ui_port())
    ui.add_argument("--host", default="127.0.0.1")
    ui.set_defaults(run=_ui)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
