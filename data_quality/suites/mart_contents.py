"""Content checks of the monitor tables (methodology sections 1, 3, 4, 7 and 8): figures lie
in the range of their indicator, intervals contain their estimate, shares add up, the trend's
difference and significance agree with its estimates and interval, ranks are a ranking.

Separate from disclosure control (published_marts.py), which says what may be shown; these
say whether what is shown is internally consistent.

Some expectations compare rows with each other (shares of one area, ranks of one level) or
need a tolerance GX's row expectations do not have; they are expectations on derived columns
that a `*_frame(rows)` helper adds. Validate `area_estimates_frame(rows)` with
`area_estimates_suite(...)`, and so on: `published_contents.content_suites(codebook)` pairs every table with
its helper and suite. Every suite is meant for one edition's rows (the trend: the rows of
one edition_to), though none breaks on more. No table here holds respondent-level columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from data_quality.expectations import Expect, in_set, not_null
from monitor.codebook import Codebook

SUITE_AREA_ESTIMATES = "monitor_area_estimates_contents"
SUITE_TYPOLOGY = "monitor_typology_contents"
SUITE_TREND = "monitor_trend_contents"
SUITE_RESOURCE_IMPORTANCE = "monitor_resource_importance_contents"
SUITE_REGIO_IMPORTANCE = "monitor_resource_importance_regio_contents"
SUITE_SCALE_RELIABILITY = "monitor_scale_reliability_contents"

SHARE_RANGE = (0.0, 100.0)  # indicators named pct_* and typology shares are percentages
SHARE_PREFIX = "pct_"
SUM_TOLERANCE = 1e-6  # shares summing to 100: rounding only
DIFFERENCE_TOLERANCE = 1e-9  # difference = estimate_to - estimate_from
RATIO_TOLERANCE = 1e-9  # n_effective / n_respondents <= 1 (Kish), up to rounding
SHARE_SLACK = 1e-9  # a Shapley share of an irrelevant predictor may round to -1e-15

SHOWN = {"row_condition": "suppressed == False", "condition_parser": "pandas"}
HIDDEN = {"row_condition": "suppressed == True", "condition_parser": "pandas"}

# derived columns added by the *_frame helpers
N_EFFECTIVE_RATIO = "n_effective_ratio"
AREA_SHARE_TOTAL = "area_share_total"
AREA_TYPE_COUNT = "area_type_count"
AREA_TYPES_CONSISTENT = "area_types_consistent"
DIFFERENCE_ERROR = "difference_error"
INTERVAL_EXCLUDES_ZERO = "interval_excludes_zero"
LEVEL_SHARE_TOTAL = "level_share_total"
LEVEL_SIZE = "level_size"
RANK_FOLLOWS_SHAPLEY = "rank_follows_shapley"


def _has(frame: pd.DataFrame, *columns: str) -> bool:
    """Whether a helper can derive its column; if not, it adds nothing and the suite's
    columns expectation (and the expectations on the derived column) report the gap."""
    return all(c in frame.columns for c in columns)


def _pandas(condition: str) -> dict:
    return {"row_condition": condition, "condition_parser": "pandas"}


def _columns(columns: list[str], what: str) -> Expect:
    return Expect("ExpectTableColumnsToMatchSet", f"the table has {what}", {"column_set": columns, "exact_match": False})


def _between(column: str, lo: float | None, hi: float | None, meaning: str, **extra) -> Expect:
    return Expect("ExpectColumnValuesToBeBetween", meaning, {"column": column, "min_value": lo, "max_value": hi, **extra})


def _a_at_least_b(a: str, b: str, meaning: str, **extra) -> Expect:
    return Expect(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        meaning,
        {"column_A": a, "column_B": b, "or_equal": True, "ignore_row_if": "either_value_is_missing", **extra},
    )


def _interval_contains(estimate: str, where: dict | None = None, lower: str = "ci_lower", upper: str = "ci_upper") -> list[Expect]:
    where = SHOWN if where is None else where
    return [
        _a_at_least_b(estimate, lower, f"{lower} <= {estimate} (the interval contains its {estimate})", **where),
        _a_at_least_b(upper, estimate, f"{estimate} <= {upper} (the interval contains its {estimate})", **where),
    ]


def _unique(columns: list[str], meaning: str) -> Expect:
    return Expect("ExpectCompoundColumnsToBeUnique", meaning, {"column_list": columns})


def _by_range(ranges: Mapping[str, tuple[float, float]]) -> dict[tuple[float, float], list[str]]:
    """Indicators grouped by their range, so that one expectation covers each range."""
    groups: dict[tuple[float, float], list[str]] = {}
    for indicator, bounds in ranges.items():
        groups.setdefault((float(bounds[0]), float(bounds[1])), []).append(indicator)
    return groups


def _named(indicators: list[str]) -> str:
    return indicators[0] if len(indicators) == 1 else f"{len(indicators)} indicators ({', '.join(indicators[:3])}{', ...' if len(indicators) > 3 else ''})"


def _in_range(columns: Sequence[str], ranges: Mapping[str, tuple[float, float]]) -> list[Expect]:
    return [
        _between(column, lo, hi, f"{column} of {_named(indicators)} lies within {lo:g}..{hi:g}", **_pandas(f"indicator in {indicators!r}"))
        for (lo, hi), indicators in _by_range(ranges).items()
        for column in columns
    ]


# --- indicator ranges ---------------------------------------------------------------------


def indicator_ranges(codebook: Codebook) -> dict[str, tuple[float, float]]:
    """The range of every indicator monitor_area_estimates publishes (int_indicators.sql:
    every scale, every resource group score and pct_veerkrachtig), from the codebook: a scale
    score spans the 0..10 scores of its items' valid answers, a resource group score (a mean
    of scale scores) the hull of its scales' ranges, a pct_* share 0..100."""
    scales = {
        name: (
            min(item.score_0_10(answer) for item in scale.items for answer in item.response.values),
            max(item.score_0_10(answer) for item in scale.items for answer in item.response.values),
        )
        for name, scale in codebook.scales.items()
    }
    groups = {
        group: (
            min(scales[s.name][0] for s in codebook.scales_in_group(group)),
            max(scales[s.name][1] for s in codebook.scales_in_group(group)),
        )
        for group in codebook.resource_groups
    }
    ranges: dict[str, tuple[float, float]] = {}
    for indicator in codebook.indicators:
        if indicator in scales:
            ranges[indicator] = scales[indicator]
        elif indicator in groups:
            ranges[indicator] = groups[indicator]
        elif indicator.startswith(SHARE_PREFIX):
            ranges[indicator] = SHARE_RANGE
        else:  # a new kind of indicator: say so rather than check it against a guess
            raise ValueError(f"indicator {indicator!r}: no range known (not a scale, a resource group or a {SHARE_PREFIX}* share)")
    return ranges


