"""Share: the tabellenboek of an edition (monitor/exports/tabellenboek.py), the published
monitor tables as an Excel workbook for people and as Parquet and CSV for other tools, in
`<MONITOR_WAREHOUSE>/exports/<edition>/`.

It runs after publish_monitor_tables (its deps are the published tables), so it only ever
exports checked, published rows; a failed check upstream means no new export, and the
previous one stays. It reads the edition's rows, closes the warehouse connection, then writes
the files into a folder beside the export and swaps it in whole.

The kaartenboek (monitor/exports/kaartenboek.py) is part of the same export: its maps are
drawn before the tabellenboek is written (into a hidden work folder), moved into the new
export folder once it is in place, and listed in its manifest.json."""

import shutil

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from monitor.contract import layer
from orchestration.assets.publish import EDITION_TABLES, LOG_TABLE, WHOLE_TABLES, published_key
from orchestration.metadata import code_version, markdown_table
from orchestration.partitions import edition_of, editions
from orchestration.warehouse import warehouse_folder

TABELLENBOEK_KEY = AssetKey(["exports", "tabellenboek"])
VERSION = code_version(__name__, "monitor.exports.tabellenboek", "monitor.exports.kaartenboek", "monitor.presentation.labels")
EXPORTED_KEYS = [published_key(table) for table in [*EDITION_TABLES, *WHOLE_TABLES, LOG_TABLE]]


@asset(
    key=TABELLENBOEK_KEY,
    partitions_def=editions,
    deps=EXPORTED_KEYS,
    group_name=layer("share"),
    kinds={"excel", "parquet", "csv"},
    code_version=VERSION,
    description=(
        "exports/<edition>/: tabellenboek_<edition>.xlsx (a Toelichting sheet and one sheet per published "
        "monitor table and the sheet 'Grootteklasse per regio', Dutch headings and labels, suppressed cells shown "
        "as 'onderdrukt'), <table>.parquet "
        "and <table>.csv of each table (the edition's rows as published), the kaartenboek kaarten/ (the maps of "
        "the factsheets as SVG: the province per headline indicator and every gemeente's buurten, PNG beside the "
        "province maps, every map with MONITOR_KAARTEN_PNG=all) and manifest.json listing every file. Written whole "
        "or not at all; never a respondent-level column."
    ),
)
def tabellenboek(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    from monitor.exports import kaartenboek  # shapely, cairosvg: imported when the step runs
    from monitor.exports.tabellenboek import (  # xlsxwriter: imported when the step runs, not when the UI loads
        export_dir,
        read_edition,
        workbook_name,
        write_export,
    )
    from monitor.factsheets import gather_edition

    edition = edition_of(context)
    with warehouse.get_connection() as conn:
        data = read_edition(conn, edition)  # the edition's rows only; closed before writing
        figures = gather_edition(conn, edition)  # what the maps show, as the factsheets read it
    rows = sum(table.num_rows for table in data.tables.values())
    context.log.info(f"tabellenboek {edition}: read {rows:,} rows of {len(data.tables)} published tables")
    folder = export_dir(edition, warehouse_folder(warehouse))
    work = kaartenboek.work_folder(folder)
    try:
        maps = kaartenboek.write_maps(figures, work, progress=context.log.info)
        summary = write_export(data, folder, context.log.info)
        map_files = kaartenboek.install(maps, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # gone already once installed
    listed = {**summary.files}  # the maps as one row: every file of them is in manifest.json
    if map_files:
        listed[f"{kaartenboek.KAARTEN}/ ({len(map_files)} files)"] = sum(map_files.values())
    files = pd.DataFrame({"file": list(listed), "kB": [round(size / 1024, 1) for size in listed.values()]})
    sheets = pd.DataFrame(
        {
            "sheet": [summary.sheets[table] for table in summary.rows],
            "table": [f"monitor.{table}" for table in summary.rows],
            "rows": list(summary.rows.values()),
        }
    )
    return MaterializeResult(
        metadata={
            "folder": MetadataValue.path(str(summary.folder)),
            "workbook": MetadataValue.path(str(summary.folder / workbook_name(edition))),
            "edition": edition,
            "files": MetadataValue.md(markdown_table(files, digits=1)),
            "rows_per_sheet": MetadataValue.md(markdown_table(sheets)),
            "total_bytes": summary.total_bytes + sum(map_files.values()),
            "published_at": summary.published_at.isoformat(),
            "published_by_run": summary.dagster_run_id,
            "seconds": round(summary.seconds, 2),
            "kaartenboek_maps": len(maps.maps),
            "kaartenboek_missing": MetadataValue.json(maps.missing),
            "kaartenboek_png": maps.png_note or f"PNG beside every map ({kaartenboek.PNG_SETTING}={maps.png})",
            "kaartenboek_seconds": round(maps.seconds, 2),
        }
    )
