"""The tabellenboek: every published monitor table of one edition as files for people and for
other tools, in `<MONITOR_WAREHOUSE>/exports/<edition>/`:

- `tabellenboek_<edition>.xlsx`, for people: a sheet "Toelichting" (what each sheet holds,
  the suppression rule, the edition, when and by which Dagster run it was published, how to
  read the figures), then one sheet per monitor table with Dutch headings, a Dutch label
  beside each code (area level, indicator, type, resource), ja/nee for booleans, "onderdrukt"
  in every figure cell that disclosure control withheld (the reason column stays), number
  formats (estimates 2 decimals, shares 1 decimal, counts with a thousands separator; the
  cell keeps the full value), a bold wrapped header row that stays in view, and a filter.
  Written with XlsxWriter through pandas: it writes faster than openpyxl and sets column
  formats, widths, frozen panes and filters in one pass (it cannot read; the tests read the
  result with openpyxl).
- `<table>.parquet` and `<table>.csv`, for tools: the table's rows for the edition exactly as
  in the warehouse (column names and codes as in DuckDB, NULL where a figure is suppressed).
  Parquet keeps the types; the CSV is UTF-8 without BOM, comma-separated with a header row,
  a point as decimal sign, `true`/`false`, empty for NULL and quotes only where needed
  (RFC 4180, what pandas, R, DuckDB and Power BI read without options; people who want Excel
  use the xlsx).
- derived sheets (no files of their own: their rows are in a table's files): "Grootteklasse
  per regio" shows the regio_grootteklasse rows of monitor_area_estimates with the three size
  classes of each regio side by side, beside the regio as a whole (methodology section 10).
- `manifest.json`: edition, publication (time, Dagster run), files with sizes, rows per table.

The edition's rows: `edition = <edition>` for the edition tables and the view
monitor_below_gemeente, `edition_to = <edition>` for monitor_trend (the change since the
previous edition). The export is refused when the edition was never published, and when any
table has a respondent-level column (methodology section 6).

The folder is built beside its place and then swapped in (a single atomic exchange on Linux,
else two renames), so a reader never sees a half-written export, and a failed export leaves
the previous one as it was. No Dagster here: orchestration/assets/exports.py runs it."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import xlsxwriter

from monitor.codebook import load_codebook, respondent_level_columns
from monitor.contract import MIN_RESPONDENTS_PER_CELL as MIN_RESPONDENTS
from monitor.presentation import labels
from monitor.presentation.flagged import flagged_areas, flagged_definition, flagged_phrase
from monitor.presentation.folders import replace_folder
from monitor.settings import warehouse_dir

SCHEMA = "monitor"
LOG_TABLE = "monitor_publication_log"
TOELICHTING = "Toelichting"
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")
MAX_SHEET_NAME = 31  # Excel's limit


class ExportError(RuntimeError):
    """The export cannot be made; the previous export (if any) is left as it was."""


class RespondentDataRefused(ExportError):
    """A table to export has a respondent-level column."""


@dataclass(frozen=True)
class ExportTable:
    table: str  # monitor.<table>
    sheet: str  # Dutch sheet name in the xlsx
    description: str  # Dutch, for the Toelichting
    order_by: str  # SQL order of the rows
    edition_column: str = "edition"


@dataclass(frozen=True)
class DerivedSheet:
    """A sheet built from the rows of an exported table (no Parquet or CSV of its own)."""

    sheet: str
    description: str  # Dutch, for the Toelichting
    table: str  # the exported table it is built from
    rows: str  # which of its rows (SQL, for the manifest and, in brackets, the Toelichting)
    build: Callable[[DerivedSheet, dict[str, pa.Table]], Sheet]
    edition_column: str = "edition"
    rows_words: str = ""  # the same rows in Dutch words, for the Toelichting


@dataclass
class EditionTables:
    """What the export needs from the warehouse: the edition's rows of every table (Arrow,
    exact types and NULLs) and its publication."""

    edition: int
    tables: dict[str, pa.Table]  # table -> rows, in export_tables() order
    published_at: datetime  # latest publication of the edition (UTC)
    dagster_run_id: str


@dataclass(frozen=True)
class ExportSummary:
    edition: int
    folder: Path
    files: dict[str, int]  # file name -> bytes
    rows: dict[str, int]  # table -> rows
    sheets: dict[str, str]  # table -> sheet name
    published_at: datetime
    dagster_run_id: str
    seconds: float = field(default=0.0, compare=False)

    @property
    def total_bytes(self) -> int:
        return sum(self.files.values())

    @property
    def workbook(self) -> Path:
        return self.folder / workbook_name(self.edition)


def _sql_list(values: Iterable[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _position(column: str, values: Iterable[str]) -> str:
    """Order by a fixed list (area levels from large to small, the codebook's indicators)."""
    return f"list_position({_sql_list(values)}, {column})"


@cache
def export_tables() -> tuple[ExportTable, ...]:
    """The tables of the export, in sheet order."""
    codebook = load_codebook()
    level = _position("area_level", labels.AREA_LEVELS)
    indicator = _position("indicator", codebook.indicators)
    types = _position("type", codebook.typology["types"])
    tables = (
        ExportTable(
            "monitor_area_estimates",
            "Cijfers per gebied",
            "Directe schattingen per indicator voor de provincie, de regio's (COROP), de grootteklassen en de "
            "gemeenten: gewogen gemiddelde of percentage, 95%-betrouwbaarheidsinterval, aantal respondenten.",
            f"{level}, area_name, area_code, {indicator}",
        ),
        ExportTable(
            "monitor_typology",
            "Typologie",
            "Aandeel (%) van de vier typen (veerkrachtig ja/nee x veranderbereid ja/nee) per gebied, met "
            "95%-betrouwbaarheidsinterval.",
            f"{level}, area_name, area_code, {types}",
        ),
        ExportTable(
            "monitor_small_area_estimates",
            "Wijken en buurten",
            "Modelschattingen van de veerkrachtscore en het percentage veerkrachtig voor elke wijk en buurt, ook "
            "zonder respondenten: het model leent kracht van CBS-kenmerken van het gebied en van de gemeente, "
            "en is gebenchmarkt op de directe schatting van de gemeente.",
            f"gemeente_code, {level}, area_code, {indicator}",
        ),
        ExportTable(
            "monitor_below_gemeente",
            "Significant onder gemeente",
            "'Overall goed, maar niet overal': wijken en buurten die significant lager scoren dan de eigen "
            "gemeente, in gemeenten die op of boven het provinciale cijfer scoren; per gebied waarop de "
            "signalering rust: de eigen respondenten (vanaf 10), het model (CBS-kenmerken; zonder eigen "
            "respondenten een signaal om na te gaan, geen bevinding) of beide.",
            f"gemeente_code, {indicator}, {level} desc, estimate, area_code",
        ),
        ExportTable(
            "monitor_trend",
            "Trend",
            "Verandering ten opzichte van de vorige editie per gebied en indicator, op de gebiedsindeling van "
            "deze editie: verschil met 95%-betrouwbaarheidsinterval en of het verschil significant is.",
            f"{level}, area_name, area_code, {indicator}, edition_from",
            edition_column="edition_to",
        ),
        ExportTable(
            "monitor_resource_importance",
            "Belang hulpbronnen",
            "Welke hulpbronnen samengaan met sociale veerkracht: gewogen regressie van de veerkrachtscore op de "
            "hulpbronnen (gestandaardiseerd), met het aandeel van elke hulpbron en groep in de verklaarde "
            "variantie (Shapley-decompositie) en de rangorde.",
            f"{_position('level', labels.IMPORTANCE_LEVELS)}, rank, resource",
        ),
        ExportTable(
            "monitor_resource_importance_regio",
            "Belang hulpbronnen per regio",
            "Dezelfde regressie als 'Belang hulpbronnen', op de respondenten van elke regio (COROP) apart, waar "
            "het aantal respondenten dat toelaat (minstens 50 met alle hulpbronnen ingevuld per hulpbron); "
            "anders staan de rijen van de regio er zonder cijfers, met de reden.",
            f"regio_code, {_position('level', labels.IMPORTANCE_LEVELS)}, rank, resource",
        ),
        ExportTable(
            "monitor_resource_steerability",
            "Stuurbaarheid hulpbronnen",
            "Hoe stuurbaar elke hulpbron is (toetsingskader): op korte termijn (een project kan er binnen zijn "
            "looptijd aan werken) of op lange termijn (een lange adem nodig), met de reden; uit het bestand "
            "resource_steerability dat gebruikers kunnen aanpassen.",
            f"{_position('resource_group', codebook.resource_groups)}, steerability desc, resource",
        ),
        ExportTable(
            "monitor_profiles",
            "Profielen",
            "Wie is veerkrachtig: per achtergrondkenmerk (geslacht, leeftijd, opleiding, huishouden, betaald werk, "
            "grootteklasse van de gemeente, regio) en categorie de gewogen schatting van elke indicator met "
            "95%-betrouwbaarheidsinterval, onder meer het percentage veerkrachtig en de veerkrachtscore; en "
            "andersom de samenstelling: het aandeel van de categorie onder de veerkrachtigen en onder de minder "
            "veerkrachtigen, het verschil (procentpunten) met 95%-betrouwbaarheidsinterval en of het significant "
            "is. 'Geen antwoord' is een eigen categorie.",
            f"{_position('characteristic', codebook.profiles['characteristics'])}, category_order, category, {indicator}",
        ),
        ExportTable(
            "monitor_resources_by_resilience",
            "Hulpbronnen naar veerkracht",
            "De hulpbronnen van veerkrachtigen en minder veerkrachtigen: per hulpbron en groep hulpbronnen de "
            "gewogen gemiddelde score (0-10) in beide groepen met 95%-betrouwbaarheidsinterval, het verschil "
            "(veerkrachtig min minder veerkrachtig) met 95%-betrouwbaarheidsinterval en of het significant is.",
            f"{_position('resource_group', codebook.resource_groups)}, indicator_kind = 'scale', {indicator}",
        ),
        ExportTable(
            "monitor_scale_reliability",
            "Betrouwbaarheid schalen",
            "Betrouwbaarheid (Cronbachs alfa) van elke schaal met meer dan één item.",
            f"{_position('scale', codebook.indicators)}, scale",
        ),
        ExportTable(
            "monitor_small_area_validation",
            "Validatie wijken en buurten",
            "Controle van het model voor wijken en buurten: per gemeente de modelschattingen (vóór "
            "benchmarking) opgeteld naar de gemeente, naast de directe schatting van de gemeente.",
            f"{level}, {indicator}, gemeente_code",
        ),
    )
    for spec in tables:
        _assert_sheet_name(spec.sheet)
    return tables


def _assert_sheet_name(name: str) -> None:
    assert len(name) <= MAX_SHEET_NAME and not set(name) & set("[]:*?/\\"), name


@cache
def derived_sheets() -> tuple[DerivedSheet, ...]:
    """The sheets built from an exported table's rows, placed after that table's sheet."""
    sheets = (
        DerivedSheet(
            "Grootteklasse per regio",
            "Grote, middelgrote en kleine gemeenten per regio (COROP) naast elkaar, met de regio als geheel: per "
            "regio en indicator de schatting, het 95%-betrouwbaarheidsinterval en het aantal respondenten van "
            "elke grootteklasse binnen de regio. Dezelfde cijfers als de rijen met niveau 'Grootteklasse binnen "
            "regio' op het tabblad 'Cijfers per gebied'; leeg waar de regio geen gemeente van die grootteklasse "
            "heeft.",
            "monitor_area_estimates",
            f"area_level in ('regio', '{labels.REGIO_GROOTTEKLASSE}')",
            lambda spec, tables: size_classes_by_regio_sheet(spec, tables),
            rows_words="met niveau regio of grootteklasse binnen regio",
        ),
    )
    for spec in sheets:
        _assert_sheet_name(spec.sheet)
    return sheets


def workbook_sheets() -> list[ExportTable | DerivedSheet]:
    """Every data sheet of the workbook in order: each table's sheet, then the sheets derived from it."""
    out: list[ExportTable | DerivedSheet] = []
    for spec in export_tables():
        out.append(spec)
        out += [derived for derived in derived_sheets() if derived.table == spec.table]
    return out


def workbook_name(edition: int) -> str:
    return f"tabellenboek_{edition}.xlsx"


def export_dir(edition: int, warehouse: Path | None = None) -> Path:
    """Where the export of an edition lives: <MONITOR_WAREHOUSE>/exports/<edition>/."""
    return (warehouse or warehouse_dir()) / "exports" / str(edition)


# ---------------------------------------------------------------- reading the warehouse


def refuse_respondent_columns(table: str, columns: Iterable[str]) -> None:
    """Raise RespondentDataRefused when a column would carry respondent-level data."""
    found = sorted(set(columns) & respondent_level_columns(load_codebook()))
    if found:
        raise RespondentDataRefused(
            f"refusing to export {SCHEMA}.{table}: column {', '.join(map(repr, found))} is respondent-level "
            "data, which never leaves the raw and staging layers (methodology section 6)"
        )


def _arrow(conn, sql: str, params: list) -> pa.Table:
    relation = conn.sql(sql, params=params)
    return relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else relation.arrow()


def read_edition(conn, edition: int) -> EditionTables:
    """The edition's rows of every exported table and its publication, read from schema
    monitor of an open DuckDB connection (read-only suffices)."""
    edition = int(edition)
    try:
        published = conn.execute(
            f"select epoch_us(published_at), dagster_run_id from {SCHEMA}.{LOG_TABLE} "
            "where edition = ? order by published_at desc limit 1",
            [edition],
        ).fetchone()
    except Exception as error:  # duckdb.CatalogException: nothing published yet
        raise ExportError(f"no {SCHEMA}.{LOG_TABLE} in the warehouse: nothing has been published ({error})") from error
    if published is None:
        raise ExportError(f"edition {edition} has not been published (no row in {SCHEMA}.{LOG_TABLE})")
    existing = {
        name
        for (name,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = ?", [SCHEMA]
        ).fetchall()
    }
    tables = {}
    for spec in export_tables():
        if spec.table not in existing:
            raise ExportError(f"{SCHEMA}.{spec.table} is missing from the warehouse: publish edition {edition} first")
        columns = [row[0] for row in conn.execute(f"describe {SCHEMA}.{spec.table}").fetchall()]
        refuse_respondent_columns(spec.table, columns)  # before a single row is read
        tables[spec.table] = _arrow(
            conn,
            f"select * from {SCHEMA}.{spec.table} where {spec.edition_column} = ? order by {spec.order_by}",
            [edition],
        )
    published_at = datetime.fromtimestamp(published[0] / 1e6, tz=UTC)
    return EditionTables(edition, tables, published_at, published[1])


# ---------------------------------------------------------------- the workbook

# number formats by column (Excel shows them with the reader's decimal and thousands signs)
YEAR, COUNT, ESTIMATE, SHARE, PRECISE = "0", "#,##0", "0.00", "0.0", "0.000"
YES_NO_CELL = "ja/nee"  # a style (centred), not a number format
COLUMN_FORMATS = {
    **dict.fromkeys(["edition", "edition_from", "edition_to"], YEAR),
    **dict.fromkeys(
        ["n_respondents", "n_effective", "n_valid", "n_from", "n_to", "n_excluded", "n_items", "inhabitants",
         "adults", "areas", "areas_with_respondents", "rank"],
        COUNT,
    ),
    **dict.fromkeys(
        ["estimate", "ci_lower", "ci_upper", "unweighted_estimate", "direct_estimate", "model_estimate",
         "gemeente_estimate", "estimate_from", "estimate_to", "difference", "benchmark_shift", "direct_ci_lower",
         "direct_ci_upper", "model_aggregate", "std_coefficient", "cronbach_alpha"],
        ESTIMATE,
    ),
    **dict.fromkeys(["share", "importance_share", "share_among_resilient", "share_among_less_resilient"], SHARE),
    **dict.fromkeys(["mse", "model_mse", "contrast_se", "shapley_r2", "r2_total"], PRECISE),
}
TABLE_FORMATS = {
    ("monitor_typology", "ci_lower"): SHARE,
    ("monitor_typology", "ci_upper"): SHARE,
    # the composition's difference is one of shares (procentpunten)
    **{("monitor_profiles", c): SHARE for c in ("difference", "difference_ci_lower", "difference_ci_upper")},
}

# a Dutch label column beside each code column
LABEL_COLUMNS: dict[str, tuple[str, Callable[[str], str]]] = {
    "area_level": ("area_level_label", labels.area_level_label),
    "level": ("level_label", labels.importance_level_label),
    "indicator": ("indicator_label", labels.indicator_label),
    "type": ("type_label", labels.type_label),
    "resource": ("resource_label", labels.indicator_label),
    "resource_group": ("resource_group_label", labels.group_label),
}
# text columns shown in Dutch in place
TRANSLATED_COLUMNS = {
    "suppression_reason": labels.suppression_reason_label,
    "composition_suppression_reason": labels.suppression_reason_label,
    "indicator_kind": labels.indicator_kind_label,
    "comparability": labels.comparability_label,
    "flag_basis": lambda value: labels.FLAG_BASIS.get(value, value),
    "name_source": lambda value: labels.NAME_SOURCE.get(value, value),
    "steerability": labels.steerability_label,
    "estimation_method": labels.method_label,
    "method": labels.method_label,
}
# direct figures withheld on fewer than MIN_RESPONDENTS respondents in tables without a
# suppressed flag for them (the small-area model figure beside it is published)
DIRECT_FIGURES = {
    "monitor_small_area_estimates": ("n_respondents", ("direct_estimate", "direct_contrast_se")),
    "monitor_below_gemeente": ("n_respondents", ("direct_estimate",)),
}
# figures withheld under a flag of their own (beside `suppressed`): the composition of the
# resilient and the less resilient rests on the category's respondents in each group
FLAGGED_FIGURES = {
    "monitor_profiles": {
        "composition_suppressed": (
            "share_among_resilient", "share_among_less_resilient", "difference", "difference_ci_lower",
            "difference_ci_upper", "significant",
        ),
    },
}
# the validation's direct figures are the gemeente's, withheld when that gemeente cell is suppressed
GEMEENTE_DIRECT_FIGURES = {"monitor_small_area_validation": ("direct_estimate", "direct_ci_lower", "direct_ci_upper")}
MAX_WIDTH = 50
LINE_HEIGHT = 15  # points per header line (Calibri 11)


@dataclass
class Sheet:
    """One data sheet as shown: the frame (codes, labels, ja/nee, "onderdrukt"), its Dutch
    headings, a number format per column and the cells that are suppressed."""

    spec: ExportTable | DerivedSheet
    frame: pd.DataFrame
    headings: list[str]
    formats: list[str | None]
    suppressed: list[tuple[int, int]]  # (row, column) in frame positions


def _kinds(schema: pa.Schema) -> tuple[set[str], set[str]]:
    """Numeric and boolean columns, by their warehouse type (an all-NULL column included)."""
    numeric = {f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_decimal(f.type)}
    boolean = {f.name for f in schema if pa.types.is_boolean(f.type)}
    return numeric, boolean


def _withheld_masks(
    table: str, frame: pd.DataFrame, figures: set[str], gemeente_suppressed: set
) -> dict[str, pd.DataFrame]:
    """Per mark (labels.SUPPRESSED_CELL, labels.FEW_RESPONDENTS_CELL), True where a figure cell
    (number or boolean) is withheld by disclosure control, each cell under one mark only:
    'onderdrukt' for NULL figures of a row flagged suppressed (or of its withheld composition)
    and the validation's direct figures of a suppressed gemeente cell; '< 10 resp.' for NULL
    direct figures on 1..9 respondents in a row that is itself published."""
    suppressed = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    few = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    row_suppressed = pd.Series(False, index=frame.index)
    if "suppressed" in frame.columns:
        row_suppressed = frame["suppressed"].fillna(False).astype(bool)
        for column in figures - {"suppressed"}:
            suppressed[column] = row_suppressed & frame[column].isna()
    for flag, columns in FLAGGED_FIGURES.get(table, {}).items():
        flagged = frame[flag].fillna(False).astype(bool)
        for column in columns:
            suppressed[column] |= flagged & frame[column].isna()
    if table in GEMEENTE_DIRECT_FIGURES and gemeente_suppressed:
        keys = pd.Series(list(zip(frame["gemeente_code"], frame["indicator"])), index=frame.index)
        withheld = keys.isin(gemeente_suppressed)
        for column in GEMEENTE_DIRECT_FIGURES[table]:
            suppressed[column] |= withheld & frame[column].isna()
    if table in DIRECT_FIGURES:
        n_column, columns = DIRECT_FIGURES[table]
        on_few = frame[n_column].between(1, MIN_RESPONDENTS - 1) & ~row_suppressed
        for column in columns:
            few[column] = on_few & frame[column].isna() & ~suppressed[column]
    return {labels.SUPPRESSED_CELL: suppressed, labels.FEW_RESPONDENTS_CELL: few}


def build_sheet(spec: ExportTable, rows: pa.Table, context: dict) -> Sheet:
    """The sheet of one table: what people read."""
    raw = rows.to_pandas()
    numeric, boolean = _kinds(rows.schema)
    masks = _withheld_masks(spec.table, raw, numeric | boolean, context.get("gemeente_suppressed", set()))
    shown = pd.DataFrame(index=raw.index)
    formats: dict[str, str | None] = {}
    for column in raw.columns:
        values = raw[column]
        if column in boolean:
            values = values.astype(object).map(labels.YES_NO, na_action="ignore")
        elif column in TRANSLATED_COLUMNS:
            values = values.map(TRANSLATED_COLUMNS[column], na_action="ignore")
        for mark, mask in masks.items():
            if mask[column].any():
                values = values.astype(object).where(~mask[column], mark)
        shown[column] = values
        if column in boolean:
            formats[column] = YES_NO_CELL
        if column in numeric:
            default = COUNT if pa.types.is_integer(rows.schema.field(column).type) else ESTIMATE
            formats[column] = TABLE_FORMATS.get((spec.table, column), COLUMN_FORMATS.get(column, default))
        if column in LABEL_COLUMNS:
            label_column, label = LABEL_COLUMNS[column]
            if label_column not in raw.columns:
                shown[label_column] = raw[column].map(label, na_action="ignore")
        if column == "indicator":  # one estimate column holds scores 0-10 and percentages: say which is which
            shown["indicator_unit"] = raw[column].map(labels.indicator_unit, na_action="ignore")
        if column == "gemeente_code" and "gemeente_name" not in raw.columns and context.get("gemeente_names"):
            shown["gemeente_name"] = raw[column].map(context["gemeente_names"])
    suppressed = [
        (int(row), shown.columns.get_loc(column))
        for mask in masks.values()
        for column in mask.columns[mask.any()]
        for row in mask[column].to_numpy().nonzero()[0]
    ]
    headings = [labels.column_label(c, spec.table) for c in shown.columns]
    return Sheet(spec, shown, headings, [formats.get(c) for c in shown.columns], suppressed)


def _size_class_order(codes: Iterable[str]) -> list[str]:
    """The size classes in the seed's reporting order; one the seed does not know goes last
    (shown, not dropped)."""
    from monitor.reference import size_classes

    seeded = list(size_classes()["size_class"])
    codes = set(codes)
    return [c for c in seeded if c in codes] + sorted(codes - set(seeded))


def size_classes_by_regio_sheet(spec: DerivedSheet, tables: dict[str, pa.Table]) -> Sheet:
    """Per regio and indicator one row: for each size class within the regio (area_level
    regio_grootteklasse, area_code '<regio>_<size class>') and for the regio as a whole the
    estimate, interval and respondents, side by side."""
    codebook = load_codebook()
    frame = tables[spec.table].to_pandas()
    regios = frame[frame["area_level"] == "regio"]
    cells = frame[frame["area_level"] == labels.REGIO_GROOTTEKLASSE].copy()
    names = dict(zip(frame.loc[frame["area_level"] == "grootteklasse", "area_code"],
                     frame.loc[frame["area_level"] == "grootteklasse", "area_name"]))
    unknown = cells[~cells["regio_code"].isin(set(regios["area_code"])) | cells["size_class"].isna()]
    if len(unknown):
        raise ExportError(
            f"{SCHEMA}.{spec.table}: {len(unknown)} rows with area_level '{labels.REGIO_GROOTTEKLASSE}' have a regio_code "
            f"that is not a regio of the edition, or no size_class (e.g. {sorted(set(unknown['area_code']))[:5]}); "
            "expected each size class within a regio to name both: rebuild the marts"
        )
    ordered = regios.assign(
        _indicator=regios["indicator"].map({name: i for i, name in enumerate(codebook.indicators)}).fillna(len(codebook.indicators))
    ).sort_values(["area_name", "area_code", "_indicator", "indicator"])
    keys = ["regio_code", "indicator"]
    out = pd.DataFrame({
        "edition": ordered["edition"].to_numpy(),
        "regio_code": ordered["area_code"].to_numpy(),
        "regio_name": ordered["area_name"].to_numpy(),
        "indicator": ordered["indicator"].to_numpy(),
        "indicator_label": ordered["indicator"].map(labels.indicator_label).to_numpy(),
        "indicator_unit": ordered["indicator"].map(labels.indicator_unit).to_numpy(),
    })
    headings = [labels.column_label("edition"), "Regiocode", "Regio", labels.column_label("indicator"),
                labels.column_label("indicator_label"), labels.column_label("indicator_unit")]
    formats: list[str | None] = [YEAR, None, None, None, None, None]
    blocks = [(names.get(c, c), cells[cells["size_class"] == c]) for c in _size_class_order(cells["size_class"])]
    blocks.append(("Regio totaal", regios))  # a regio row carries its own code as regio_code
    figures = [("estimate", "schatting", ESTIMATE), ("ci_lower", "ondergrens 95%-BI", ESTIMATE),
               ("ci_upper", "bovengrens 95%-BI", ESTIMATE), ("n_respondents", "aantal respondenten", COUNT)]
    suppressed: list[tuple[int, int]] = []
    for name, rows in blocks:
        merged = out[keys].merge(rows, on=keys, how="left", validate="one_to_one")
        withheld = merged["suppressed"].fillna(False).astype(bool)
        for column, what, number_format in figures:
            values = merged[column].astype(object).where(merged[column].notna(), None)
            hidden = withheld & merged[column].isna()
            values = values.where(~hidden, labels.SUPPRESSED_CELL)
            position = len(out.columns)
            out[f"{name}|{column}"] = values.to_numpy()
            suppressed += [(int(row), position) for row in hidden.to_numpy().nonzero()[0]]
            headings.append(f"{name}: {what}")
            formats.append(number_format)
    return Sheet(spec, out, headings, formats, suppressed)


def _context(tables: dict[str, pa.Table]) -> dict:
    """What one sheet needs from another: gemeente names and suppressed gemeente cells."""
    estimates = tables.get("monitor_area_estimates")
    if estimates is None or estimates.num_rows == 0:
        return {}
    frame = estimates.select(["area_level", "area_code", "area_name", "indicator", "suppressed"]).to_pandas()
    gemeenten = frame[frame["area_level"] == "gemeente"]
    suppressed = gemeenten[gemeenten["suppressed"].fillna(False).astype(bool)]
    return {
        "gemeente_names": dict(zip(gemeenten["area_code"], gemeenten["area_name"])),
        "gemeente_suppressed": set(zip(suppressed["area_code"], suppressed["indicator"])),
    }


def _text_width(values: pd.Series) -> int:
    text = values.dropna()
    return int(text.astype(str).str.len().max()) if len(text) else 0


def _number_width(values: pd.Series, number_format: str) -> int:
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    if numbers.empty:
        return 0
    decimals = len(number_format.partition(".")[2])
    largest = max(abs(numbers.min()), abs(numbers.max()))
    return len(f"-{largest:,.{decimals}f}") if number_format == COUNT else len(f"-{largest:.{decimals}f}")


def _widths(sheet: Sheet) -> list[int]:
    widths = []
    for position, (heading, number_format) in enumerate(zip(sheet.headings, sheet.formats)):
        values = sheet.frame.iloc[:, position]
        numbers = number_format not in (None, YES_NO_CELL)
        content = _number_width(values, number_format) if numbers else _text_width(values)
        if numbers and values.dtype == object:  # numbers and "onderdrukt"
            content = max(content, _text_width(values[values.map(lambda v: isinstance(v, str))]))
        longest_word = max(map(len, heading.split()))
        widths.append(min(max(content, longest_word, 8), MAX_WIDTH) + 2)
    return widths


def _write_cells(ws, sheet: Sheet, suppressed_style) -> None:
    """The data cells, typed (number or text), column by column; NULL stays an empty cell.
    (Direct XlsxWriter calls: pandas' to_excel spends most of its time on per-cell styles.)"""
    suppressed: dict[int, set[int]] = {}
    for row, column in sheet.suppressed:
        suppressed.setdefault(column, set()).add(row)
    for column in range(sheet.frame.shape[1]):
        values = sheet.frame.iloc[:, column].tolist()
        withheld = suppressed.get(column, set())
        for row, value in enumerate(values):
            if isinstance(value, str):
                ws.write_string(row + 1, column, value, suppressed_style if row in withheld else None)
            elif value is None or value is pd.NA or value != value:  # NULL or NaN
                continue
            else:
                ws.write_number(row + 1, column, value)


def _write_data_sheet(book, sheet: Sheet, styles: dict) -> None:
    ws = book.add_worksheet(sheet.spec.sheet)
    widths = _widths(sheet)
    lines = 1
    for position, (heading, width, number_format) in enumerate(zip(sheet.headings, widths, sheet.formats)):
        ws.write_string(0, position, heading, styles["header"])
        ws.set_column(position, position, width, styles.get(number_format))
        lines = max(lines, len(textwrap.wrap(heading, max(width - 2, 1))))
    ws.set_row(0, LINE_HEIGHT * lines + 3)
    ws.freeze_panes(1, 0)
    _print_setup(ws, landscape=True)
    ws.repeat_rows(0)  # the header row on every printed page
    _write_cells(ws, sheet, styles["suppressed"])
    rows = len(sheet.frame)
    if rows:
        ws.autofilter(0, 0, rows, len(sheet.headings) - 1)
    else:
        ws.write_string(1, 0, "Geen rijen voor deze editie.", styles["note"])


def _print_setup(ws, landscape: bool) -> None:
    """A4, as wide as one page, as many pages long as needed."""
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(LOCAL_TIME):%d-%m-%Y %H:%M:%S} (Nederlandse tijd)"