# --- monitor_area_estimates -----------------------------------------------------------------

AREA_ESTIMATE_COLUMNS = [
    "edition", "area_level", "area_code", "indicator", "estimate", "ci_lower", "ci_upper",
    "n_respondents", "n_effective", "unweighted_estimate", "suppressed",
]


def area_estimates_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows plus n_effective / n_respondents (NaN without respondents)."""
    frame = rows.copy()
    if not _has(frame, "n_respondents", "n_effective"):
        return frame
    n = pd.to_numeric(frame["n_respondents"], errors="coerce").astype(float)
    frame[N_EFFECTIVE_RATIO] = pd.to_numeric(frame["n_effective"], errors="coerce").astype(float) / n.where(n > 0)
    return frame


def area_estimates_suite(indicator_ranges: Mapping[str, tuple[float, float]]) -> list[Expect]:
    """Expectations on `area_estimates_frame(rows)` of monitor.monitor_area_estimates."""
    indicators = list(indicator_ranges)
    return [
        _columns(AREA_ESTIMATE_COLUMNS, "the columns of methodology section 8"),
        _unique(["edition", "area_level", "area_code", "indicator"], "one row per edition, area level, area and indicator"),
        *(not_null(c) for c in ("edition", "area_level", "area_code", "indicator", "n_respondents", "suppressed")),
        Expect(
            "ExpectColumnDistinctValuesToEqualSet",
            f"every indicator of the codebook is published and no other ({len(indicators)} indicators)",
            {"column": "indicator", "value_set": indicators},
        ),
        *_in_range(["estimate", "unweighted_estimate", "ci_lower", "ci_upper"], indicator_ranges),
        *(not_null(c, f"{c} is given for every cell that is not suppressed", **SHOWN) for c in ("estimate", "ci_lower", "ci_upper")),
        *_interval_contains("estimate"),
        _between("n_respondents", 0, None, "n_respondents >= 0"),
        _between(
            N_EFFECTIVE_RATIO,
            0,
            1 + RATIO_TOLERANCE,
            "0 < n_effective <= n_respondents (Kish effective n never exceeds the respondents)",
            strict_min=True,
        ),
    ]


# --- monitor_typology ---------------------------------------------------------------------

TYPOLOGY_COLUMNS = ["edition", "area_level", "area_code", "type", "share", "ci_lower", "ci_upper", "n_respondents", "suppressed"]
AREA_KEY = ["edition", "area_level", "area_code"]


def typology_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows plus, per area: the sum of its types' shares (NaN when a type is suppressed
    or has no share), its number of types, and whether all its types rest on the same
    respondents (one n_respondents, all suppressed or none)."""
    frame = rows.copy()
    if not _has(frame, *AREA_KEY, "type", "share", "n_respondents", "suppressed"):
        return frame
    areas = frame.groupby(AREA_KEY, dropna=False, sort=False)
    shown = frame["suppressed"].eq(False) & frame["share"].notna()
    total = areas["share"].transform("sum")
    all_shown = shown.groupby([frame[c] for c in AREA_KEY], dropna=False, sort=False).transform("all")
    frame[AREA_SHARE_TOTAL] = total.where(all_shown.astype(bool))
    frame[AREA_TYPE_COUNT] = areas["type"].transform("size")
    frame[AREA_TYPES_CONSISTENT] = (areas["n_respondents"].transform("nunique") <= 1) & (areas["suppressed"].transform("nunique") <= 1)
    return frame


