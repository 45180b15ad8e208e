"""Find the editions in a landing zone: `<landing>/<edition>/survey.{csv,parquet,sav}` and
`<landing>/<edition>/kwb.csv` (or a cbsodata download folder `kwb/`), and the optional
`<landing>/<edition>/boundaries/` (monitor.geo). Beside the editions, `<landing>/projects/`
holds the project files the toetsingskader assesses (monitor.assessment)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SURVEY_SUFFIXES = (".csv", ".parquet", ".sav")
EDITION_FOLDER = re.compile(r"^(19|20)\d{2}$")
# beside the editions: the project files of the toetsingskader (monitor.assessment), one YAML each
PROJECTS_FOLDER = "projects"


class LandingError(ValueError):
    """The landing zone does not hold what an edition needs."""


@dataclass(frozen=True)
class LandingEdition:
    edition: int
    folder: Path
    survey_path: Path
    kwb_path: Path
    # rows or columns the CBS delivery lacks, supplied by the data engineer (monitor.cbs.supplement)
    kwb_supplement_path: Path | None = None
    # the optional boundaries folder (monitor.geo): maps are drawn only when it is there
    boundaries_path: Path | None = None


def edition_folders(landing: Path) -> list[Path]:
    if not landing.is_dir():
        raise LandingError(
            f"landing zone {landing} does not exist: set MONITOR_LANDING or run "
            "`monitor demo-data` to write the demo editions"
        )
    return sorted(p for p in landing.iterdir() if p.is_dir() and EDITION_FOLDER.match(p.name))


def skipped_folders(landing: Path) -> list[str]:
    """The folders of the landing zone not taken as editions, each with why (hidden folders
    such as .git are not mentioned): a refresh says so rather than skip them without a word."""
    if not landing.is_dir():
        return []
    lines = []
    for folder in sorted(p for p in landing.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if EDITION_FOLDER.match(folder.name) or folder.name == PROJECTS_FOLDER:
            continue
        year = re.match(r"(19|20)\d{2}", folder.name)
        why = (
            f"an edition folder is named by its year alone; to refresh this delivery as edition {year[0]}, "
            f"put its files in {landing / year[0]}"
            if year
            else "not named like an edition year (e.g. 2018)"
        )
        lines.append(f"{folder} not taken as an edition: {why}")
    return lines


def _survey_file(folder: Path) -> Path:
    found = [folder / f"survey{suffix}" for suffix in SURVEY_SUFFIXES if (folder / f"survey{suffix}").exists()]
    if not found:
        raise LandingError(
            f"{folder}: no survey file; expected one of "
            + ", ".join(f"survey{s}" for s in SURVEY_SUFFIXES)
        )
    if len(found) > 1:
        raise LandingError(
            f"{folder}: more than one survey file ({', '.join(p.name for p in found)}); keep exactly one"
        )
    return found[0]


def _kwb_file(folder: Path) -> Path:
    found = [c for c in (folder / "kwb.csv", folder / "kwb") if c.exists()]
    if not found:
        raise LandingError(
            f"{folder}: no CBS key figures; expected kwb.csv (a StatLine CSV export) or kwb/ (a cbsodata "
            "download, e.g. from `monitor fetch-cbs`)"
        )
    if len(found) > 1:
        raise LandingError(f"{folder}: both kwb.csv and kwb/ are there; keep the one the edition should use")
    return found[0]


def _kwb_supplement(folder: Path) -> Path | None:
    from monitor.cbs.supplement import SUPPLEMENT_FILENAME

    path = folder / SUPPLEMENT_FILENAME
    return path if path.is_file() else None


def _boundaries_folder(folder: Path) -> Path | None:
    from monitor.geo import BOUNDARIES_DIR

    path = folder / BOUNDARIES_DIR
    return path if path.is_dir() else None


def find_editions(landing: Path, only: list[int] | None = None) -> list[LandingEdition]:
    """Every edition folder in the landing zone (or only the requested ones), with its files."""
    folders = {int(p.name): p for p in edition_folders(landing)}
    wanted = sorted(folders) if not only else sorted(set(only))
    absent = [e for e in wanted if e not in folders]
    if absent:
        raise LandingError(
            f"{landing}: no folder for edition(s) {absent}; found {sorted(folders) or 'none'}"
        )
    if not wanted:
        raise LandingError(f"{landing}: no edition folders (expected folders named like 2018/)")
    return [
        LandingEdition(
            e, folders[e], _survey_file(folders[e]), _kwb_file(folders[e]), _kwb_supplement(folders[e]),
            _boundaries_folder(folders[e]),
        )
        for e in wanted
    ]
