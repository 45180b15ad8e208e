"""Share: the toetsingskader (methodology section 11). After each publication every project file
in `<MONITOR_LANDING>/projects/` is assessed against the published tables of its edition (or of
the latest published edition when it names none), into `<MONITOR_WAREHOUSE>/assessments/<edition>/`
as `<stem>.json` and `<stem>.html`, as `monitor assess FILE` writes them.

A bad project file fails only its own assessment: the others are written, the asset
materializes, and the warning check `assessment_project_files` (does not block; the run and the
refresh summary show it) names the file, the key and the valid values. Publication is upstream
and never waits for it."""

from pathlib import Path

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from monitor.assessment.assess import READS
from monitor.contract import layer
from monitor.landing.discover import PROJECTS_FOLDER
from orchestration.assets.publish import published_key
from orchestration.metadata import code_version, markdown_table
from orchestration.partitions import edition_of, editions
from orchestration.resources import LandingZone
from orchestration.warehouse import warehouse_folder

ASSESSMENTS_KEY = AssetKey(["assessments", "projects"])
VERSION = code_version(__name__, "monitor.assessment.assess", "monitor.assessment.page", "monitor.assessment.project")
PROJECT_FILES_CHECK = "assessment_project_files"
PROJECT_SUFFIXES = (".yaml", ".yml")


def project_files(landing: Path) -> list[Path]:
    folder = landing / PROJECTS_FOLDER
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in PROJECT_SUFFIXES) if folder.is_dir() else []


@asset(
    key=ASSESSMENTS_KEY,
    partitions_def=editions,
    deps=[published_key(t) for t in READS],
    group_name=layer("share"),
    kinds={"html", "json", "python"},
    code_version=VERSION,
    check_specs=[
        AssetCheckSpec(
            PROJECT_FILES_CHECK,
            asset=ASSESSMENTS_KEY,
            partitions_def=editions,
            description=(
                "Every project file in <MONITOR_LANDING>/projects/ of this edition could be assessed; a warning "
                "(does not block) names each bad file, its key and the valid values."
            ),
        )
    ],
    description=(
        "The toetsingskader: every <MONITOR_LANDING>/projects/*.yaml whose edition is this one (or that names none "
        "while this is the latest published edition) assessed against the published tables "
        f"({', '.join(READS)}): per targeted resource its importance share and rank in the province and the "
        "project's regio, its steerability, and per area the estimate against the province (lower / similar / "
        "higher). Written as <stem>.json and <stem>.html in <MONITOR_WAREHOUSE>/assessments/<edition>/."
    ),
)
def assessments_projects(context: AssetExecutionContext, warehouse: DuckDBResource, landing: LandingZone):
    from monitor.assessment import ProjectFileError, assess, assessment_dir, read_project, write_assessment
    from monitor.assessment.assess import published_editions

    edition = edition_of(context)
    files = project_files(Path(landing.path))
    done, failed, elsewhere = [], [], []
    with warehouse.get_connection() as conn:  # every assessment read first, the files written after
        latest = max(published_editions(conn), default=None)
        for path in files:
            try:
                project = read_project(path)
                if (project.edition or latest) != edition:
                    elsewhere.append((path.name, project.edition or latest))
                    continue
                done.append(assess(conn, project))
            except ProjectFileError as err:
                context.log.error(f"{err} (this assessment is not written; the others are)")
                failed.append((path.name, str(err)))
    out_dir = assessment_dir(edition, warehouse_folder(warehouse))
    rows = []
    for assessment in done:
        written = write_assessment(assessment, out_dir)
        context.log.info(f"{assessment.project.path.name}: {written.json_path.name}, {written.html_path.name} "
                         f"(behind on {', '.join(assessment.behind) or 'none'})")  # fmt: skip
        rows.append({"project": assessment.project.name, "file": assessment.project.path.name,
                     "explained_share": round(assessment.explained_share, 1), "behind": ", ".join(assessment.behind)})  # fmt: skip
    summary = "\n".join(message for _, message in failed)  # each message names its file
    check = AssetCheckResult(
        check_name=PROJECT_FILES_CHECK,
        passed=not failed,
        severity=AssetCheckSeverity.WARN,
        metadata={"failure_summary": MetadataValue.text(summary or "none"), "project_files": len(files)},
    )
    return MaterializeResult(
        metadata={
            "folder": MetadataValue.path(str(out_dir)),
            "assessed": len(done),
            "failed": len(failed),
            "assessments": MetadataValue.md(markdown_table(pd.DataFrame(rows)) if rows else "no project of this edition"),
            "other_editions": MetadataValue.json({name: year for name, year in elsewhere}),
        },
        check_results=[check],
    )