def typology_suite(types: Sequence[str] | None = None) -> list[Expect]:
    """Expectations on `typology_frame(rows)` of monitor.monitor_typology; with `types`
    (codebook.typology['types']) also that every area has exactly these types."""
    lo, hi = SHARE_RANGE
    specs = [
        _columns(TYPOLOGY_COLUMNS, "the columns of methodology section 8"),
        _unique(["edition", "area_level", "area_code", "type"], "one row per edition, area level, area and type"),
        *(not_null(c) for c in ("edition", "area_level", "area_code", "type", "n_respondents", "suppressed")),
        *(_between(c, lo, hi, f"{c} lies within {lo:g}..{hi:g} (a percentage)") for c in ("share", "ci_lower", "ci_upper")),
        *(not_null(c, f"{c} is given for every cell that is not suppressed", **SHOWN) for c in ("share", "ci_lower", "ci_upper")),
        *_interval_contains("share"),
        Expect(
            "ExpectColumnValuesToBeInSet",
            "the types of an area rest on the same typed respondents (one n_respondents; all suppressed or none)",
            {"column": AREA_TYPES_CONSISTENT, "value_set": [True]},
        ),
        _between(
            AREA_SHARE_TOTAL,
            hi - SUM_TOLERANCE,
            hi + SUM_TOLERANCE,
            f"the shares of an area's types sum to {hi:g} (where none is suppressed)",
        ),
    ]
    if types:
        types = list(types)
        specs += [
            in_set("type", types, f"type is one of the {len(types)} types of the codebook"),
            _between(AREA_TYPE_COUNT, len(types), len(types), f"every area has a row for each of the {len(types)} types"),
        ]
    return specs


# --- monitor_trend ------------------------------------------------------------------------

TREND_COLUMNS = [
    "area_level", "area_code", "indicator", "edition_from", "edition_to", "estimate_from", "estimate_to",
    "difference", "ci_lower", "ci_upper", "significant", "suppressed",
]