READING_NOTES = [
    (
        "Betrouwbaarheidsintervallen",
        "'Ondergrens 95%-BI' en 'Bovengrens 95%-BI' zijn de grenzen van het 95%-betrouwbaarheidsinterval: met "
        "95% zekerheid ligt de werkelijke waarde daartussen. Bij de trend is het interval dat van het verschil. "
        "De intervallen houden rekening met de weging.",
    ),
    (
        "Weging",
        "De directe schattingen zijn gewogen naar de bevolking van 18 jaar en ouder van elke gemeente "
        "(geslacht en leeftijd, CBS-kerncijfers van het jaar van de editie).",
    ),
    (
        "Schaal van de cijfers",
        "Scores lopen van 0 tot 10 (hoger = meer van de hulpbron of meer veerkracht). Het percentage "
        "veerkrachtig en de aandelen van de typologie zijn percentages (0 tot 100).",
    ),
    (
        labels.column_label("indicator_unit"),
        f"Waar een kolom schattingen van verschillende indicatoren bevat, zegt de kolom "
        f"'{labels.column_label('indicator_unit')}' ernaast in welke eenheid de schatting en het interval van die rij "
        f"staan: '{labels.indicator_unit('veerkracht_score')}' of '{labels.indicator_unit('pct_veerkrachtig')}' "
        "(het percentage veerkrachtig, 0 tot 100). Een verschil (trend) staat in punten van die eenheid, bij '%' in "
        "procentpunten.",
    ),
    (
        f"'{labels.SUPPRESSED_CELL}'",
        labels.SUPPRESSED_EXPLANATION
        + f" In zo'n cel staat '{labels.SUPPRESSED_CELL}': de hele rij is onderdrukt, de kolom "
        f"'{labels.column_label('suppressed')}' zegt 'ja' en de kolom '{labels.column_label('suppression_reason')}' "
        f"waarom (bij de samenstelling in 'Profielen': de kolommen '{labels.column_label('composition_suppressed')}' "
        f"en '{labels.column_label('composition_suppression_reason')}'). Op 'Validatie wijken en buurten' staat "
        f"'{labels.SUPPRESSED_CELL}' bij de directe schatting van een gemeente waarvan dat cijfer onderdrukt is. In de "
        "Parquet- en CSV-bestanden zijn deze cellen leeg (NULL).",
    ),
    (
        f"'{labels.FEW_RESPONDENTS_CELL}'",
        f"In de kolom '{labels.column_label('direct_estimate')}' van een wijk of buurt met 1 tot {MIN_RESPONDENTS - 1} "
        f"eigen respondenten staat '{labels.FEW_RESPONDENTS_CELL}': het gemiddelde van zo weinig respondenten wordt "
        "niet getoond (te onzeker en herleidbaar tot personen), de modelschatting van het gebied wel; de rij zelf is "
        f"niet onderdrukt ('{labels.column_label('suppressed')}' = nee). In de Parquet- en CSV-bestanden is de cel "
        "leeg (NULL).",
    ),
    (
        "Wijken en buurten",
        "Cijfers voor wijken en buurten zijn modelschattingen, geen directe schattingen: er zijn per wijk of "
        f"buurt te weinig respondenten. De directe schatting staat ernaast bij minstens {MIN_RESPONDENTS} "
        f"respondenten; bij 1 tot {MIN_RESPONDENTS - 1} respondenten staat er '{labels.FEW_RESPONDENTS_CELL}', "
        "zonder respondenten is de cel leeg.",
    ),
    (
        "Profielen",
        "Het tabblad 'Profielen' leest twee kanten op. 'Schatting in de categorie' is het cijfer binnen de "
        "categorie (bijvoorbeeld het percentage veerkrachtig onder 65-plussers). 'Aandeel onder "
        "veerkrachtigen' en 'Aandeel onder minder veerkrachtigen' zeggen hoe de twee groepen zijn samengesteld "
        "(bijvoorbeeld welk deel van de veerkrachtigen 65 jaar of ouder is); per kenmerk tellen ze op tot 100. "
        "Het verschil daartussen staat in procentpunten. Wie een vraag niet beantwoordde, staat in de categorie "
        "'geen antwoord'.",
    ),
    (
        "Grootteklassen binnen regio's",
        "Grote steden (B5), middelgrote en kleine gemeenten zijn ook per regio (COROP) geschat: niveau "
        "'Grootteklasse binnen regio', gebiedscode zoals CR35_middelgroot (de middelgrote gemeenten van "
        "Noordoost-Noord-Brabant). Het tabblad 'Grootteklasse per regio' zet ze per regio naast elkaar.",
    ),
    (
        "Significant",
        "Een verschil is significant als het 95%-betrouwbaarheidsinterval van het verschil de 0 niet bevat.",
    ),
    (
        "Getallen",
        "Schattingen staan met 2 decimalen, aandelen (%) met 1 decimaal en aantallen met een scheidingsteken "
        "voor duizendtallen; de cel zelf bevat de volledige, niet afgeronde waarde.",
    ),
    (
        "Codes",
        "Naast elke code (niveau, indicator, type, hulpbron) staat een Nederlandse omschrijving; de "
        "indicatoren staan hieronder. De codes zijn die van de Parquet- en CSV-bestanden en blijven zoals ze zijn.",
    ),
    (
        "Andere bestanden",
        "Naast dit bestand staan per tabel een Parquet-bestand (met de kolomtypen) en een CSV-bestand "
        "(UTF-8, komma als scheidingsteken, punt als decimaalteken), met de kolomnamen en codes zoals in de "
        "database; manifest.json beschrijft de export.",
    ),
]


