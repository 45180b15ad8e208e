"""The kaartenboek: the maps of the factsheets as files, in `exports/<edition>/kaarten/`:

- `provincie_veerkracht_score.svg`, `provincie_pct_veerkrachtig.svg`: the gemeenten of the
  province (as on the factsheets' index);
- `<gemeente_code>_buurten.svg`: per gemeente the map of its buurten (as on its factsheet);
- a PNG beside an SVG (twice the SVG's size), converted with cairosvg, which needs the cairo
  library of the machine. Converting costs about 0.1 s a map, over 6 s for the 66 maps of an
  edition, so by default only the two province maps get a PNG; `MONITOR_KAARTEN_PNG=all` gives
  every map one, `none` none. Without libcairo there is no PNG and the manifest says why.

The same drawing code as the pages (monitor.factsheets.maps, monitor.maps), so a map in the
kaartenboek is the map on the page. Every file is listed in the export's manifest.json with
its size, and the manifest's `kaartenboek` says what each map shows, which maps are missing
and why, and what was done about PNG.

The export folder is written whole by the tabellenboek (monitor/exports/tabellenboek.py), so
the maps are drawn first into a hidden work folder beside it (`.<edition>-kaarten.building-*`,
removed by the recovery after a kill, monitor.presentation.folders), moved into the new export
folder in one rename once the tabellenboek has swapped it in, and then added to its manifest
(rewritten in one rename). A failure before that leaves the previous export as it was."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from monitor.factsheets.data import EditionData
from monitor.factsheets.maps import MapFigure, gemeente_maps, province_maps

KAARTEN = "kaarten"
PNG_SETTING = "MONITOR_KAARTEN_PNG"
PNG_CHOICES = ("province", "all", "none")
PNG_DEFAULT = "province"
PNG_SCALE = 2  # the PNG is twice the SVG's size: sharp on a slide or in print
MANIFEST = "manifest.json"


class KaartenboekError(RuntimeError):
    """The kaartenboek cannot be written; the previous export is left as it was."""


@dataclass
class KaartenboekSummary:
    edition: int
    folder: Path  # where the files are (the work folder until installed)
    maps: list[dict] = field(default_factory=list)  # per map: file, title, level, indicator, gemeente, png
    missing: dict[str, str] = field(default_factory=dict)  # map (province or gemeente code) -> why
    png: str = PNG_DEFAULT
    png_note: str = ""  # why a map has no PNG
    seconds: float = 0.0
    png_seconds: float = 0.0

    def files(self) -> dict[str, int]:
        """Every file as named in the manifest (`kaarten/<file>`) with its size in bytes."""
        return {f"{KAARTEN}/{p.name}": p.stat().st_size for p in sorted(self.folder.iterdir())}

    def manifest_entry(self) -> dict:
        return {
            "folder": KAARTEN,
            "maps": self.maps,
            "missing": self.missing,
            "png": {"setting": f"{PNG_SETTING}={self.png}", "scale": PNG_SCALE, "note": self.png_note},
            "seconds": round(self.seconds, 2),
        }


def png_choice() -> str:
    value = os.environ.get(PNG_SETTING, PNG_DEFAULT).strip().lower() or PNG_DEFAULT
    if value not in PNG_CHOICES:
        raise KaartenboekError(
            f"{PNG_SETTING}={value!r} is not one of {', '.join(PNG_CHOICES)}: set it to 'all' for a PNG of every "
            f"map, 'province' (the default) for the province maps only, or 'none'"
        )
    return value


def png_converter() -> tuple[Callable[[str, Path], None] | None, str]:
    """cairosvg's converter, or None and why not (it loads libcairo when imported)."""
    try:
        import cairosvg
    except (ImportError, OSError) as error:  # OSError: cairocffi finds no libcairo
        return None, (
            f"no PNG: cairosvg cannot run on this machine ({str(error).splitlines()[0]}); install the cairo "
            "library (Debian/Ubuntu: apt-get install libcairo2) for a PNG beside every SVG"
        )

    def convert(svg: str, path: Path) -> None:
        cairosvg.svg2png(bytestring=svg.encode("utf-8"), write_to=str(path), scale=PNG_SCALE)

    return convert, ""


