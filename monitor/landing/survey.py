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


def _read_csv(path: Path) -> pd.DataFrame:
    text = decode_utf8(path, SurveyFileError, "a survey file per the codebook (a header and one row per respondent)")
    header = text.splitlines()[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
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