def trend_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows plus difference - (estimate_to - estimate_from) and whether the interval
    of the difference excludes 0 (NULL without an interval)."""
    frame = rows.copy()
    if not _has(frame, "estimate_from", "estimate_to", "difference", "ci_lower", "ci_upper", "significant"):
        return frame
    number = lambda c: pd.to_numeric(frame[c], errors="coerce").astype(float)  # noqa: E731
    lower, upper = number("ci_lower"), number("ci_upper")
    frame[DIFFERENCE_ERROR] = number("difference") - (number("estimate_to") - number("estimate_from"))
    excludes = ((lower > 0) | (upper < 0)).astype(object)
    excludes[lower.isna() | upper.isna()] = None
    frame[INTERVAL_EXCLUDES_ZERO] = excludes
    frame["significant"] = frame["significant"].astype(object).where(frame["significant"].notna(), None)
    return frame


def trend_suite(indicator_ranges: Mapping[str, tuple[float, float]] | None = None) -> list[Expect]:
    """Expectations on `trend_frame(rows)` of monitor.monitor_trend; with `indicator_ranges`
    also that both estimates lie in their indicator's range."""
    specs = [
        _columns(TREND_COLUMNS, "the columns of methodology section 8"),
        _unique(
            ["area_level", "area_code", "indicator", "edition_from", "edition_to"],
            "one row per area level, area, indicator and pair of editions",
        ),
        Expect(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            "edition_to is later than edition_from",
            {"column_A": "edition_to", "column_B": "edition_from", "or_equal": False},
        ),
        *(
            not_null(c, f"{c} is given for every change that is not suppressed", **SHOWN)
            for c in ("estimate_from", "estimate_to", "difference", "ci_lower", "ci_upper", "significant")
        ),
        Expect("ExpectColumnValuesToBeNull", "a suppressed change shows no difference", {"column": "difference", **HIDDEN}),
        _between(
            DIFFERENCE_ERROR,
            -DIFFERENCE_TOLERANCE,
            DIFFERENCE_TOLERANCE,
            f"difference = estimate_to - estimate_from (within {DIFFERENCE_TOLERANCE:g})",
        ),
        *_interval_contains("difference"),
        Expect(
            "ExpectColumnPairValuesToBeEqual",
            "significant exactly when the 95 % interval of the difference excludes 0",
            {"column_A": "significant", "column_B": INTERVAL_EXCLUDES_ZERO, "ignore_row_if": "either_value_is_missing"},
        ),
    ]
    if indicator_ranges:
        specs += _in_range(["estimate_from", "estimate_to"], indicator_ranges)
    return specs


# --- monitor_resource_importance (and per regio: monitor_resource_importance_regio) ----------

IMPORTANCE_COLUMNS = [
    "edition", "level", "resource", "resource_group", "rank", "std_coefficient", "ci_lower", "ci_upper",
    "shapley_r2", "importance_share", "r2_total",
]
LEVELS = ["resource", "group"]
REGIO = ("regio_code",)  # the extra key of monitor_resource_importance_regio


