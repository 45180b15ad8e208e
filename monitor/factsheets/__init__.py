"""Factsheets: one static HTML page per gemeente and an index, per edition, from the published
monitor tables only (no Dagster here: the asset in orchestration/assets/factsheets.py calls it).

    from monitor.factsheets import write_factsheets, factsheet_dir
    with duckdb.connect(path, read_only=True) as conn:
        summary = write_factsheets(conn, 2018, factsheet_dir(2018))

Modules: data (reading the tables), page (what each section shows), charts (hand-written
SVG), formatting (Dutch numbers), render (Jinja2 templates + inlined CSS), write (files)."""

from monitor.factsheets.data import EditionData, gather_edition
from monitor.factsheets.write import FactsheetSummary, factsheet_dir, write_factsheet_files, write_factsheets

__all__ = [
    "EditionData",
    "FactsheetSummary",
    "factsheet_dir",
    "gather_edition",
    "write_factsheet_files",
    "write_factsheets",
]
