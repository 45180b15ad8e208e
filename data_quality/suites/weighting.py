"""The weighting suite: the calibration weights reproduce the CBS margins (methodology
section 2: within 0.1 %), are positive and within the trimming bound, and every staged
respondent has one."""

from data_quality.expectations import Expect, not_null

SUITE_WEIGHTS = "weighting_respondent_weights"
SUITE_MARGINS = "weighting_raking_margins"
MARGIN_TOLERANCE = 0.001


def weights_suite(n_respondents: int, max_weight_ratio: float) -> list[Expect]:
    return [
        Expect("ExpectTableRowCountToEqual", f"every staged respondent has a weight ({n_respondents})", {"value": n_respondents}),
        not_null("calibration_weight"),
        Expect("ExpectColumnValuesToBeBetween", "calibration_weight > 0", {"column": "calibration_weight", "min_value": 0, "strict_min": True}),
        Expect(
            "ExpectColumnValuesToBeBetween",
            f"weight / mean weight of its raking domain <= {max_weight_ratio} (trimming)",
            {"column": "weight_ratio", "max_value": max_weight_ratio * (1 + 1e-6)},
        ),
    ]


def margins_suite() -> list[Expect]:
    return [
        Expect("ExpectTableRowCountToBeBetween", "there are margins to compare", {"min_value": 1}),
        Expect(
            "ExpectColumnValuesToBeBetween",
            f"weighted totals reproduce the CBS margins within {MARGIN_TOLERANCE:.1%}",
            {"column": "relative_difference", "min_value": -MARGIN_TOLERANCE, "max_value": MARGIN_TOLERANCE},
        ),
    ]
