"""A project file of the toetsingskader (methodology section 11): what a project is, where it
works and which resources it targets.

    name: Sterke buurten
    edition: 2018                 # optional: the latest published edition when absent
    areas: [GM0855, GM0772]       # gemeente codes of that edition (regio and regio_grootteklasse codes too)
    resources: [contact_social, buurtbinding, volunteering]   # resource scale names as in the codebook
    description: ...              # optional, shown on the page

`read_project` checks the file's form; whether its edition, areas and resources exist is
checked against the published tables (monitor.assessment.assess). Every refusal is a
ProjectFileError that names the file, the key and what is valid."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

REQUIRED = ("name", "areas", "resources")
OPTIONAL = ("edition", "description")
EXAMPLE = "name: Sterke buurten\nareas: [GM0855]\nresources: [buurtbinding, volunteering]"


class ProjectFileError(ValueError):
    """A project file that cannot be assessed; the message names the file, the key and what is
    valid, and nothing is written."""

    def __init__(self, path: Path, key: str | None, problem: str) -> None:
        self.path, self.key, self.problem = Path(path), key, problem
        where = f"{self.path}" + (f", key '{key}'" if key else "")
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Project:
    path: Path
    name: str
    areas: tuple[str, ...]
    resources: tuple[str, ...]
    edition: int | None = None  # None: the latest published edition
    description: str = ""

    @property
    def stem(self) -> str:
        """The name of its output files: <stem>.json and <stem>.html."""
        return self.path.stem


def read_project(path: Path | str) -> Project:
    """The project in `path`, refused with a ProjectFileError when its form is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectFileError(path, None, "no such file") from None
    except UnicodeDecodeError as err:
        raise ProjectFileError(path, None, f"not UTF-8 text ({err.reason} at byte {err.start}); save it as UTF-8") from None
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ProjectFileError(path, None, f"not valid YAML{line} ({problem}); expected keys like\n{EXAMPLE}") from None
    if not isinstance(content, dict):
        raise ProjectFileError(path, None, f"expected a mapping with the keys {', '.join(REQUIRED)} (and optionally "
                                           f"{', '.join(OPTIONAL)}), like\n{EXAMPLE}")  # fmt: skip
    unknown = sorted(str(k) for k in content if k not in (*REQUIRED, *OPTIONAL))
    if unknown:
        raise ProjectFileError(path, unknown[0], f"unknown key; valid keys are {', '.join((*REQUIRED, *OPTIONAL))}")
    missing = [k for k in REQUIRED if k not in content]
    if missing:
        raise ProjectFileError(path, missing[0], f"missing; a project file needs {', '.join(REQUIRED)}")
    return Project(
        path=path,
        name=_text(path, "name", content["name"]),
        areas=_codes(path, "areas", content["areas"]),
        resources=_codes(path, "resources", content["resources"]),
        edition=_edition(path, content.get("edition")),
        description=_text(path, "description", content["description"]) if content.get("description") is not None else "",
    )


def _text(path: Path, key: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProjectFileError(path, key, f"expected a non-empty text, got {value!r}")
    return value.strip()


def _edition(path: Path, value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProjectFileError(path, "edition", f"expected a year such as 2018 (or no edition: the latest published), got {value!r}")
    return value


def _codes(path: Path, key: str, value) -> tuple[str, ...]:
    """A non-empty list of names or codes, each once (a single one may be given without brackets)."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        what = "gemeente codes such as [GM0855, GM0772]" if key == "areas" else "resource names such as [buurtbinding, volunteering]"
        raise ProjectFileError(path, key, f"expected a non-empty list of {what}, got {value!r}")
    cleaned = []
    for item in values:
        if not isinstance(item, str) or not item.strip():
            raise ProjectFileError(path, key, f"expected names or codes as text, got {item!r}")
        cleaned.append(item.strip())
    folded = [c.lower() for c in cleaned]
    twice = sorted({c for c in cleaned if folded.count(c.lower()) > 1})
    if twice:
        raise ProjectFileError(path, key, f"{', '.join(twice)} listed more than once; list each once")
    return tuple(cleaned)