def _source_words(spec: ExportTable | DerivedSheet, edition: int) -> str:
    """Where a sheet's rows come from, in Dutch: the table, and which of its rows."""
    if isinstance(spec, DerivedSheet):
        return f"{SCHEMA}.{spec.table}: de rijen van editie {edition} {spec.rows_words} ({spec.rows})"
    if spec.edition_column == "edition_to":
        return f"{SCHEMA}.{spec.table}: de veranderingen naar editie {edition}"
    return f"{SCHEMA}.{spec.table}: de rijen van editie {edition}"


def _flagged_note(data: EditionTables) -> tuple[str, str]:
    """How many wijken and buurten are flagged, counted as on the factsheets (presentation.flagged)."""
    rows = data.tables["monitor_below_gemeente"]
    found = flagged_areas(zip(*(rows.column(c).to_pylist() for c in ("gemeente_code", "area_level", "area_code", "indicator"))))
    sheet = next(spec.sheet for spec in export_tables() if spec.table == "monitor_below_gemeente")
    return (
        "Gesignaleerde wijken en buurten",
        f"{flagged_definition()} In editie {data.edition}: {flagged_phrase(found.total)}. Het tabblad '{sheet}' heeft "
        f"een rij per gebied en indicator ({found.rows} rijen); de kolom "
        f"'{labels.column_label('flagged')}' van 'Validatie wijken en buurten' telt per indicator.",
    )


