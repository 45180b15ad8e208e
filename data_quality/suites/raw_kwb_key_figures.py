"""The raw CBS suites: one edition's CBS key figures (raw.kwb_key_figures, raw.kwb_columns)
against what the pipeline needs of them (monitor/cbs/kwb_variables.yaml).

Three frames are validated, each small and each answering one question:
- the rows: codes well-formed and unique, region types known;
- the columns (raw.kwb_columns): every variable a stage requires is in the delivery (or the
  supplement), named when missing;
- the gemeenten (`gemeente_coverage`): the file is one of Noord-Brabant at all, and (a check
  on the survey, whose respondents decide it) every Brabant gemeente of the edition that has
  respondents has usable adult totals (the weighting margins). A gemeente without usable figures and without respondents does not
  block: it is published with every figure suppressed, and the warning check
  raw_kwb_unusable_rows lists it with the rows that could not be read.
"""

from __future__ import annotations

import pandas as pd

from data_quality.expectations import Expect, in_set

SUITE_NAME = "raw_kwb_key_figures"
REGION_CODE = r"^(?:NL[0-9]{2}|GM[0-9]{4}|WK[0-9]{6}|BU[0-9]{8})$"
REQUIRING_STAGES = ("layout", "weighting")  # required_for values that block when absent


def build_suite(edition: int) -> list[Expect]:
    """The rows of the delivery."""
    return [
        Expect("ExpectColumnValuesToNotBeNull", "region_code is never empty", {"column": "region_code"}),
        Expect("ExpectColumnValuesToBeUnique", "region_code is unique", {"column": "region_code"}),
        Expect("ExpectColumnValuesToMatchRegex", "region_code is NL##, GM####, WK###### or BU########", {"column": "region_code", "regex": REGION_CODE}),
        in_set("region_type", ["Land", "Gemeente", "Wijk", "Buurt"], "region_type is Land, Gemeente, Wijk or Buurt"),
        Expect("ExpectColumnValuesToBeBetween", "AantalInwoners >= 0", {"column": "AantalInwoners", "min_value": 0}),
    ]


def build_columns_suite(columns: pd.DataFrame) -> list[Expect]:
    """raw.kwb_columns of the edition: the variables a stage cannot do without are there."""
    usable = columns["cbs_key"].notna() & (columns["regions_with_value"] > 0)
    present = columns.loc[usable, "variable"].tolist()
    # named in the meaning itself: every missing one, not a few examples
    missing = columns.loc[columns["required"] & ~usable, "variable"].tolist()
    return [
        in_set(
            "variable",
            present,
            "every CBS variable that the layout or the weighting requires (kwb_variables.yaml, required_for) "
            f"is in the delivery or in kwb_supplement.csv, with values (missing: {', '.join(missing) or 'none'})",
            row_condition="required",
            condition_parser="pandas",
        )
    ]


def columns_frame(columns: pd.DataFrame) -> pd.DataFrame:
    """raw.kwb_columns with `required`: whether a blocking stage needs the variable."""
    needed = columns["required_for"].fillna("").str.split(",").map(lambda stages: bool(set(stages) & set(REQUIRING_STAGES)))
    return columns.assign(required=needed)


def gemeente_coverage(
    kwb_rows: pd.DataFrame, layout: pd.DataFrame, respondents: pd.Series, weighting_variables: list[str]
) -> pd.DataFrame:
    """One row per Brabant gemeente of the edition (`layout`: gemeente_code, gemeente_name):
    whether the delivery has its gemeente row, whether that row has usable adult totals
    (inhabitants > 0 and every weighting variable known), and its number of respondents."""
    gemeente_rows = kwb_rows[kwb_rows["region_type"] == "Gemeente"].set_index("region_code")
    known = gemeente_rows[weighting_variables].notna().all(axis=1) & (gemeente_rows["AantalInwoners"] > 0)
    codes = layout["gemeente_code"]
    return pd.DataFrame(
        {
            "gemeente_code": codes.to_numpy(),
            "gemeente_name": layout["gemeente_name"].to_numpy(),
            "in_file": codes.isin(gemeente_rows.index).astype("int64").to_numpy(),  # 0/1: GX takes its max
            "usable": codes.map(known).fillna(False).astype(bool).to_numpy(),
            "respondents": codes.map(respondents).fillna(0).astype("int64").to_numpy(),
        }
    )


def build_layout_suite(edition: int) -> list[Expect]:
    """The gemeenten of the delivery: it is an export of Noord-Brabant's gemeenten at all."""
    return [
        Expect(
            "ExpectColumnMaxToBeBetween",
            f"the file holds key figures of Noord-Brabant gemeenten of the {edition} layout "
            "(none at all: the export of another region or another year?)",
            {"column": "in_file", "min_value": 1},
        ),
    ]


def build_margins_suite(edition: int, coverage: pd.DataFrame) -> list[Expect]:
    """The gemeenten with respondents: each can be weighted (checked on the survey, whose
    respondents decide which gemeenten need margins)."""
    usable = coverage.loc[coverage["usable"], "gemeente_code"].tolist()
    return [
        in_set(
            "gemeente_code",
            usable,
            f"every gemeente with respondents has usable adult totals (inhabitants, sex, age bands) in the "
            f"CBS key figures of {edition}, in the delivery or in kwb_supplement.csv",
            row_condition="respondents>0",
            condition_parser="pandas",
        ),
    ]
