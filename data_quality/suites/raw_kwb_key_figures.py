"""The raw CBS suite: one edition's rows of raw.kwb_key_figures against what the pipeline
needs of a CBS Kerncijfers wijken en buurten file (monitor/cbs/kwb_variables.yaml)."""

from __future__ import annotations

from data_quality.expectations import Expect, in_set, not_null

SUITE_NAME = "raw_kwb_key_figures"
REGION_CODE = r"^(?:NL[0-9]{2}|GM[0-9]{4}|WK[0-9]{6}|BU[0-9]{8})$"


def build_suite(edition: int, brabant_gemeenten: list[str], weighting_variables: list[str]) -> list[Expect]:
    gemeente_rows = {"row_condition": 'region_type=="Gemeente"', "condition_parser": "pandas"}
    specs = [
        Expect(
            "ExpectTableColumnsToMatchSet",
            "every CBS variable the weighting needs is present",
            {"column_set": ["region_code", "region_type", "gemeente_code", *weighting_variables], "exact_match": False},
        ),
        not_null("region_code"),
        Expect("ExpectColumnValuesToBeUnique", "region_code is unique", {"column": "region_code"}),
        Expect("ExpectColumnValuesToMatchRegex", "region_code is NL##, GM####, WK###### or BU########", {"column": "region_code", "regex": REGION_CODE}),
        in_set("region_type", ["Land", "Gemeente", "Wijk", "Buurt"], "region_type is Land, Gemeente, Wijk or Buurt"),
        Expect(
            "ExpectColumnDistinctValuesToContainSet",
            f"the file holds every Brabant gemeente of the {edition} layout ({len(brabant_gemeenten)})",
            {"column": "gemeente_code", "value_set": brabant_gemeenten},
        ),
        Expect("ExpectColumnValuesToBeBetween", "AantalInwoners >= 0", {"column": "AantalInwoners", "min_value": 0}),
    ]
    specs += [
        not_null(name, f"{name} is known for every gemeente (needed for weighting)", **gemeente_rows)
        for name in weighting_variables
    ]
    return specs
