"""Write an assessment: `<out_dir>/<file stem>.json` (the contract users script against) and
`<out_dir>/<file stem>.html` (the page), each written beside its place and renamed into it,
so that a reader never sees half a file; and the short summary the command prints."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from monitor.assessment.assess import LOWER, Assessment, to_json
from monitor.assessment.page import COMPARISON_TEXT, assessment_page, render_assessment
from monitor.settings import warehouse_dir

ASSESSMENTS_DIR = "assessments"


def assessment_dir(edition: int, warehouse: Path | None = None) -> Path:
    """`<MONITOR_WAREHOUSE>/assessments/<edition>/`: where assessments go unless told otherwise."""
    return (warehouse or warehouse_dir()) / ASSESSMENTS_DIR / str(edition)


@dataclass(frozen=True)
class Written:
    json_path: Path
    html_path: Path


def _write_text(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_assessment(assessment: Assessment, out_dir: Path) -> Written:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = assessment.project.stem
    html = render_assessment(assessment_page(assessment))  # rendered before anything is written
    text = json.dumps(to_json(assessment), indent=2, ensure_ascii=False) + "\n"
    written = Written(out_dir / f"{stem}.json", out_dir / f"{stem}.html")
    _write_text(written.json_path, text)
    _write_text(written.html_path, html)
    return written


def summary_lines(assessment: Assessment) -> list[str]:
    """What the command prints: per resource its importance, steerability and the areas behind."""
    a = assessment
    names = ", ".join(name for _, name, _ in a.areas)
    lines = [
        f"{a.project.name} (edition {a.edition}; {names})",
        f"  the {len(a.resources)} targeted resource(s) carry {a.explained_share:.1f} % of the explained "
        f"variance of veerkracht_score in {a.province_name}",
    ]
    for r in a.resources:
        lower = [x.area_name for x in r.areas if x.comparison == LOWER]
        counts = {c: sum(x.comparison == c for x in r.areas) for c in COMPARISON_TEXT}
        where = ", ".join(f"{n} {c}" for c, n in counts.items() if n)
        lines.append(
            f"  {r.resource:<16} share {r.importance_share:>5.1f} %  rank {r.rank:>2}/{a.resource_count}  "
            f"{r.steerability:<5}  areas: {where}" + (f"  (lower: {', '.join(lower)})" if lower else "")
        )
    lines.append(f"  behind (an area significantly lower than the province): {', '.join(a.behind) or 'none'}")
    return lines
