"""The toetsingskader (methodology section 11): does a project work on the resources that go
most with resilience, where its areas are behind? A project file (project.py) is assessed
against the published tables alone (assess.py) and written as JSON and a Dutch page
(write.py, page.py). `monitor assess FILE` does it by hand; the Dagster asset
`assessments/projects` does it for every `<MONITOR_LANDING>/projects/*.yaml` after each
publication."""

from monitor.assessment.assess import Assessment, assess, to_json
from monitor.assessment.project import Project, ProjectFileError, read_project
from monitor.assessment.write import Written, assessment_dir, summary_lines, write_assessment

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
