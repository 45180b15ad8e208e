"""The toetsingskader (methodology section 11): does a project work on the resources that go
most with resilience, where its areas are behind? A project file (project.py) is assessed
against the published tables alone (assess.py) and written as JSON and a Dutch page
(write.py, page.py). `monitor assess FILE` does it by hand; the Dagster asset
`assessments/projects` does it for every `<MONITOR_LANDING>/projects/*.yaml` after each
publication."""

from importlib import import_module

from monitor.assessment.assess import Assessment, assess, to_json
from monitor.assessment.project import Project, ProjectFileError, read_project

# the page and its writer on first use: they load the factsheets' charts (and scipy with them),
# which the Dagster definitions, importing this package for its table list, do not need
_LAZY = {name: "monitor.assessment.write" for name in ("Written", "assessment_dir", "summary_lines", "write_assessment")}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "Assessment",
    "Project",
    "ProjectFileError",
    "Written",
    "assess",
    "assessment_dir",
    "read_project",
    "summary_lines",
    "to_json",
    "write_assessment",
]
