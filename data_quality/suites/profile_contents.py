"""Content checks of the profiles (methodology section 9): monitor_profiles (who is
resilient, per background characteristic and category) and monitor_resources_by_resilience
(the resources of the resilient and the less resilient).

As in mart_contents.py, expectations that compare rows (a characteristic's categories, the
composition adding up to 100) run on derived columns that `profiles_frame(rows)` and
`resources_by_resilience_frame(rows)` add. Disclosure control of both tables is in
published_marts.py."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from data_quality.expectations import Expect, not_null
from data_quality.suites.mart_contents import (
    DIFFERENCE_TOLERANCE,
    N_EFFECTIVE_RATIO,
    RATIO_TOLERANCE,
    SHARE_RANGE,
    SHOWN,
    ContentSuite,
    _between,
    _columns,
    _has,
    _in_range,
    _interval_contains,
    _pandas,
    _unique,
    area_estimates_frame,
)
from monitor.codebook import Codebook
from monitor.reference import profile_categories

SUITE_PROFILES = "monitor_profiles_contents"
SUITE_RESOURCES_BY_RESILIENCE = "monitor_resources_by_resilience_contents"
COMPOSITION_TOLERANCE = 0.1  # issue 16: a characteristic's composition adds up to 100 within 0.1

PROFILE_KEY = ["edition", "characteristic", "category", "indicator"]
PROFILE_COLUMNS = [
    *PROFILE_KEY, "category_label", "estimate", "ci_lower", "ci_upper", "n_respondents", "n_effective", "suppressed",
    "suppression_reason", "n_resilient", "n_less_resilient", "share_among_resilient", "share_among_less_resilient",
    "difference", "difference_ci_lower", "difference_ci_upper", "significant", "composition_suppressed",
]
COMPOSITION = ["share_among_resilient", "share_among_less_resilient", "difference", "difference_ci_lower", "difference_ci_upper"]
COMPOSITION_SHOWN = _pandas("composition_suppressed == False")

# derived columns
CATEGORY_COUNT = "category_count"
TOTAL_AMONG_RESILIENT = "total_among_resilient"
TOTAL_AMONG_LESS_RESILIENT = "total_among_less_resilient"
COMPOSITION_CONSISTENT = "composition_consistent"
DIFFERENCE_ERROR = "difference_error"
INTERVAL_EXCLUDES_ZERO = "interval_excludes_zero"


def _number(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def _significance(frame: pd.DataFrame, estimate_a: str, estimate_b: str, difference: str, lower: str, upper: str) -> None:
    """Add difference - (a - b) and whether the difference's interval excludes 0 (NULL
    without an interval), so that `significant` and `difference` can be checked."""
    lo, hi = _number(frame, lower), _number(frame, upper)
    frame[DIFFERENCE_ERROR] = _number(frame, difference) - (_number(frame, estimate_a) - _number(frame, estimate_b))
    excludes = ((lo > 0) | (hi < 0)).astype(object)
    excludes[lo.isna() | hi.isna()] = None
    frame[INTERVAL_EXCLUDES_ZERO] = excludes
    frame["significant"] = frame["significant"].astype(object).where(frame["significant"].notna(), None)


def _difference_checks(difference: str, lower: str, upper: str, where: dict) -> list[Expect]:
    return [
        _between(DIFFERENCE_ERROR, -DIFFERENCE_TOLERANCE, DIFFERENCE_TOLERANCE, f"{difference} is the difference of its two estimates"),
        *_interval_contains(difference, where=where, lower=lower, upper=upper),
        Expect(
            "ExpectColumnPairValuesToBeEqual",
            f"significant exactly when the 95 % interval of {difference} excludes 0",
            {"column_A": "significant", "column_B": INTERVAL_EXCLUDES_ZERO, "ignore_row_if": "either_value_is_missing"},
        ),
    ]


# --- monitor_profiles -------------------------------------------------------------------


def profiles_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows plus n_effective / n_respondents; per edition, characteristic and indicator
    the number of categories and the composition totals (NaN when a category's composition is
    withheld); per category whether its composition is the same on every indicator row; the
    difference error and whether its interval excludes 0."""
    frame = area_estimates_frame(rows)
    if not _has(frame, *PROFILE_KEY, *COMPOSITION, "composition_suppressed", "significant", "n_resilient"):
        return frame
    by_characteristic = [frame[c] for c in ("edition", "characteristic", "indicator")]
    frame[CATEGORY_COUNT] = frame.groupby(by_characteristic, sort=False)["category"].transform("size")
    complete = frame["composition_suppressed"].eq(False).groupby(by_characteristic, sort=False).transform("all").astype(bool)
    for share, total in (("share_among_resilient", TOTAL_AMONG_RESILIENT), ("share_among_less_resilient", TOTAL_AMONG_LESS_RESILIENT)):
        frame[total] = _number(frame, share).groupby(by_characteristic, sort=False).transform("sum").where(complete)
    by_category = frame.groupby([frame[c] for c in ("edition", "characteristic", "category")], sort=False)
    frame[COMPOSITION_CONSISTENT] = (
        (by_category["share_among_resilient"].transform("nunique", dropna=False) <= 1)
        & (by_category["n_resilient"].transform("nunique") <= 1)
        & (by_category["composition_suppressed"].transform("nunique") <= 1)
    )
    _significance(frame, "share_among_resilient", "share_among_less_resilient", "difference", "difference_ci_lower", "difference_ci_upper")
    return frame


