"""Example project files of the toetsingskader for the demo landing zone
(`<landing>/projects/`, monitor.assessment): what a user would write, on gemeente, regio and
size-class-within-regio codes that every demo edition has, without an edition (so they are
assessed against the latest published one)."""

from __future__ import annotations

from pathlib import Path

from monitor.landing.discover import PROJECTS_FOLDER

EXAMPLES = {
    "sterke_buurten.yaml": """\
# A project of the toetsingskader (methodology section 11; see the README, "Toetsingskader").
# No edition: it is assessed against the latest published edition.
name: Sterke buurten
description: Buurtactiviteiten en vrijwilligerswerk in de grote steden van Midden- en Zuidoost-Brabant.
areas: [GM0855, GM0772]       # Tilburg, Eindhoven
resources: [contact_social, buurtbinding, volunteering]
""",
    "digitaal_meedoen.yaml": """\
name: Digitaal meedoen
description: Digitale vaardigheden en online contact voor ouderen in de kleine gemeenten van Noordoost-Brabant.
areas: [CR35_klein, CR35]     # the small gemeenten of Noordoost-Noord-Brabant, and the regio as a whole
resources: [digital_skills, contact_digital, support]
""",
}


def write_demo_projects(landing: Path) -> list[Path]:
    """Write the examples into `<landing>/projects/` where absent (a file a user changed stays)."""
    folder = Path(landing) / PROJECTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in EXAMPLES.items():
        path = folder / name
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