def _lines(text: str, width: int) -> int:
    return max(1, len(textwrap.wrap(text, max(width - 3, 1))))


def _write_toelichting(book, data: EditionTables, sheets: list[Sheet], styles: dict, made_at: datetime) -> None:
    ws = book.add_worksheet(TOELICHTING)
    widths = [32, 90, 10, 40]
    for column, width in enumerate(widths):
        ws.set_column(column, column, width)
    ws.write_string(0, 0, f"Monitor Sociale Veerkracht Noord-Brabant: tabellenboek editie {data.edition}", styles["title"])
    ws.set_row(0, 24)
    facts = [
        ("Editie", data.edition),
        ("Gepubliceerd op", _local(data.published_at)),
        ("Dagster-run van de publicatie", data.dagster_run_id),
        ("Tabellenboek gemaakt op", _local(made_at)),
    ]
    row = 2
    for key, value in facts:
        ws.write_string(row, 0, key, styles["bold"])
        ws.write(row, 1, value, styles["left"])
        row += 1
    row += 1
    ws.write_string(row, 0, "Tabbladen", styles["heading"])
    row += 1
    for column, heading in enumerate(["Tabblad", "Inhoud", "Rijen", "Tabel in de database"]):
        ws.write_string(row, column, heading, styles["header"])
    row += 1
    for sheet in sheets:
        where = _source_words(sheet.spec, data.edition)
        ws.write_url(row, 0, f"internal:'{sheet.spec.sheet}'!A1", styles["link"], string=sheet.spec.sheet)
        ws.write_string(row, 1, sheet.spec.description, styles["wrap"])
        ws.write_number(row, 2, len(sheet.frame), styles["count_top"])
        ws.write_string(row, 3, where, styles["wrap"])
        ws.set_row(row, LINE_HEIGHT * max(_lines(sheet.spec.description, widths[1]), _lines(where, widths[3])))
        row += 1
    row += 1
    ws.write_string(row, 0, "Zo lees je de cijfers", styles["heading"])
    row += 1
    for key, text in [*READING_NOTES, _flagged_note(data)]:
        ws.write_string(row, 0, key, styles["bold_top"])
        ws.write_string(row, 1, text, styles["wrap"])
        ws.set_row(row, LINE_HEIGHT * _lines(text, widths[1]))
        row += 1
    row += 1
    ws.write_string(row, 0, "Indicatoren", styles["heading"])
    row += 1
    ws.write_string(row, 0, f"{labels.column_label('indicator')} (code)", styles["header"])
    ws.write_string(row, 1, labels.column_label("indicator_label"), styles["header"])
    ws.write_string(row, 2, labels.column_label("indicator_unit"), styles["header"])
    row += 1
    for code, label in labels.indicator_labels().items():
        ws.write_string(row, 0, code)
        ws.write_string(row, 1, label)
        ws.write_string(row, 2, labels.indicator_unit(code))
        row += 1
    _print_setup(ws, landscape=False)
    ws.activate()


