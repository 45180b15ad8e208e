"""The small-area suite (methodology sections 5 and 6): every wijk and buurt of the layout has
both indicators; every area that is not suppressed has an estimate inside its interval; a
suppressed area (under 50 inhabitants) shows no figure; a direct figure beside the model one
is only shown on at least 10 respondents; a flag says what it rests on and rests on the
area's respondents only where it has at least 10; the weight of the own respondents is a
share."""

from data_quality.expectations import Expect, not_null
from data_quality.suites.published_marts import MIN_RESPONDENTS
from monitor.statistics.small_area import FLAG_BASIS

SUITE_NAME = "monitor_small_area_estimates"
SHOWN = {"row_condition": "suppressed == False", "condition_parser": "pandas"}
HIDDEN = {"row_condition": "suppressed == True", "condition_parser": "pandas"}
FIGURES = ("estimate", "ci_lower", "ci_upper", "mse", "direct_estimate")
ON_RESPONDENTS = sorted(basis for (respondents, _), basis in FLAG_BASIS.items() if respondents)


def build_suite(n_expected_rows: int) -> list[Expect]:
    specs = [
        Expect(
            "ExpectTableRowCountToEqual",
            f"every wijk and buurt of the layout, for both indicators ({n_expected_rows} rows)",
            {"value": n_expected_rows},
        ),
        Expect(
            "ExpectCompoundColumnsToBeUnique",
            "one row per edition, area and indicator",
            {"column_list": ["edition", "area_code", "indicator"]},
        ),
        *(not_null(column, f"{column} is given for every area that is not suppressed", **SHOWN) for column in ("estimate", "ci_lower", "ci_upper")),
        Expect(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            "estimate >= ci_lower",
            {"column_A": "estimate", "column_B": "ci_lower", "or_equal": True, "ignore_row_if": "either_value_is_missing"},
        ),
        Expect(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            "ci_upper >= estimate",
            {"column_A": "ci_upper", "column_B": "estimate", "or_equal": True, "ignore_row_if": "either_value_is_missing"},
        ),
        *(
            Expect("ExpectColumnValuesToBeNull", f"{column} is not shown for a suppressed area", {"column": column, **HIDDEN})
            for column in FIGURES
        ),
        Expect(
            "ExpectColumnValuesToBeNull",
            f"direct_estimate is not shown on fewer than {MIN_RESPONDENTS} respondents",
            {"column": "direct_estimate", "row_condition": f"n_respondents < {MIN_RESPONDENTS}", "condition_parser": "pandas"},
        ),
        Expect(
            "ExpectColumnValuesToBeBetween",
            "a suppressed area has fewer than 50 inhabitants",
            {"column": "inhabitants", "max_value": 49, **HIDDEN},
        ),
        Expect(
            "ExpectColumnValuesToBeInSet",
            "a flagged area says what the flag rests on: its respondents, the model or both",
            {"column": "flag_basis", "value_set": sorted(FLAG_BASIS.values()),
             "row_condition": "below_gemeente == True", "condition_parser": "pandas"},
        ),
        not_null("flag_basis", "every flagged area has a flag_basis", row_condition="below_gemeente == True",
                 condition_parser="pandas"),
        Expect(
            "ExpectColumnValuesToBeNull",
            "an area that is not flagged has no flag_basis",
            {"column": "flag_basis", "row_condition": "below_gemeente == False", "condition_parser": "pandas"},
        ),
        Expect(
            "ExpectColumnValuesToBeBetween",
            f"a flag on the own respondents needs at least {MIN_RESPONDENTS} of them",
            {"column": "n_respondents", "min_value": MIN_RESPONDENTS,
             "row_condition": f"flag_basis in {ON_RESPONDENTS}", "condition_parser": "pandas"},
        ),
        Expect(
            "ExpectColumnValuesToBeBetween",
            "own_weight (the weight of the area's own respondents) is a share",
            {"column": "own_weight", "min_value": 0, "max_value": 1},
        ),
    ]
    return specs