def work_folder(export_folder: Path) -> Path:
    """A new hidden work folder beside the export folder (the recovery's WORK_FOLDER pattern)."""
    export_folder.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{export_folder.name}-{KAARTEN}.building-", dir=export_folder.parent))
    folder.chmod(0o755)  # mkdtemp makes it private; the maps are for readers
    return folder


def _record(summary: KaartenboekSummary, figure: MapFigure, name: str, gemeente: tuple[str, str] | None) -> None:
    summary.maps.append(
        {
            "file": f"{KAARTEN}/{name}.svg",
            "title": figure.map.title,
            "level": figure.level,
            "indicator": figure.indicator,
            "gemeente_code": gemeente[0] if gemeente else None,
            "gemeente": gemeente[1] if gemeente else None,
            "areas": len(figure.map.drawn),
            "png": None,
        }
    )


def write_maps(
    data: EditionData, folder: Path, png: str | None = None, progress: Callable[[str], None] = print
) -> KaartenboekSummary:
    """Draw every map of the kaartenboek of `data` into `folder` (which exists and is empty)."""
    started = time.perf_counter()
    png = png_choice() if png is None else png
    summary = KaartenboekSummary(data.edition, folder, png=png)
    figures: list[tuple[MapFigure, str, tuple[str, str] | None]] = []
    for figure in province_maps(data):
        if figure.shown:
            figures.append((figure, f"provincie_{figure.indicator}", None))
        else:
            summary.missing[f"provincie_{figure.indicator}"] = figure.missing
    for g in data.gemeenten:
        (figure,) = gemeente_maps(data, g, levels=("buurt",))
        if figure.shown:
            figures.append((figure, f"{g.code}_buurten", (g.code, g.name)))
        else:
            summary.missing[g.code] = figure.missing
    convert, why_not = (None, "") if png == "none" else png_converter()
    if png == "none":
        summary.png_note = f"no PNG: {PNG_SETTING}=none"
    elif convert is None:
        summary.png_note = why_not
    elif png == "province":
        summary.png_note = f"PNG of the province maps only ({PNG_SETTING}=all for every map: about 0.1 s a map)"
    for figure, name, gemeente in figures:
        (folder / f"{name}.svg").write_text(figure.map.standalone, encoding="utf-8")
        _record(summary, figure, name, gemeente)
        if convert is not None and (png == "all" or gemeente is None):
            t = time.perf_counter()
            convert(figure.map.standalone, folder / f"{name}.png")
            summary.png_seconds += time.perf_counter() - t
            summary.maps[-1]["png"] = f"{KAARTEN}/{name}.png"
    summary.seconds = time.perf_counter() - started
    n_png = sum(1 for m in summary.maps if m["png"])
    progress(
        f"kaartenboek {data.edition}: {len(summary.maps)} maps, {n_png} PNG ({summary.png_seconds:.1f} s), "
        f"{len(summary.missing)} missing, {summary.seconds:.1f} s"
    )
    return summary


def install(summary: KaartenboekSummary, export_folder: Path) -> dict[str, int]:
    """Move the drawn maps into the (new) export folder and list them in its manifest.json.
    Returns the files added, `kaarten/<file>` -> bytes."""
    manifest_path = export_folder / MANIFEST
    if not manifest_path.is_file():
        raise KaartenboekError(
            f"{manifest_path} is missing: the tabellenboek writes the export folder and its manifest before the "
            "kaartenboek is added; run the export of the edition again"
        )
    target = export_folder / KAARTEN
    if target.exists():  # the tabellenboek folder never has one; a leftover of an interrupted install
        shutil.rmtree(target)
    os.rename(summary.folder, target)
    summary.folder = target
    files = summary.files()
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest.setdefault("files", {}).update(files)
    manifest["kaartenboek"] = summary.manifest_entry()
    temporary = export_folder / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, manifest_path)
    return files