def _styles(book) -> dict:
    styles = {
        "header": book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1, "bg_color": "#DDEBF7"}),
        "suppressed": book.add_format({"italic": True, "font_color": "#7F7F7F", "align": "right"}),
        "note": book.add_format({"italic": True, "font_color": "#7F7F7F"}),
        "title": book.add_format({"bold": True, "font_size": 14}),
        "heading": book.add_format({"bold": True, "font_size": 12}),
        "bold": book.add_format({"bold": True}),
        "bold_top": book.add_format({"bold": True, "valign": "top"}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "left": book.add_format({"align": "left"}),
        YES_NO_CELL: book.add_format({"align": "center"}),
        "link": book.add_format({"font_color": "blue", "underline": 1, "valign": "top"}),
        "count_top": book.add_format({"num_format": COUNT, "valign": "top"}),
    }
    for number_format in {YEAR, COUNT, ESTIMATE, SHARE, PRECISE}:
        styles[number_format] = book.add_format({"num_format": number_format})
    return styles


def write_workbook(data: EditionTables, path: Path, progress: Callable[[str], None] = print) -> dict[str, int]:
    """The xlsx of an edition at `path`; returns rows per sheet."""
    context = _context(data.tables)
    sheets = [
        spec.build(spec, data.tables) if isinstance(spec, DerivedSheet) else build_sheet(spec, data.tables[spec.table], context)
        for spec in workbook_sheets()
    ]
    made_at = datetime.now(UTC)
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    book = xlsxwriter.Workbook(str(path), options)
    try:
        book.set_properties(
            {
                "title": f"Monitor Sociale Veerkracht Noord-Brabant, tabellenboek {data.edition}",
                "subject": f"Gepubliceerde cijfers van editie {data.edition}",
                "company": "Provincie Noord-Brabant",
                "comments": f"Publicatie door Dagster-run {data.dagster_run_id}",
            }
        )
        styles = _styles(book)
        _write_toelichting(book, data, sheets, styles, made_at)
        for sheet in sheets:
            _write_data_sheet(book, sheet, styles)
            progress(f"tabellenboek {data.edition}: sheet {sheet.spec.sheet} {len(sheet.frame):,} rows")
    except BaseException:
        with contextlib.suppress(Exception):
            book.close()  # the half-written file goes with its build folder
        raise
    book.close()
    return {sheet.spec.sheet: len(sheet.frame) for sheet in sheets}


