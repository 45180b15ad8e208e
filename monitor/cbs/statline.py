"""The untyped CBS StatLine CSV formats of the Kerncijfers wijken en buurten.

CBS delivers two shapes (see the real exports in the shared test data), both UTF-8 with a BOM,
keys numbered per table (`AantalInwoners_5`), region codes and the region kind padded to 10,
the gemeente name padded to 40 and `.` right-aligned in 8 characters for secret or unknown
values:
- the OData export (2019 Amsterdam file; `write_statline_csv`): `;` separated, every header key
  and every value quoted, numbers right-aligned in 8 characters (wider when longer);
- the StatLine export (2017 file; `write_statline_comma_csv`): `,` separated, nothing quoted
  (a field is quoted only where it holds a comma), numbers as short as they go (`26`, `25.7`).
The demo generator writes these shapes so that the pipeline's loader is exercised on the real
quirks, not on a tidy CSV.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from monitor.cbs import KWB_VARIABLES_PATH, kwb_spec

ENCODING = "utf-8-sig"  # UTF-8 with a byte order mark, as StatLine exports
DELIMITER = ";"
LINE_TERMINATOR = "\n"
MISSING = "."  # secret (too few inhabitants) or unknown
VALUE_WIDTH = 8
CODE_WIDTH = 10
NAME_WIDTH = 40
SOORT_REGIO = {"GM": "Gemeente", "WK": "Wijk", "BU": "Buurt"}  # code prefix -> SoortRegio label


@dataclass(frozen=True)
class StatLineShape:
    """How one kind of CBS export separates, quotes and pads its cells."""

    delimiter: str
    quoting: int
    pad_numbers: bool  # right-aligned in VALUE_WIDTH, or as short as they go


ODATA_SHAPE = StatLineShape(DELIMITER, csv.QUOTE_ALL, pad_numbers=True)  # the 2019 OData export
EXPORT_2017_SHAPE = StatLineShape(",", csv.QUOTE_MINIMAL, pad_numbers=False)  # the 2017 StatLine export

# 2019 (84583NED) inserted six education/labour columns at numbers 64-69; in earlier tables
# every later key is six lower.
INSERTED_2019_FROM = 64
INSERTED_2019_COUNT = 6
IDENTIFICATION_COLUMNS = (
    "ID",
    "WijkenEnBuurten",
    "Gemeentenaam",
    "SoortRegio",
    "Codering",
    "IndelingswijzigingWijkenEnBuurten",
)


@cache
def kwb_key_numbers() -> dict[str, int | None]:
    """Base name -> key number in the 2019 table, identification columns included."""
    spec = kwb_spec()
    numbers = {c["name"]: c["number"] for c in spec["identification"]}
    numbers.update({v["name"]: v["number_2019"] for v in spec["variables"]})
    return numbers


def statline_key(base_name: str, year: int) -> str:
    """The StatLine column key of a variable in the table of `year`, e.g.
    `statline_key("GemiddeldInkomenPerInwoner", 2018) == "GemiddeldInkomenPerInwoner_66"`."""
    numbers = kwb_key_numbers()
    if base_name not in numbers:
        raise KeyError(f"{base_name} is not a variable of {KWB_VARIABLES_PATH.name}")
    number = numbers[base_name]
    if number is None:  # ID and WijkenEnBuurten carry no number
        return base_name
    if year < 2019 and number >= INSERTED_2019_FROM + INSERTED_2019_COUNT:
        number -= INSERTED_2019_COUNT
    return f"{base_name}_{number}"


def format_number(value, integer: bool, pad: bool = True) -> str:
    """A StatLine value: `.` (right-aligned in VALUE_WIDTH in both shapes) when missing,
    integers without decimals, other numbers with one decimal; right-aligned when `pad`, else
    as short as it goes, as the 2017 export writes them (`26` for 26.0, `25.7`)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return MISSING.rjust(VALUE_WIDTH)
    if integer:
        text = str(int(value))
    else:
        text = f"{float(value):.1f}"
        text = text if pad else text.removesuffix(".0")
    return text.rjust(VALUE_WIDTH) if pad else text


def _is_integer_column(series: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)


def _identification_cells(row) -> list[str]:
    code = str(row.Codering)
    return [
        str(row.ID),
        code.ljust(CODE_WIDTH),  # the untyped API gives the code as the row key
        str(row.Gemeentenaam).ljust(NAME_WIDTH),
        str(row.SoortRegio).ljust(CODE_WIDTH),
        code.ljust(CODE_WIDTH),
        # CBS leaves the layout-change flag of gemeente rows empty (`.`), unpadded like ID
        MISSING if pd.isna(row.IndelingswijzigingWijkenEnBuurten) else str(row.IndelingswijzigingWijkenEnBuurten),
    ]


def statline_cells(frame: pd.DataFrame, year: int, shape: StatLineShape = ODATA_SHAPE) -> tuple[list[str], list[list[str]]]:
    """Header keys and the text cells of every row of `frame` (identification columns +
    numeric variables, by base name) as a StatLine CSV of the table of `year` writes them.
    Integer columns are written without decimals, float columns with one decimal, missing
    values as `.`."""
    absent = [c for c in IDENTIFICATION_COLUMNS if c not in frame.columns]
    if absent:
        raise ValueError(f"cannot write a StatLine CSV: identification columns missing: {absent}")
    variables = [c for c in frame.columns if c not in IDENTIFICATION_COLUMNS]
    header = [statline_key(c, year) for c in (*IDENTIFICATION_COLUMNS, *variables)]
    formatted = {
        name: [format_number(v, _is_integer_column(frame[name]), shape.pad_numbers) for v in frame[name].tolist()]
        for name in variables
    }
    rows = [
        _identification_cells(row) + [formatted[n][position] for n in variables]
        for position, row in enumerate(frame[list(IDENTIFICATION_COLUMNS)].itertuples(index=False))
    ]
    return header, rows


def write_statline_cells(header: list[str], rows: list[list[str]], path: Path,
                         shape: StatLineShape = ODATA_SHAPE) -> Path:
    """Write header and rows of text cells (from `statline_cells`) in `shape`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=ENCODING, newline="") as handle:
        writer = csv.writer(handle, delimiter=shape.delimiter, quoting=shape.quoting, lineterminator=LINE_TERMINATOR)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_statline_csv(frame: pd.DataFrame, path: Path, year: int) -> Path:
    """Write `frame` as the OData export of the table of `year` (`;`, everything quoted,
    numbers right-aligned); see `statline_cells`."""
    header, rows = statline_cells(frame, year, ODATA_SHAPE)
    return write_statline_cells(header, rows, path, ODATA_SHAPE)


def write_statline_comma_csv(frame: pd.DataFrame, path: Path, year: int) -> Path:
    """Write `frame` as the StatLine export of the table of `year` is shaped (the real 2017
    file: `,`, unquoted, codes and names padded, numbers unpadded); see `statline_cells`."""
    header, rows = statline_cells(frame, year, EXPORT_2017_SHAPE)
    return write_statline_cells(header, rows, path, EXPORT_2017_SHAPE)
