"""What a data engineer should do when a check fails: one place for the advice that the CLI
summary and the check metadata in the Dagster UI show beside the failure.

The advice depends on the layer the check guards (a delivery problem in raw, a model defect in
audit) and, for the raw and weighting checks, on the check itself."""

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from dagster import AssetKey

from monitor.settings import published_path, warehouse_dir
from orchestration.lock import DUCKDB_LOCK_ERROR, duckdb_lock_holder

# the first part of an asset key is its schema, which is its layer in the flow (monitor/contract.yaml)
LAYERS = {
    "raw": "raw (the landing files)",
    "staging": "staging",
    "intermediate": "intermediate",
    "weighting": "weighting",
    "reference": "reference (the seeds)",
    "audit": "audit (before publishing)",
    "monitor": "monitor (published)",
    "assessments": "share (assessments)",
}

UNPUBLISHED = "Nothing was published: schema monitor still holds the previous publication."

# what the CBS key figures lack is supplied beside them, which works offline too
SUPPLY_CBS_FIGURES = (
    "The CBS key figures lack what the edition needs (the gemeenten, columns or rows named above). "
    "Without a network: put the missing rows or columns in <landing>/{edition}/kwb_supplement.csv, a CBS "
    "export in any format the loader reads (e.g. the gemeente, wijk and buurt rows of the gemeente named "
    "above, or its gemeente rows with the missing columns, exported from CBS StatLine on another machine "
    "or taken from the nearest earlier edition's file); it only fills what the delivery lacks, and "
    "weighting.gemeente_weights.margins_source records where each gemeente's margins came from. With a "
    "network, `monitor fetch-cbs --year {edition} --overwrite` downloads the whole table. Then run "
    "`monitor refresh --edition {edition}` again. "
)

BY_CHECK = {
    "raw_survey_responses_contract": (
        "The survey delivery breaks the codebook contract. Ask the supplier for a corrected file (or "
        "correct the columns and lines listed above in a copy), place it in the landing zone as the "
        "edition's survey file and run `monitor refresh --edition {edition}` again. Values that look like "
        "respondent ids are never shown: where a column holds them, its header names the columns wrongly. "
        "A COROP region without respondents (raking pools) means an incomplete delivery: too few respondents, "
        "or all in a few gemeenten; ask for the whole survey. "
    ),
    "raw_kwb_key_figures_contract": SUPPLY_CBS_FIGURES,
    "raw_survey_gemeenten_have_cbs_margins": SUPPLY_CBS_FIGURES,
    "raw_kwb_unusable_rows": (
        "Nothing blocks: the rows listed are not used, a gemeente without usable key figures and without "
        "respondents is published with every figure suppressed, and the small-area model goes without absent "
        "covariates. To use them after all, put the rows or columns in <landing>/{edition}/kwb_supplement.csv "
        "(see the README, CBS key figures) and refresh the edition. "
    ),
    "raw_area_boundaries_contract": (
        "The boundaries in <landing>/{edition}/boundaries/ cannot be drawn: a file in another CRS than "
        "EPSG:28992 (RD New), a code that is not a CBS code of its level, or a geometry beyond repair (all named "
        "above). Download them again with `monitor fetch-cbs-map --year {edition} --overwrite`, or correct the "
        "file (e.g. reproject to EPSG:28992 with ogr2ogr -t_srs EPSG:28992), or remove the boundaries folder to "
        "publish the edition without maps; then run `monitor refresh --edition {edition}` again. "
    ),
    "assessment_project_files": (
        "The project file named above cannot be assessed (its key and the valid values are said). Correct it, or "
        "move it out of <landing>/projects/; then run `monitor assess FILE` or refresh the edition. The monitor "
        "tables were published and the other projects assessed: only this assessment was not written. "
    ),
    "calibration_weights_contract": (
        "The calibration weights miss a CBS margin or the trimming bound. The failing raking domains "
        "and margins are in weighting.raking_domains and weighting.raking_margins (edition {edition}); "
        "usually a gemeente with very few respondents in an age band or sex. Check those counts in "
        "the delivery; if they are real, raise it with the methodologists (pooling, margins). "
    ),
}

BY_STAGE = {
    "raw": "The delivered file does not meet the contract: correct it and refresh the edition again. ",
    "staging": (
        "The staged survey breaks the codebook after recoding, or a buurt is not in the CBS layout. "
        "Compare the delivery with monitor/codebook/survey_codebook.yaml and the edition's CBS file; "
        "fix whichever is wrong and refresh the edition. "
    ),
    "reference": "A reference seed in dbt_project/seeds/ is inconsistent: correct the CSV and refresh. ",
    "intermediate": (
        "An intermediate model breaks a rule of its own (dbt test above). Query the table for the "
        "failing rows; the cause is in the model SQL or the reference seeds, not in the delivery. "
    ),
    "audit": (
        "The candidate in schema audit breaks a publication rule: a defect in the model code, not in "
        "the delivery. Inspect the audit table for edition {edition}, fix the code and refresh; "
        "report it to the maintainers with the Dagster run id. "
    ),
}