# ---------------------------------------------------------------- files and the folder swap


def _write_table_files(folder: Path, table: str, rows: pa.Table, data: EditionTables) -> None:
    provenance = {
        b"monitor.table": f"{SCHEMA}.{table}".encode(),
        b"monitor.edition": str(data.edition).encode(),
        b"monitor.published_at": data.published_at.isoformat().encode(),
        b"monitor.dagster_run_id": data.dagster_run_id.encode(),
    }
    pq.write_table(rows.replace_schema_metadata({**(rows.schema.metadata or {}), **provenance}), folder / f"{table}.parquet")
    pa_csv.write_csv(
        rows, folder / f"{table}.csv", pa_csv.WriteOptions(include_header=True, delimiter=",", quoting_style="needed")
    )


STALE_AFTER = 6 * 3600  # seconds: a build folder this old belongs to an export that was killed


def _building_prefix(out_dir: Path) -> str:
    return f".{out_dir.name}.building-"


def _remove_stale_builds(out_dir: Path) -> None:
    """Hidden build folders left by an export that was killed (a failed one removes its own)."""
    for folder in out_dir.parent.glob(f"{_building_prefix(out_dir)}*"):
        if time.time() - folder.stat().st_mtime > STALE_AFTER:
            shutil.rmtree(folder, ignore_errors=True)


