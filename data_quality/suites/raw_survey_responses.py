"""The raw survey suite, built from the codebook: one edition's rows of raw.survey_responses
against the contract of ../shared/spec/survey_codebook.md and the CBS layout of the edition."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from data_quality.expectations import Expect, column_type, in_set, not_null
from monitor.codebook import BackgroundColumn, Codebook

SUITE_NAME = "raw_survey_responses"
BUURT_GEMEENTE = "buurt_gemeente_code"  # derived for the check: GM + digits 3-6 of buurt_code


@dataclass(frozen=True)
class EditionLayout:
    """The Brabant gemeenten and buurten of an edition's CBS key figures."""

    edition: int
    gemeente_codes: list[str]
    buurt_codes: list[str]


def validation_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows plus the derived column the buurt-in-gemeente expectation compares."""
    frame = rows.copy()
    frame[BUURT_GEMEENTE] = "GM" + frame["buurt_code"].str.slice(2, 6)
    return frame


def _codes_meaning(name: str, labels: dict[int, str], missing: dict[int, str]) -> str:
    codes = ", ".join(f"{k} {v}" for k, v in {**labels, **missing}.items())
    return f"{name} holds a codebook code ({codes})"


def _background(col: BackgroundColumn) -> list[Expect]:
    specs = [column_type(col.name, col.type)]
    if col.required and not col.nullable:
        specs.append(not_null(col.name))
    if col.unique:
        specs.append(Expect("ExpectColumnValuesToBeUnique", f"{col.name} is unique within the edition", {"column": col.name}))
    if col.pattern:
        specs.append(Expect("ExpectColumnValuesToMatchRegex", f"{col.name} matches {col.pattern}", {"column": col.name, "regex": col.pattern}))
    if col.values:
        specs.append(in_set(col.name, sorted({*col.values, *col.missing}), _codes_meaning(col.name, col.values, col.missing)))
    if col.min is not None or col.max is not None:
        specs.append(Expect("ExpectColumnValuesToBeBetween", f"{col.name} between {col.min} and {col.max}", {"column": col.name, "min_value": col.min, "max_value": col.max}))
    if col.min_exclusive is not None:
        specs.append(Expect("ExpectColumnValuesToBeBetween", f"{col.name} > {col.min_exclusive}", {"column": col.name, "min_value": col.min_exclusive, "strict_min": True}))
    return specs


def build_suite(codebook: Codebook, layout: EditionLayout) -> list[Expect]:
    specs = [
        Expect(
            "ExpectTableColumnsToMatchSet",
            "every required codebook column is present",
            {"column_set": codebook.required_columns, "exact_match": False},
        ),
        Expect("ExpectTableRowCountToBeBetween", "at least one respondent", {"min_value": 1}),
    ]
    for col in codebook.background:
        specs += _background(col)
    for item in codebook.items:
        rs = item.response
        specs.append(column_type(item.name, "int"))
        specs.append(in_set(item.name, codebook.allowed_codes(item.name), _codes_meaning(item.name, rs.values, rs.missing)))
    specs += [
        in_set("edition", [layout.edition], f"edition equals the edition folder ({layout.edition})"),
        in_set(
            "gemeente_code",
            layout.gemeente_codes,
            f"gemeente_code is a Brabant gemeente in the CBS layout of {layout.edition} ({len(layout.gemeente_codes)} gemeenten)",
        ),
        in_set(
            "buurt_code",
            layout.buurt_codes,
            f"buurt_code is a buurt in the CBS layout of {layout.edition} ({len(layout.buurt_codes)} buurten) or empty",
        ),
        Expect(
            "ExpectColumnPairValuesToBeEqual",
            "buurt_code lies in gemeente_code (digits 3-6 of buurt_code equal the gemeente's; examples are (gemeente_code, gemeente of buurt_code))",
            {"column_A": "gemeente_code", "column_B": BUURT_GEMEENTE, "ignore_row_if": "either_value_is_missing"},
        ),
    ]
    return specs