@dataclass(frozen=True)
class Advice:
    layer: str
    what_to_do: str


def advice(asset_key: AssetKey, check_name: str, edition: int | None, blocking: bool = True) -> Advice:
    """The layer a failed check guards and what to do about it (a warning blocks nothing, so
    it does not say that nothing was published)."""
    schema = asset_key.path[0]
    text = BY_CHECK.get(check_name) or BY_STAGE.get(schema, "Inspect the failing rows named above and refresh again. ")
    return Advice(
        layer=LAYERS.get(schema, schema),
        what_to_do=(text + (UNPUBLISHED if blocking else "")).strip().format(edition=edition if edition is not None else "<edition>"),
    )


STEP_ADVICE = [
    # (step key prefix, what to do)
    ("raw", "The landing file named above could not be read. Deliver a corrected file in the landing zone and "
            "run `monitor refresh --edition {edition}` again."),
    ("dbt", "A dbt model or test failed (its output is above, the failing test is listed among the checks). "
            "Fix the cause it names and refresh the edition again."),
]


def step_advice(step_key: str, edition: int | None, error: str = "") -> str:
    """What to do when a step raised `error` (rather than a check failing): advice by cause
    where the error shows one (a lock, a full disk, ...), else by the step's stage."""
    by_cause = advice_by_cause(error, edition)
    if by_cause is not None:
        return f"{by_cause} {UNPUBLISHED}"
    text = next((t for prefix, t in STEP_ADVICE if step_key.startswith(prefix)), "The step raised the error above; fix its cause and refresh the edition again.")
    return f"{text} {UNPUBLISHED}".format(edition=edition if edition is not None else "<edition>")


# -- advice by cause: what the raised error says went wrong, whichever step raised it ---------

DISK_FULL = re.compile(
    r"No space left on device|database or disk is full|disk I/O error|\[Errno 28\]|ENOSPC|Disk quota exceeded",
    re.IGNORECASE,
)
NOT_WRITABLE = re.compile(r"Permission denied|Read-only file system|attempt to write a readonly database", re.IGNORECASE)
OUT_OF_MEMORY = re.compile(r"Out of Memory|MemoryError|Cannot allocate memory", re.IGNORECASE)
_QUOTED_PATH = re.compile(r"[\"'](/[^\"']+)[\"']")


def advice_by_cause(error: str, edition: int | None = None, places: list[Path] | None = None) -> str | None:
    """Advice that fits the cause an error message shows, or None when it shows none of these
    (then the stage's advice applies). `places`: the folders the refresh writes (the warehouse,
    DAGSTER_HOME), to find the full disk when the message names no file."""
    again = f"run `monitor refresh --edition {edition}` again" if edition is not None else "run `monitor refresh` again"
    if DUCKDB_LOCK_ERROR.search(error):
        holder = duckdb_lock_holder(error) or "another process"
        return (
            f"The DuckDB file is open in {holder}, which holds its lock, so the refresh cannot write it. Close "
            f"that connection (or end that process) and {again}. Readers should open {published_path()} "
            "read-only instead: the refresh never opens that file, so a reader there never blocks it."
        )
    if DISK_FULL.search(error):
        return disk_full_advice(_named_path(error) or full_disk(places or [warehouse_dir()]), again)
    if NOT_WRITABLE.search(error):
        where = _named_path(error)
        return (
            f"{'The file ' + str(where) if where else 'A file the refresh needs'} cannot be opened as the refresh needs "
            "(permission denied, or a file system mounted read-only): give this user access (read for landing "
            f"files, write for the warehouse and DAGSTER_HOME) and {again}."
        )
    if OUT_OF_MEMORY.search(error):
        return f"The machine ran out of memory: stop other large jobs (or give it more memory) and {again}."
    return None


def disk_full_advice(path: Path, again: str = "run `monitor refresh` again") -> str:
    """What to say when writing failed for lack of disk space (or a failing disk)."""
    folder = _existing(path)
    folder = folder if folder.is_dir() else folder.parent
    try:
        free = f" ({shutil.disk_usage(folder).free / 2**20:,.1f} MiB free)"
    except OSError:
        free = ""
    return f"The disk holding {path} is full or failing{free}: free space there (`df -h {folder}` shows it) and {again}."


def full_disk(places: list[Path]) -> Path:
    """Of the folders the refresh writes, the one on the file system with the least free space
    (the likely full one); the first when none can be measured."""
    def free(path: Path) -> float:
        try:
            return shutil.disk_usage(_existing(path)).free
        except OSError:
            return float("inf")

    return min(places, key=free)


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _named_path(error: str) -> Path | None:
    """The first absolute file path quoted in an error message (DuckDB and OSError quote them)."""
    match = _QUOTED_PATH.search(error)
    return Path(match[1]) if match else None