def resource_importance_frame(rows: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """The rows plus, per edition (and `by`, e.g. regio_code) and level: the sum of
    importance_share (NaN if a share is missing), the number of rows, and whether rank follows
    shapley_r2 (1 = largest; ties may take any of their ranks). A regio whose n does not allow
    the regression has every row suppressed: its derived columns are empty or false, and the
    suite looks only at shown rows for them (the disclosure check proves they show nothing)."""
    frame = rows.copy()
    if not _has(frame, "edition", "level", "resource", "rank", "shapley_r2", "importance_share", *by):
        return frame
    keys = [frame[c] for c in ("edition", *by, "level")]
    levels = frame.groupby(keys, dropna=False, sort=False)
    share = pd.to_numeric(frame["importance_share"], errors="coerce").astype(float)
    complete = share.notna().groupby(keys, dropna=False, sort=False).transform("all").astype(bool)
    frame[LEVEL_SHARE_TOTAL] = share.groupby(keys, dropna=False, sort=False).transform("sum").where(complete)
    frame[LEVEL_SIZE] = levels["resource"].transform("size")
    shapley = pd.to_numeric(frame["shapley_r2"], errors="coerce").astype(float).groupby(keys, dropna=False, sort=False)
    best = shapley.rank(ascending=False, method="min")
    worst = shapley.rank(ascending=False, method="max")
    rank = pd.to_numeric(frame["rank"], errors="coerce").astype(float)
    frame[RANK_FOLLOWS_SHAPLEY] = ((rank >= best) & (rank <= worst)).to_numpy(dtype=bool)
    return frame


def regio_importance_frame(rows: pd.DataFrame) -> pd.DataFrame:
    return resource_importance_frame(rows, REGIO)


def _where(*conditions: str | None) -> dict:
    """A row condition of all `conditions` that are given ({} when none is)."""
    given = [c for c in conditions if c]
    return _pandas(" and ".join(given)) if given else {}


def resource_importance_suite(codebook: Codebook | None = None, by: Sequence[str] = ()) -> list[Expect]:
    """Expectations on `resource_importance_frame(rows, by)` of monitor.monitor_resource_importance
    (by=(): the province) or monitor.monitor_resource_importance_regio (by=REGIO, whose rows may
    be suppressed): importance_share is a percentage of R2, 0..100, summing to 100 per edition
    (and regio) and level; with `codebook` also that the resources and groups are the codebook's
    resource scales and groups."""
    lo, hi = SHARE_RANGE
    shown = "suppressed == False" if by else None  # the province table has no suppressed rows
    resource, group = 'level == "resource"', 'level == "group"'
    per = " and ".join(["edition", *by])
    specs = [
        _columns([*IMPORTANCE_COLUMNS, *by, *(["suppressed", "suppression_reason"] if by else [])],
                 "the columns of methodology section 8"),
        _unique(["edition", *by, "level", "resource"], f"one row per {per}, level and resource (or group)"),
        Expect("ExpectCompoundColumnsToBeUnique", f"ranks are unique per {per} and level",
               {"column_list": ["edition", *by, "level", "rank"], **_where(shown)}),
        *(not_null(c) for c in ("edition", *by, "level", "resource")),
        not_null("rank", **_where(shown)),
        in_set("level", LEVELS, "level is resource or group"),
        _between("importance_share", lo - SHARE_SLACK, hi + SHARE_SLACK, f"importance_share lies within {lo:g}..{hi:g} (% of R2)"),
        _between(
            LEVEL_SHARE_TOTAL,
            hi - SUM_TOLERANCE,
            hi + SUM_TOLERANCE,
            f"the importance shares of the resources (and of the groups) sum to {hi:g} per {per}",
            **_where(shown),
        ),
        _between("rank", 1, None, "rank >= 1"),
        _a_at_least_b(LEVEL_SIZE, "rank", "rank <= the number of resources (or groups) of the level"),
        Expect(
            "ExpectColumnValuesToBeInSet",
            "rank follows shapley_r2 (1 = the largest share of explained variance)",
            {"column": RANK_FOLLOWS_SHAPLEY, "value_set": [True], **_where(shown)},
        ),
        _between("r2_total", 0, 1, "r2_total lies within 0..1"),
        *_interval_contains("std_coefficient", where=_where(resource, shown)),
    ]
    if codebook is not None:
        scales = [s.name for g in codebook.resource_groups for s in codebook.scales_in_group(g)]
        specs += [
            Expect(
                "ExpectColumnDistinctValuesToEqualSet",
                f"the resources are the codebook's {len(scales)} resource scales",
                {"column": "resource", "value_set": scales, **_where(resource)},
            ),
            Expect(
                "ExpectColumnDistinctValuesToEqualSet",
                f"the groups are the codebook's {len(codebook.resource_groups)} resource groups",
                {"column": "resource", "value_set": list(codebook.resource_groups), **_where(group)},
            ),
        ]
    return specs


# --- monitor_scale_reliability --------------------------------------------------------------

RELIABILITY_COLUMNS = ["edition", "scale", "n_items", "cronbach_alpha", "n_valid"]


def scale_reliability_suite(codebook: Codebook | None = None) -> list[Expect]:
    """Expectations on monitor.monitor_scale_reliability rows (no helper frame needed); with
    `codebook` also that each multi-item scale has its codebook number of items."""
    specs = [
        _columns(RELIABILITY_COLUMNS, "the columns of methodology section 8"),
        _unique(["edition", "scale"], "one row per edition and scale"),
        _between("cronbach_alpha", None, 1, "cronbach_alpha <= 1"),
        _between("n_items", 2, None, "a reliability is only reported for scales of at least 2 items"),
        _between("n_valid", 0, None, "n_valid >= 0"),
    ]
    if codebook is not None:
        multi = [(name, len(scale.items)) for name, scale in codebook.scales.items() if len(scale.items) > 1]
        specs.append(
            Expect(
                "ExpectColumnPairValuesToBeInSet",
                f"scale is a multi-item scale of the codebook with its number of items ({len(multi)} scales)",
                {"column_A": "scale", "column_B": "n_items", "value_pairs_set": multi},
            )
        )
    return specs


# --- all of them ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContentSuite:
    table: str  # monitor.<table>
    suite_name: str
    frame: Callable[[pd.DataFrame], pd.DataFrame]  # rows -> the frame to validate
    specs: list[Expect]


__all__ = [
    "ContentSuite",
    "area_estimates_frame",
    "area_estimates_suite",
    "indicator_ranges",
    "regio_importance_frame",
    "resource_importance_frame",
    "resource_importance_suite",
    "scale_reliability_suite",
    "trend_frame",
    "trend_suite",
    "typology_frame",
    "typology_suite",
]