def profiles_suite(codebook: Codebook, indicator_ranges: Mapping[str, tuple[float, float]]) -> list[Expect]:
    """Expectations on `profiles_frame(rows)` of monitor.monitor_profiles: every
    characteristic of the codebook with every one of its categories (none dropped, 'onbekend'
    included), every indicator; estimates in range and inside their interval; shares 0..100
    adding up to 100 (within COMPOSITION_TOLERANCE) over a characteristic's categories."""
    lo, hi = SHARE_RANGE
    expected = profile_categories(codebook)
    pairs = [(name, category) for name, categories in expected.items() for category in categories]
    counts = [(name, len(categories)) for name, categories in expected.items()]
    indicators = list(indicator_ranges)
    return [
        _columns(PROFILE_COLUMNS, "the columns of methodology section 8 (monitor_profiles)"),
        _unique(PROFILE_KEY, "one row per edition, characteristic, category and indicator"),
        *(not_null(c) for c in (*PROFILE_KEY, "category_label", "n_respondents", "suppressed", "composition_suppressed")),
        Expect(
            "ExpectColumnDistinctValuesToEqualSet",
            f"every characteristic of the codebook's profiles and no other ({len(expected)})",
            {"column": "characteristic", "value_set": list(expected)},
        ),
        Expect(
            "ExpectColumnPairValuesToBeInSet",
            "every category is one the codebook, the size classes or the layout's regios define",
            {"column_A": "characteristic", "column_B": "category", "value_pairs_set": pairs},
        ),
        Expect(
            "ExpectColumnPairValuesToBeInSet",
            "every expected category of a characteristic is present, 'onbekend' (no answer) included",
            {"column_A": "characteristic", "column_B": CATEGORY_COUNT, "value_pairs_set": counts},
        ),
        Expect(
            "ExpectColumnDistinctValuesToEqualSet",
            f"every indicator of the codebook ({len(indicators)})",
            {"column": "indicator", "value_set": indicators},
        ),
        *_in_range(["estimate", "ci_lower", "ci_upper"], indicator_ranges),
        *(not_null(c, f"{c} is given for every cell that is not suppressed", **SHOWN) for c in ("estimate", "ci_lower", "ci_upper")),
        *_interval_contains("estimate"),
        _between(N_EFFECTIVE_RATIO, 0, 1 + RATIO_TOLERANCE, "0 < n_effective <= n_respondents", strict_min=True),
        *(_between(c, lo, hi, f"{c} lies within {lo:g}..{hi:g} (a percentage)") for c in ("share_among_resilient", "share_among_less_resilient")),
        *(not_null(c, f"{c} is given wherever the composition is not withheld", **COMPOSITION_SHOWN) for c in (*COMPOSITION, "significant")),
        *(
            _between(total, hi - COMPOSITION_TOLERANCE, hi + COMPOSITION_TOLERANCE,
                     f"the shares of a characteristic's categories {what} add up to {hi:g} (within {COMPOSITION_TOLERANCE:g})")
            for total, what in ((TOTAL_AMONG_RESILIENT, "among the resilient"), (TOTAL_AMONG_LESS_RESILIENT, "among the less resilient"))
        ),
        Expect(
            "ExpectColumnValuesToBeInSet",
            "a category's composition is the same on every indicator row",
            {"column": COMPOSITION_CONSISTENT, "value_set": [True]},
        ),
        *_difference_checks("difference", "difference_ci_lower", "difference_ci_upper", COMPOSITION_SHOWN),
    ]


