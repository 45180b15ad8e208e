"""Read one edition's survey file into a frame typed by the codebook.

Parsing is strict: a value that is not of the codebook type (e.g. `abc` in `age`) refuses the
file here, naming the column, the rows and the values. Whether parsed values are *valid*
(codes, ranges, uniqueness, layout) is the raw Great Expectations suite's job, so that every
contract violation is reported together with its counts.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.codebook import Codebook, load_codebook
from monitor.landing.identifiers import HiddenValues, hidden_values
from monitor.landing.text import SNIFF_BYTES, refuse_unreadable_start

MAX_EXAMPLES = 5
HEADER_LINES = 1  # line numbers in messages count the header, as an editor shows them


class SurveyFileError(ValueError):
    """The survey file cannot be read as the codebook requires; the message says why."""


@dataclass
class SurveyLoad:
    frame: pd.DataFrame
    source_file: Path
    extra_columns: list[str] = field(default_factory=list)
    defaulted_columns: list[str] = field(default_factory=list)
    value_labels: dict[str, dict] = field(default_factory=dict)


EXPECTED = "a survey file per the codebook (a header and one row per respondent)"
# A survey header is a few hundred bytes (a few thousand with extra columns). A first line longer
# than this is no header (e.g. one giant line): refused before the rest of the file is read.
MAX_HEADER_BYTES = 1 << 20


def _delimiter(path: Path, header: str) -> str:
    if header.count(";") == header.count(",") == 0 and "\t" in header:
        raise SurveyFileError(
            f"{path}: line 1 (the header) is separated by tabs; expected a comma- or semicolon-separated "
            "CSV file: export the survey again as CSV"
        )
    return ";" if header.count(";") > header.count(",") else ","


def _header_line(path: Path) -> bytes:
    """The first line of the file, read without reading the rest; refused when the start of the
    file is no UTF-8 text (UTF-16, binary) or the line is too long to be a header."""
    with path.open("rb") as handle:
        refuse_unreadable_start(path, handle.read(SNIFF_BYTES), SurveyFileError, EXPECTED)
        handle.seek(0)
        line = handle.readline(MAX_HEADER_BYTES + 1)
    if len(line) > MAX_HEADER_BYTES:
        raise SurveyFileError(
            f"{path}: line 1 (the header) is longer than {MAX_HEADER_BYTES:,} bytes without a line end, so it is "
            f"no header of column names; expected {EXPECTED}: deliver the survey file as CSV with one line per respondent"
        )
    return line


def _not_utf8(path: Path, delimiter: str, names: list[str]) -> None:
    """Refuse a file that is not UTF-8, naming the lines and columns of the bytes that are not
    (a latin-1 or Windows-1252 export writes `ë` as the single byte 0xeb). Read line by line: the
    whole file is never in memory."""
    bad, count = [], 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as err:
                count += 1
                if len(bad) < MAX_EXAMPLES:
                    field_index = line[: err.start].count(delimiter.encode())
                    column = names[field_index] if field_index < len(names) else f"field {field_index + 1}"
                    bad.append((number, column, line[err.start]))
    if not count:
        return
    shown = "; ".join(
        f"line {n} column {c} (byte 0x{b:02x}, {bytes([b]).decode('cp1252', errors='replace')!r} in latin-1/Windows-1252)"
        for n, c, b in bad
    )
    raise SurveyFileError(
        f"{path}: not UTF-8 text: {count} line(s) hold bytes that are not UTF-8, e.g. {shown}; "
        "expected a survey file saved as UTF-8: save it again as UTF-8"
    )


def _check_field_counts(path: Path, delimiter: str) -> None:
    """Every record has as many fields as the header; a short last record means a cut-off file
    (pandas would fill the missing fields with empty values without a word). Read record by
    record from the file."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        start = 1
        try:
            header = next(reader)
            wrong, start = [], reader.line_num + 1
            for fields in reader:
                if fields and len(fields) != len(header):
                    wrong.append((start, len(fields)))
                start = reader.line_num + 1
        except csv.Error as err:
            raise SurveyFileError(f"{path}: not a well-formed CSV near line {start} ({err})") from None
    if not wrong:
        return
    last_line = start - 1
    line, count = wrong[-1]
    if len(wrong) == 1 and line == last_line and count < len(header):
        names = [h.strip().lower() for h in header]
        raise SurveyFileError(
            f"{path}: line {line} (the last) has {count} of the header's {len(header)} fields: the file is cut off "
            f"(truncated) after column {names[count - 1]}; the {len(header) - count} column(s) {names[count]} .. "
            f"{names[-1]} are missing on that line; deliver the complete file"
        )
    raise SurveyFileError(
        f"{path}: {len(wrong)} line(s) do not have the header's {len(header)} fields, e.g. line(s) "
        f"{[n for n, _ in wrong[:MAX_EXAMPLES]]} with {[c for _, c in wrong[:MAX_EXAMPLES]]} fields; "
        "a value with the delimiter in it must be quoted"
    )