def write_export(data: EditionTables, out_dir: Path, progress: Callable[[str], None] = print) -> ExportSummary:
    """Write the export of `data` to `out_dir` (replacing a previous one as a whole)."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    for spec in export_tables():
        refuse_respondent_columns(spec.table, data.tables[spec.table].column_names)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_builds(out_dir)
        building = Path(tempfile.mkdtemp(prefix=f"{_building_prefix(out_dir)}", dir=out_dir.parent))
    except OSError as error:
        raise ExportError(f"cannot write the export of edition {data.edition} beside {out_dir}: {error}") from error
    try:
        building.chmod(0o755)  # mkdtemp makes it private; the export is for readers
        write_workbook(data, building / workbook_name(data.edition), progress)
        rows = {}
        for spec in export_tables():
            table = data.tables[spec.table]
            _write_table_files(building, spec.table, table, data)
            rows[spec.table] = table.num_rows
        progress(f"tabellenboek {data.edition}: Parquet and CSV of {len(rows)} tables")
        files = {p.name: p.stat().st_size for p in sorted(building.iterdir())}
        manifest = {
            "edition": data.edition,
            "published_at": data.published_at.isoformat(),
            "dagster_run_id": data.dagster_run_id,
            "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "tables": {
                spec.table: {"rows": rows[spec.table], "sheet": spec.sheet, "edition_column": spec.edition_column}
                for spec in export_tables()
            },
            "derived_sheets": {
                spec.sheet: {"table": spec.table, "rows": spec.rows} for spec in derived_sheets()
            },
            "files": files,
            "csv": {"encoding": "utf-8", "delimiter": ",", "decimal": ".", "null": ""},
        }
        (building / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        files["manifest.json"] = (building / "manifest.json").stat().st_size
        replace_folder(building, out_dir)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    summary = ExportSummary(
        data.edition, out_dir, files, rows, {s.table: s.sheet for s in export_tables()},
        data.published_at, data.dagster_run_id, seconds,
    )
    progress(
        f"tabellenboek {data.edition}: {len(files)} files, {summary.total_bytes / 1e6:.1f} MB in {out_dir} "
        f"({seconds:.1f} s)"
    )
    return summary


def write_tabellenboek(conn, edition: int, out_dir: Path, progress: Callable[[str], None] = print) -> ExportSummary:
    """Read the published tables of `edition` from the open DuckDB connection and write the
    tabellenboek (xlsx), Parquet, CSV and manifest.json to `out_dir`, atomically."""
    started = time.perf_counter()
    data = read_edition(conn, edition)
    progress(
        f"tabellenboek {edition}: read {sum(t.num_rows for t in data.tables.values()):,} rows of "
        f"{len(data.tables)} tables ({time.perf_counter() - started:.1f} s)"
    )
    summary = write_export(data, out_dir, progress)
    return replace(summary, seconds=time.perf_counter() - started)
