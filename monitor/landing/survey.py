"""Read one edition's survey file into a frame typed by the codebook.

Parsing is strict: a value that is not of the codebook type (e.g. `abc` in `age`) refuses the
file here, naming the column, the rows and the values. Whether parsed values are *valid*
(codes, ranges, uniqueness, layout) is the raw Great Expectations suite's job, so that every
contract violation is reported together with its counts.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.codebook import Codebook, load_codebook
from monitor.landing.text import decode_utf8

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


def _delimiter(path: Path, header: str) -> str:
    if header.count(";") == header.count(",") == 0 and "\t" in header:
        raise SurveyFileError(
            f"{path}: line 1 (the header) is separated by tabs; expected a comma- or semicolon-separated "
            "CSV file: export the survey again as CSV"
        )
    return ";" if header.count(";") > header.count(",") else ","


def _not_utf8(path: Path, data: bytes) -> None:
    """Refuse a file that is not UTF-8, naming the lines and columns of the bytes that are not
    (a latin-1 or Windows-1252 export writes `ë` as the single byte 0xeb)."""
    try:
        data.decode("utf-8-sig")
        return
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    header = lines[0].decode("utf-8", errors="replace").lstrip("\ufeff")
    delimiter = ";" if header.count(";") > header.count(",") else ","
    names = [n.strip().lower() for n in header.split(delimiter)]
    bad = []
    for number, line in enumerate(lines, start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as err:
            field_index = line[: err.start].count(delimiter.encode())
            column = names[field_index] if field_index < len(names) else f"field {field_index + 1}"
            bad.append((number, column, line[err.start]))
    shown = "; ".join(
        f"line {n} column {c} (byte 0x{b:02x}, {bytes([b]).decode('cp1252', errors='replace')!r} in latin-1/Windows-1252)"
        for n, c, b in bad[:MAX_EXAMPLES]
    )
    raise SurveyFileError(
        f"{path}: not UTF-8 text: {len(bad)} line(s) hold bytes that are not UTF-8, e.g. {shown}; "
        "expected a survey file saved as UTF-8: save it again as UTF-8"
    )


def _check_field_counts(path: Path, text: str, delimiter: str) -> None:
    """Every record has as many fields as the header; a short last record means a cut-off file
    (pandas would fill the missing fields with empty values without a word)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
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


def _read_csv(path: Path) -> pd.DataFrame:
    data = path.read_bytes()
    if data.strip() and b"\x00" not in data[:4096]:
        _not_utf8(path, data)
    text = decode_utf8(path, SurveyFileError, "a survey file per the codebook (a header and one row per respondent)")
    delimiter = _delimiter(path, text.splitlines()[0])
    _check_field_counts(path, text, delimiter)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, on_bad_lines="error"
        )
    except (pd.errors.ParserError, csv.Error) as err:
        raise SurveyFileError(f"{path}: not a well-formed CSV ({err})") from None
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for broken files
        raise SurveyFileError(f"{path}: not a readable Parquet file ({err})") from None
    return frame.astype(object).where(frame.notna(), "").astype(str)


def _read_sav(path: Path) -> tuple[pd.DataFrame, dict[str, dict]]:
    import pyreadstat  # only needed for SPSS deliveries

    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as err:
        raise SurveyFileError(f"{path}: not a readable SPSS .sav file ({err})") from None
    as_text = frame.astype(object).where(frame.notna(), "")
    # repr keeps every digit of a float (e.g. design weights); whole numbers lose their ".0"
    as_text = as_text.map(lambda v: (str(int(v)) if v.is_integer() else repr(v)) if isinstance(v, float) else str(v))
    labels = {name.lower(): dict(vl) for name, vl in (meta.variable_value_labels or {}).items()}
    return as_text, labels