# --- monitor_resources_by_resilience --------------------------------------------------------

RESOURCE_COLUMNS = [
    "edition", "indicator", "resource_group", "estimate_resilient", "ci_lower_resilient", "ci_upper_resilient", "n_resilient",
    "estimate_less_resilient", "ci_lower_less_resilient", "ci_upper_less_resilient", "n_less_resilient",
    "difference", "ci_lower", "ci_upper", "significant", "n_respondents", "suppressed",
]
GROUPS = ("resilient", "less_resilient")


def resources_by_resilience_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows plus the difference error and whether its interval excludes 0."""
    frame = rows.copy()
    if _has(frame, "estimate_resilient", "estimate_less_resilient", "difference", "ci_lower", "ci_upper", "significant"):
        _significance(frame, "estimate_resilient", "estimate_less_resilient", "difference", "ci_lower", "ci_upper")
    return frame


def resources_by_resilience_suite(codebook: Codebook, indicator_ranges: Mapping[str, tuple[float, float]]) -> list[Expect]:
    """Expectations on `resources_by_resilience_frame(rows)`: one row per resource scale and
    resource group of the codebook, both groups' means in range and inside their intervals."""
    resources = [s.name for g in codebook.resource_groups for s in codebook.scales_in_group(g)] + list(codebook.resource_groups)
    ranges = {r: indicator_ranges[r] for r in resources}
    specs = [
        _columns(RESOURCE_COLUMNS, "the columns of monitor_resources_by_resilience"),
        _unique(["edition", "indicator"], "one row per edition and resource"),
        *(not_null(c) for c in ("edition", "indicator", "resource_group", "n_resilient", "n_less_resilient", "n_respondents", "suppressed")),
        Expect(
            "ExpectColumnDistinctValuesToEqualSet",
            f"every resource scale and resource group of the codebook and no other ({len(resources)})",
            {"column": "indicator", "value_set": resources},
        ),
        *(not_null(c, f"{c} is given for every row that is not suppressed", **SHOWN) for c in ("estimate_resilient", "estimate_less_resilient", "difference", "significant")),
        *_difference_checks("difference", "ci_lower", "ci_upper", SHOWN),
    ]
    for group in GROUPS:
        specs += _in_range([f"estimate_{group}", f"ci_lower_{group}", f"ci_upper_{group}"], ranges)
        specs += _interval_contains(f"estimate_{group}", lower=f"ci_lower_{group}", upper=f"ci_upper_{group}")
    return specs


def profile_content_suites(codebook: Codebook, indicator_ranges: Mapping[str, tuple[float, float]]) -> list[ContentSuite]:
    return [
        ContentSuite("monitor_profiles", SUITE_PROFILES, profiles_frame, profiles_suite(codebook, indicator_ranges)),
        ContentSuite(
            "monitor_resources_by_resilience",
            SUITE_RESOURCES_BY_RESILIENCE,
            resources_by_resilience_frame,
            resources_by_resilience_suite(codebook, indicator_ranges),
        ),
    ]
