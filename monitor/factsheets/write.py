"""Write the factsheets of one edition: `<out_dir>/index.html` and `<out_dir>/<gemeente_code>.html`.

The pages are written into a temporary folder beside `out_dir` and swapped in at the end, so
a failed run leaves the previous factsheets as they were."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from monitor.factsheets.data import EditionData, gather_edition
from monitor.factsheets.page import factsheet, index_page
from monitor.factsheets.render import render_factsheet, render_index
from monitor.presentation.folders import replace_folder
from monitor.settings import warehouse_dir

PROGRESS_EVERY = 10


def factsheet_dir(edition: int, root: Path | None = None) -> Path:
    """`<MONITOR_WAREHOUSE>/factsheets/<edition>/` (interfaces spec)."""
    return (root or warehouse_dir()) / "factsheets" / str(edition)


@dataclass
class FactsheetSummary:
    edition: int
    out_dir: Path
    index_path: Path
    pages: int  # gemeente factsheets (the index not counted)
    files: list[Path]
    seconds: float
    # gemeente_code -> (name, flagged wijken and buurten, each once: monitor.presentation.flagged)
    flagged: dict[str, tuple[str, int]] = field(default_factory=dict)
    suppressed: list[str] = field(default_factory=list)  # gemeenten whose own figures are all suppressed


def write_factsheets(
    conn, edition: int, out_dir: Path | str, progress: Callable[[str], None] = print
) -> FactsheetSummary:
    """Read the published tables of `edition` from `conn` and write its factsheets to `out_dir`."""
    started = time.perf_counter()
    data = gather_edition(conn, edition)
    return write_factsheet_files(data, out_dir, progress, started=started)


def write_factsheet_files(
    data: EditionData, out_dir: Path | str, progress: Callable[[str], None] = print, started: float | None = None
) -> FactsheetSummary:
    """Write the pages of gathered data (no warehouse connection needed any more)."""
    started = time.perf_counter() if started is None else started
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    names, flagged, suppressed = [], {}, []
    try:
        total = len(data.gemeenten)
        for i, g in enumerate(data.gemeenten, start=1):
            sheet = factsheet(data, g)
            name = f"{g.code}.html"
            (staging / name).write_text(render_factsheet(sheet), encoding="utf-8")
            names.append(name)
            flagged[g.code] = (g.name, sheet.flagged_count)
            if sheet.suppressed:
                suppressed.append(g.code)
            if i % PROGRESS_EVERY == 0 and i < total:
                progress(f"factsheets {data.edition}: {i}/{total} gemeenten ({time.perf_counter() - started:.1f} s)")
        (staging / "index.html").write_text(render_index(index_page(data)), encoding="utf-8")
        names.append("index.html")
        replace_folder(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    progress(
        f"factsheets {data.edition}: {len(names)} files ({total} gemeenten + index) in {seconds:.1f} s -> {out_dir}"
    )
    return FactsheetSummary(
        edition=data.edition,
        out_dir=out_dir,
        index_path=out_dir / "index.html",
        pages=total,
        files=[out_dir / n for n in names],
        seconds=seconds,
        flagged=flagged,
        suppressed=suppressed,
    )