def read_raw_text(path: Path) -> tuple[pd.DataFrame, dict[str, dict]]:
    """The file's cells as stripped strings (empty = missing), column names lower-cased."""
    suffix = path.suffix.lower()
    labels: dict[str, dict] = {}
    if path.stat().st_size == 0:
        raise SurveyFileError(
            f"{path}: the file is empty (0 bytes); expected a survey file per the codebook "
            "(a header and one row per respondent): deliver the file again"
        )
    if suffix == ".csv":
        frame = _read_csv(path)
    elif suffix == ".parquet":
        frame = _read_parquet(path)
    elif suffix == ".sav":
        frame, labels = _read_sav(path)
    else:
        raise SurveyFileError(f"{path}: unsupported survey file type {suffix!r}; expected .csv, .parquet or .sav")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        raise SurveyFileError(f"{path}: columns occur more than once (names are case-insensitive): {duplicated}")
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


def _describe_bad(path: Path, column: str, bad: pd.Series, expected: str) -> str:
    lines = (bad.index[:MAX_EXAMPLES] + HEADER_LINES + 1).tolist()
    values = bad.iloc[:MAX_EXAMPLES].tolist()
    return (
        f"column {column}: {len(bad)} row(s) are not {expected}, "
        f"e.g. line(s) {lines} with {values}"
    )


def _parse_column(path: Path, column: str, text: pd.Series, kind: str) -> tuple[pd.Series, str | None]:
    """Typed copy of one column and, if some values do not parse, what is wrong."""
    present = text != ""
    if kind == "string":
        return text.where(present, None).astype("string"), None
    numbers = pd.to_numeric(text.where(present, None), errors="coerce")
    unparsable = present & numbers.isna()
    if kind == "int":
        unparsable |= present & numbers.notna() & (numbers != np.floor(numbers))
        expected = "whole numbers"
        typed = numbers.astype("Float64").round().astype("Int64")
    else:
        expected = "numbers"
        typed = numbers.astype("Float64")
    problem = _describe_bad(path, column, text[unparsable], expected) if unparsable.any() else None
    return typed, problem


def load_survey(path: Path, edition: int, codebook: Codebook | None = None) -> SurveyLoad:
    """Read and type one survey file for `edition`, refusing it with a clear error when it
    lacks required columns or holds values that are not of the codebook type."""
    codebook = codebook or load_codebook()
    raw, labels = read_raw_text(path)
    conflicts = value_label_conflicts(labels, codebook, raw)
    if conflicts:
        raise SurveyFileError(
            f"{path}: the SPSS value labels differ from the codebook, so the codes would be read with another "
            f"meaning ({len(conflicts)} code(s)):\n  " + "\n  ".join(conflicts[:20])
            + "\nRecode the file to the codebook (monitor/codebook/survey_codebook.yaml) or have the codebook changed."
        )

    missing = [c for c in codebook.required_columns if c not in raw.columns]
    if missing:
        raise SurveyFileError(
            f"{path}: required column(s) missing: {missing}. "
            f"Found {len(raw.columns)} columns: {list(raw.columns)}"
        )

    typed: dict[str, pd.Series] = {}
    problems: list[str] = []
    defaulted = []
    for name in codebook.column_names:
        kind = codebook.column_type(name)
        if name not in raw.columns:  # optional column absent: use its documented default
            default = codebook.background_column(name).default
            typed[name] = pd.Series(default, index=raw.index, dtype="Float64")
            defaulted.append(name)
            continue
        typed[name], problem = _parse_column(path, name, raw[name], kind)
        if problem:
            problems.append(problem)
    if problems:
        raise SurveyFileError(f"{path}: values of the wrong type:\n  " + "\n  ".join(problems))

    extra = [c for c in raw.columns if c not in typed]
    frame = pd.DataFrame(typed)
    for name in extra:  # kept in the raw table, ignored downstream
        frame[name] = raw[name].where(raw[name] != "", None).astype("string")
    frame["_landing_edition"] = edition
    frame["_source_file"] = path.name
    frame["_source_row"] = (raw.index + HEADER_LINES + 1).astype("int64")
    return SurveyLoad(frame, path, extra, defaulted, labels)