def _and(items) -> str:
    items = [str(i) for i in items]
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def check_header(path: Path, names: list[str], codebook: Codebook) -> None:
    """The header contract, checked on the column names alone (before any value is read, and
    never showing one): every name once (compared without case and surrounding spaces, as the
    loader reads them), every required codebook column present."""
    folded = [str(n).strip().lower() for n in names]
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(folded, start=1):
        positions.setdefault(name, []).append(position)
    twice = {name: where for name, where in positions.items() if len(where) > 1}
    missing = [c for c in codebook.required_columns if c not in folded]
    if twice:
        listed = "; ".join(
            f"column {name} at positions {_and(where)} (as {_and([repr(names[p - 1]) for p in where])})"
            for name, where in twice.items()
        )
        lacking = f"; the required column(s) {missing} are missing, perhaps one copy should have that name" if missing else ""
        raise SurveyFileError(
            f"{path}: the header names {len(twice)} column(s) more than once (positions count from 1 at the left; "
            f"names are compared without case and spaces): {listed}{lacking}. Only one copy could be read: give every "
            "column its own codebook name (or remove the extra copy) and deliver the file again"
        )
    if missing:
        raise SurveyFileError(
            f"{path}: required column(s) missing: {missing}. Found {len(folded)} columns: {folded}. "
            f"Deliver the file with every required column of the codebook (monitor/codebook/survey_codebook.yaml)"
        )


def _read_csv(path: Path, codebook: Codebook) -> pd.DataFrame:
    """The header first (refused on its own when it breaks the contract), then the whole-file
    checks line by line, and only then the table: a 200 MB file that is no survey is refused
    without being read."""
    lines = _header_line(path).decode("utf-8-sig", errors="replace").splitlines()  # \n, \r\n or \r
    header = lines[0] if lines else ""
    delimiter = _delimiter(path, header)
    names = next(csv.reader([header], delimiter=delimiter), [])
    check_header(path, names, codebook)
    _not_utf8(path, delimiter, [n.strip().lower() for n in names])
    _check_field_counts(path, delimiter)
    try:
        frame = pd.read_csv(
            path, sep=delimiter, dtype=str, keep_default_na=False, on_bad_lines="error", encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, csv.Error) as err:
        raise SurveyFileError(f"{path}: not a well-formed CSV ({err})") from None
    return frame


def _read_parquet(path: Path, codebook: Codebook) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except Exception as err:  # pyarrow raises several types for broken files
        raise SurveyFileError(f"{path}: not a readable Parquet file ({err})") from None
    check_header(path, names, codebook)
    try:
        frame = pd.read_parquet(path)
    except Exception as err:
        raise SurveyFileError(f"{path}: not a readable Parquet file ({err})") from None
    return frame.astype(object).where(frame.notna(), "").astype(str)


def _read_sav(path: Path, codebook: Codebook) -> tuple[pd.DataFrame, dict[str, dict]]:
    import pyreadstat  # only needed for SPSS deliveries

    try:
        _, header = pyreadstat.read_sav(str(path), metadataonly=True)
        check_header(path, header.column_names, codebook)
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except SurveyFileError:
        raise
    except Exception as err:
        raise SurveyFileError(f"{path}: not a readable SPSS .sav file ({err})") from None
    as_text = frame.astype(object).where(frame.notna(), "")
    # repr keeps every digit of a float (e.g. design weights); whole numbers lose their ".0"
    as_text = as_text.map(lambda v: (str(int(v)) if v.is_integer() else repr(v)) if isinstance(v, float) else str(v))
    labels = {name.lower(): dict(vl) for name, vl in (meta.variable_value_labels or {}).items()}
    return as_text, labels


def read_raw_text(path: Path, codebook: Codebook | None = None) -> tuple[pd.DataFrame, dict[str, dict]]:
    """The file's cells as stripped strings (empty = missing), column names lower-cased; refused
    when its header breaks the codebook's header contract (`check_header`)."""
    codebook = codebook or load_codebook()
    suffix = path.suffix.lower()
    labels: dict[str, dict] = {}
    if path.stat().st_size == 0:
        raise SurveyFileError(
            f"{path}: the file is empty (0 bytes); expected {EXPECTED}: deliver the file again"
        )
    if suffix == ".csv":
        frame = _read_csv(path, codebook)
    elif suffix == ".parquet":
        frame = _read_parquet(path, codebook)
    elif suffix == ".sav":
        frame, labels = _read_sav(path, codebook)
    else:
        raise SurveyFileError(f"{path}: unsupported survey file type {suffix!r}; expected .csv, .parquet or .sav")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if frame.empty:
        raise SurveyFileError(f"{path}: header only, no respondent rows")
    return frame.apply(lambda col: col.astype(str).str.strip()), labels


def _normalised_label(label: object) -> str:
    return " ".join(str(label).split()).casefold()


def value_label_conflicts(labels: dict[str, dict], codebook: Codebook, raw: pd.DataFrame | None = None) -> list[str]:
    """Codes whose SPSS value label in the delivery differs from the codebook's label (case and
    spacing ignored), e.g. sex 1 labelled 'vrouw' where the codebook says 'man': the same code
    would mean something else. Codes the codebook does not know are left to the raw suite."""
    conflicts = []
    for column, file_labels in sorted(labels.items()):
        if column not in codebook.column_names or codebook.column_type(column) != "int":
            continue
        if column in codebook.item_names:
            response = codebook.item(column).response
            expected = {**response.values, **response.missing}
        else:
            background = codebook.background_column(column)
            expected = {**background.values, **background.missing}
        for code, label in sorted(file_labels.items(), key=lambda kv: float(kv[0])):
            code_int = int(float(code)) if float(code).is_integer() else None
            if code_int in expected and _normalised_label(label) != _normalised_label(expected[code_int]):
                held = "" if raw is None or column not in raw else f" ({int((raw[column] == str(code_int)).sum())} row(s) hold it)"
                conflicts.append(
                    f"column {column}: code {code_int} is labelled {str(label)!r} in the file "
                    f"but {expected[code_int]!r} in the codebook{held}"
                )
    return conflicts


def _describe_bad(column: str, bad: pd.Series, expected: str, hidden: HiddenValues) -> str:
    """One line per column: count, lines and the first values, unless the values may not be
    shown (identifiers, or a file whose header does not fit its content): then their count."""
    lines = (bad.index[:MAX_EXAMPLES] + HEADER_LINES + 1).tolist()
    reason = hidden.reason([column])
    if reason:
        shown = f"({bad.nunique()} distinct; {reason})"
    else:
        shown = f"with {bad.iloc[:MAX_EXAMPLES].tolist()}"
    return f"column {column}: {len(bad)} row(s) are not {expected}, e.g. line(s) {lines} {shown}"


def _to_numbers(text: pd.Series) -> pd.Series:
    """`pd.to_numeric(text, errors="coerce")`, fast for a column whose values all parse: Arrow's
    cast accepts a subset of what pandas accepts (no spaces around a number, for one), so when it
    succeeds pandas would give the same numbers; when any value fails, pandas decides as always.
    (pandas took 4 of the 8 s a national survey of 500,000 respondents took to load.)"""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        numbers = pc.cast(pa.array(text, type=pa.string(), from_pandas=True), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.to_numeric(text, errors="coerce")
    return pd.Series(numbers.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")


def _unparsable(text: pd.Series, kind: str) -> tuple[pd.Series, pd.Series, str]:
    """Typed copy of one column, which present values do not parse, and the type in words."""
    present = text != ""
    if kind == "string":
        return text.where(present, None).astype("string"), present & False, "text"
    numbers = _to_numbers(text.where(present, None))
    unparsable = present & numbers.isna()
    if kind == "int":
        unparsable |= present & numbers.notna() & (numbers != np.floor(numbers))
        return numbers.astype("Float64").round().astype("Int64"), unparsable, "whole numbers"
    return numbers.astype("Float64"), unparsable, "numbers"


def load_survey(path: Path, edition: int, codebook: Codebook | None = None) -> SurveyLoad:
    """Read and type one survey file for `edition`, refusing it with a clear error when its
    header breaks the contract (duplicate or missing columns) or it holds values that are not of
    the codebook type. Messages never show values that look like respondent ids
    (monitor/landing/identifiers.py)."""
    codebook = codebook or load_codebook()
    raw, labels = read_raw_text(path, codebook)
    conflicts = value_label_conflicts(labels, codebook, raw)
    if conflicts:
        raise SurveyFileError(
            f"{path}: the SPSS value labels differ from the codebook, so the codes would be read with another "
            f"meaning ({len(conflicts)} code(s)):\n  " + "\n  ".join(conflicts[:20])
            + "\nRecode the file to the codebook (monitor/codebook/survey_codebook.yaml) or have the codebook changed."
        )

    typed: dict[str, pd.Series] = {}
    bad: list[tuple[str, pd.Series, str]] = []
    defaulted = []
    for name in codebook.column_names:
        if name not in raw.columns:  # optional column absent: use its documented default
            default = codebook.background_column(name).default
            typed[name] = pd.Series(default, index=raw.index, dtype="Float64")
            defaulted.append(name)
            continue
        typed[name], unparsable, expected = _unparsable(raw[name], codebook.column_type(name))
        if unparsable.any():
            bad.append((name, raw[name][unparsable], expected))
    if bad:
        hidden = hidden_values(raw, codebook)  # only now: it reads every column
        problems = [_describe_bad(name, values, expected, hidden) for name, values, expected in bad]
        advice = f"\n{hidden.advice}" if hidden.advice else ""
        raise SurveyFileError(f"{path}: values of the wrong type:\n  " + "\n  ".join(problems) + advice)

    extra = [c for c in raw.columns if c not in typed]
    frame = pd.DataFrame(typed)
    for name in extra:  # kept in the raw table, ignored downstream
        frame[name] = raw[name].where(raw[name] != "", None).astype("string")
    frame["_landing_edition"] = edition
    frame["_source_file"] = path.name
    frame["_source_row"] = (raw.index + HEADER_LINES + 1).astype("int64")
    return SurveyLoad(frame, path, extra, defaulted, labels)
