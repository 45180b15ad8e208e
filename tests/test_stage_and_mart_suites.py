"""The staging suites (data_quality/suites/staging.py) and the content suites of the monitor
tables (data_quality/suites/mart_contents.py), run with real Great Expectations on small
hand-made frames: a correct frame passes, and each corruption fails the expectation that
guards against it (and respondent ids never show in what a failure reports)."""

from __future__ import annotations

import ast
import math

import pandas as pd
import pytest

from data_quality.runner import validate_frame
from data_quality.suites import mart_contents as mc
from data_quality.suites import staging
from data_quality.suites.published_contents import content_suites
from monitor.codebook import load_codebook

CODEBOOK = load_codebook()
PRIVATE = CODEBOOK.private_columns
EDITION = 2018
RESP_IDS = ["R-0001", "R-0002", "R-0003"]


def _run(frame: pd.DataFrame, specs, name: str = "test"):
    return validate_frame(frame, name, f"{name} batch", specs, private_columns=PRIVATE)


def _passes(outcome) -> None:
    assert outcome.success, outcome.failure_text()
    assert not [o for o in outcome.outcomes if o.error], [o.error for o in outcome.outcomes if o.error]


def _fails(outcome, column: str | None, meaning: str, unexpected: int | None = None):
    """The failure on `column` whose meaning contains `meaning`."""
    assert not outcome.success, "expected a failure"
    hits = [o for o in outcome.failures if o.column == column and meaning in o.meaning]
    assert hits, f"no failure on {column!r} about {meaning!r}; failures:\n{outcome.failure_text()}"
    if unexpected is not None:
        assert hits[0].unexpected_count == unexpected, hits[0].explain()
    return hits[0]


def _no_respondent_ids(outcome) -> None:
    text = "\n".join([outcome.failure_text(), outcome.to_markdown()])
    for resp_id in RESP_IDS:
        assert resp_id not in text


# --- staging.stg_survey__item_answers -------------------------------------------------------


def _answer(resp_id: str, item_name: str, code: int | None) -> dict:
    item = CODEBOOK.item(item_name)
    rs = item.response
    valid = code is not None and code in rs.values
    return {
        "edition": EDITION,
        "resp_id": resp_id,
        "item": item.name,
        "scale": item.scale,
        "code": code,
        "answer_status": "valid" if valid else "missing",
        "recoded_value": rs.recoded(code, item.negative) if valid else None,
        "score_0_10": item.score_0_10(code) if valid else None,
    }


def _answers() -> pd.DataFrame:
    """Three respondents x every item: lowest valid, highest valid, then a missing code (or
    empty); happiness 8 and 9 are valid answers there, 99 is its missing code."""
    rows = []
    for item in CODEBOOK.items:
        rs = item.response
        third = min(rs.missing) if rs.missing else None
        for resp_id, code in zip(RESP_IDS, [rs.valid_min, rs.valid_max, third]):
            rows.append(_answer(resp_id, item.name, code))
    rows[0] = _answer(RESP_IDS[0], "happiness", 9)
    rows[1] = _answer(RESP_IDS[1], "happiness", 8)
    frame = pd.DataFrame(rows)
    return frame.astype({"code": "Int32", "recoded_value": "Int64", "score_0_10": "float64"})


@pytest.fixture(scope="module")
def answer_specs():
    return staging.item_answers_suite(CODEBOOK)


def _run_answers(frame: pd.DataFrame, specs):
    """Validate staged answers as the check does: their distinct patterns (the same SQL, run by
    DuckDB on the frame) and the grain per item; one outcome holding both."""
    import duckdb

    with duckdb.connect() as conn:
        conn.register("answers", frame)
        patterns = conn.execute(staging.ANSWER_PATTERNS_SQL.format(relation="answers")).df()
        grain = conn.execute(staging.ITEM_GRAIN_SQL.format(relation="answers")).df()
    outcome = _run(patterns, specs)
    outcome.outcomes += _run(grain, staging.item_grain_suite(CODEBOOK)).outcomes
    return outcome


def test_item_answers_pass(answer_specs):
    frame = _answers()
    assert set(frame.loc[frame["item"] == "happiness", "code"]) == {9, 8, 99}
    _passes(_run_answers(frame, answer_specs))


def test_item_answers_ranges_come_from_the_codebook(answer_specs):
    ranges = {s.kwargs["row_condition"]: (s.kwargs["min_value"], s.kwargs["max_value"]) for s in answer_specs
              if s.kind == "ExpectColumnValuesToBeBetween" and s.kwargs["column"] == "recoded_value"}
    assert ranges["item in ['happiness']"] == (1, 10)
    assert ranges["item in ['volunteering']"] == (0, 1)  # yes/no mapped to 1/0
    assert len(ranges) == len({i.response.name for i in CODEBOOK.items})
    covered = {name for condition in ranges for name in ast.literal_eval(condition.removeprefix("item in "))}
    assert covered == set(CODEBOOK.item_names)


def test_item_answers_missing_code_left_as_value(answer_specs):
    frame = _answers()
    missing = (frame["item"] == "health") & (frame["code"] == 9)
    frame.loc[missing, ["recoded_value", "answer_status"]] = [9, "valid"]
    outcome = _run_answers(frame, answer_specs)
    _fails(outcome, "recoded_value", "missing codes [9] of health", unexpected=1)
    _fails(outcome, "recoded_value", "recoded value of health", unexpected=1)


def test_item_answers_agreement_missing_codes_8_and_9(answer_specs):
    frame = _answers()
    row = frame.index[(frame["item"] == "trust") & (frame["resp_id"] == RESP_IDS[2])][0]
    frame.loc[row, "recoded_value"] = 8  # missing code 8 copied into the recoded value
    outcome = _run_answers(frame, answer_specs)
    _fails(outcome, "recoded_value", "missing codes [8, 9] of 19 items", unexpected=1)
    _fails(outcome, "recoded_value", "a missing answer (missing code or empty) has no recoded value", unexpected=1)


def test_item_answers_recoded_value_out_of_range(answer_specs):
    frame = _answers()
    frame.loc[(frame["item"] == "makes_ends_meet") & (frame["resp_id"] == RESP_IDS[1]), "recoded_value"] = 5
    outcome = _run_answers(frame, answer_specs)
    failure = _fails(outcome, "recoded_value", "recoded value of makes_ends_meet (answer scale ends_meet_4, recode keep) lies within 1..4", 1)
    assert failure.examples == ["5"]
    assert len(outcome.failures) == 1


def test_item_answers_valid_status_on_an_unknown_code(answer_specs):
    frame = _answers()
    frame.loc[(frame["item"] == "health") & (frame["resp_id"] == RESP_IDS[0]), "code"] = 7
    outcome = _run_answers(frame, answer_specs)
    _fails(outcome, "code", "valid answer to health", unexpected=1)


def test_item_answers_invalid_status(answer_specs):
    frame = _answers()
    frame.loc[0, ["answer_status", "recoded_value", "score_0_10"]] = ["invalid", None, None]
    _fails(_run_answers(frame, answer_specs), "answer_status", "valid or missing", unexpected=1)


def test_item_answers_score_outside_0_10(answer_specs):
    frame = _answers()
    frame.loc[3, "score_0_10"] = 10.5
    _fails(_run_answers(frame, answer_specs), "score_0_10", "within 0..10", unexpected=1)


def test_item_answers_duplicate_answer_keeps_ids_private(answer_specs):
    frame = _answers()
    frame = pd.concat([frame, frame[frame["item"] == "coping_3"].head(1)], ignore_index=True)
    outcome = _run_answers(frame, answer_specs)
    failure = _fails(outcome, "duplicate_answers", "answers each item at most once", unexpected=1)  # one item
    assert failure.examples == ["1"]  # how many duplicates, never whose
    assert len(outcome.failures) == 1
    _no_respondent_ids(outcome)


def test_item_answers_key_not_null(answer_specs):
    frame = _answers()
    frame.loc[4, "resp_id"] = None
    _fails(_run_answers(frame, answer_specs), "resp_id_missing", "resp_id is never empty", unexpected=1)


def test_item_answers_unknown_item(answer_specs):
    frame = _answers()
    frame.loc[frame.index[-1], "item"] = "coping_9"
    _fails(_run_answers(frame, answer_specs), "item", "codebook item", unexpected=1)


def test_no_meaning_names_a_respondent(answer_specs):
    specs = [*answer_specs, *staging.respondents_suite(["BU08560203"], ["GM0856"], codebook=CODEBOOK)]
    for spec in specs:
        for resp_id in RESP_IDS:
            assert resp_id not in spec.meaning


# --- staging.stg_survey__respondents --------------------------------------------------------

LAYOUT_GEMEENTEN = ["GM0855", "GM0856"]
LAYOUT_BUURTEN = ["BU08550101", "BU08550102", "BU08560203"]


def _respondents() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "edition": [EDITION] * 3,
            "resp_id": RESP_IDS,
            "gemeente_code": ["GM0855", "GM0855", "GM0856"],
            "buurt_code": ["BU08550101", None, "BU08560203"],  # an empty buurt is allowed
            "sex": pd.array([1, None, 3], dtype="Int64"),
            "age": [18, 50, 105],
            "age_band": ["18-24", "45-64", "65+"],
            "education": pd.array([1, 2, 3], dtype="Int64"),
            "household": pd.array([5, None, 1], dtype="Int64"),
            "paid_work": pd.array([1, 2, None], dtype="Int64"),
            "design_weight": [1.0, 250.5, 0.01],
        }
    )


@pytest.fixture(scope="module")
def respondent_specs():
    return staging.respondents_suite(LAYOUT_BUURTEN, LAYOUT_GEMEENTEN, codebook=CODEBOOK)


def test_respondents_pass(respondent_specs):
    _passes(_run(_respondents(), respondent_specs))


def test_respondents_without_codebook_pass():
    _passes(_run(_respondents(), staging.respondents_suite(LAYOUT_BUURTEN, LAYOUT_GEMEENTEN)))


def test_respondents_orphan_buurt(respondent_specs):
    frame = _respondents()
    frame.loc[1, "buurt_code"] = "BU08559999"
    failure = _fails(_run(frame, respondent_specs), "buurt_code", "no orphan buurt codes", unexpected=1)
    assert failure.examples == ["BU08559999"]


def test_respondents_gemeente_outside_layout(respondent_specs):
    frame = _respondents()
    frame.loc[2, "gemeente_code"] = "GM0363"
    _fails(_run(frame, respondent_specs), "gemeente_code", "no orphan gemeente codes", unexpected=1)


def test_respondents_duplicate_id_keeps_ids_private(respondent_specs):
    frame = _respondents()
    frame.loc[2, "resp_id"] = RESP_IDS[0]
    outcome = _run(frame, respondent_specs)
    failure = _fails(outcome, "resp_id", "unique within the edition", unexpected=2)
    assert failure.examples == [] and failure.observed_value is None
    _no_respondent_ids(outcome)


def test_respondents_missing_id(respondent_specs):
    frame = _respondents()
    frame.loc[0, "resp_id"] = None
    _fails(_run(frame, respondent_specs), "resp_id", "never empty", unexpected=1)


@pytest.mark.parametrize("weight", [0.0, -1.0])
def test_respondents_design_weight_not_positive(respondent_specs, weight):
    frame = _respondents()
    frame.loc[1, "design_weight"] = weight
    _fails(_run(frame, respondent_specs), "design_weight", "design_weight > 0", unexpected=1)


def test_respondents_background_missing_code_not_nulled(respondent_specs):
    frame = _respondents()
    frame.loc[1, "sex"] = 9
    _fails(_run(frame, respondent_specs), "sex", "missing codes [9] became NULL", unexpected=1)


# --- indicator ranges -----------------------------------------------------------------------


def test_indicator_ranges_from_the_codebook():
    ranges = mc.indicator_ranges(CODEBOOK)
    assert list(ranges) == CODEBOOK.indicators
    assert ranges["pct_veerkrachtig"] == (0.0, 100.0)
    for name in [*CODEBOOK.scales, *CODEBOOK.resource_groups]:
        assert ranges[name] == (0.0, 10.0), name


# --- monitor_area_estimates -----------------------------------------------------------------

RANGES = {"happiness": (0.0, 10.0), "pct_veerkrachtig": (0.0, 100.0)}


def _area_estimates() -> pd.DataFrame:
    rows = [
        # edition, level, code, indicator, estimate, lower, upper, n, n_eff, unweighted, suppressed
        (EDITION, "provincie", "PV30", "happiness", 7.2, 7.1, 7.3, 1993, 1590.5, 7.25, False),
        (EDITION, "provincie", "PV30", "pct_veerkrachtig", 91.0, 84.0, 100.0, 1990, 1588.0, 89.0, False),
        (EDITION, "gemeente", "GM0855", "happiness", 0.0, 0.0, 0.4, 10, 10.0, 0.0, False),  # at the bounds
        (EDITION, "gemeente", "GM0855", "pct_veerkrachtig", 40.0, 16.0, 64.0, 12, 9.5, 41.7, False),
        (EDITION, "gemeente", "GM0744", "happiness", None, None, None, 3, 3.0, None, True),
        (EDITION, "gemeente", "GM0744", "pct_veerkrachtig", None, None, None, 0, 0.0, None, True),
    ]
    columns = ["edition", "area_level", "area_code", "indicator", "estimate", "ci_lower", "ci_upper",
               "n_respondents", "n_effective", "unweighted_estimate", "suppressed"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["suppression_reason"] = [None, None, None, None, "fewer than 10 respondents", "no respondents"]
    return frame


@pytest.fixture(scope="module")
def area_specs():
    return mc.area_estimates_suite(RANGES)


def _areas(frame, specs):
    return _run(mc.area_estimates_frame(frame), specs, mc.SUITE_AREA_ESTIMATES)


def test_area_estimates_pass(area_specs):
    _passes(_areas(_area_estimates(), area_specs))


def test_area_estimates_pass_with_the_codebook_ranges():
    frame = _area_estimates()
    assert set(frame["indicator"]) <= set(mc.indicator_ranges(CODEBOOK))
    outcome = _areas(frame, mc.area_estimates_suite(mc.indicator_ranges(CODEBOOK)))
    # only the completeness of the indicator list fails on this two-indicator frame
    assert [o.column for o in outcome.failures] == ["indicator"]


@pytest.mark.parametrize(
    ("row", "column", "value", "meaning"),
    [
        (0, "estimate", 10.5, "estimate of happiness lies within 0..10"),
        (3, "estimate", 100.5, "estimate of pct_veerkrachtig lies within 0..100"),
        (2, "unweighted_estimate", -0.1, "unweighted_estimate of happiness lies within 0..10"),
        (1, "ci_upper", 100.2, "ci_upper of pct_veerkrachtig lies within 0..100"),
    ],
)
def test_area_estimates_outside_indicator_range(area_specs, row, column, value, meaning):
    frame = _area_estimates()
    frame.loc[row, column] = value
    _fails(_areas(frame, area_specs), column, meaning, unexpected=1)


def test_area_estimates_happiness_on_the_share_scale_fails(area_specs):
    frame = _area_estimates()
    frame.loc[0, ["estimate", "ci_lower", "ci_upper"]] = [72.0, 71.0, 73.0]  # a percentage in a 0..10 indicator
    outcome = _areas(frame, area_specs)
    for column in ("estimate", "ci_lower", "ci_upper"):
        _fails(outcome, column, "of happiness lies within 0..10", unexpected=1)


def test_area_estimates_interval_misses_estimate(area_specs):
    frame = _area_estimates()
    frame.loc[3, "ci_lower"] = 45.0  # above the estimate 40
    _fails(_areas(frame, area_specs), "estimate / ci_lower", "ci_lower <= estimate", unexpected=1)
    frame = _area_estimates()
    frame.loc[0, "ci_upper"] = 7.0  # below the estimate 7.2
    _fails(_areas(frame, area_specs), "ci_upper / estimate", "estimate <= ci_upper", unexpected=1)


def test_area_estimates_shown_cell_without_interval(area_specs):
    frame = _area_estimates()
    frame.loc[1, "ci_lower"] = None
    _fails(_areas(frame, area_specs), "ci_lower", "not suppressed", unexpected=1)


def test_area_estimates_effective_n_above_n(area_specs):
    frame = _area_estimates()
    frame.loc[3, "n_effective"] = 12.5  # n_respondents 12
    _fails(_areas(frame, area_specs), mc.N_EFFECTIVE_RATIO, "n_effective <= n_respondents", unexpected=1)


def test_area_estimates_effective_n_rounding_is_tolerated(area_specs):
    frame = _area_estimates()
    frame.loc[2, "n_effective"] = 10 * (1 + 1e-14)  # equal weights: Kish n = n up to rounding
    _passes(_areas(frame, area_specs))


def test_area_estimates_duplicate_key(area_specs):
    frame = _area_estimates()
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    _fails(_areas(frame, area_specs), "edition / area_level / area_code / indicator", "one row per edition, area level, area and indicator", unexpected=2)


def test_area_estimates_indicator_missing(area_specs):
    frame = _area_estimates()
    frame = frame[frame["indicator"] != "pct_veerkrachtig"]
    _fails(_areas(frame, area_specs), "indicator", "every indicator of the codebook is published")


# --- monitor_typology -----------------------------------------------------------------------

TYPES = list(CODEBOOK.typology["types"])


def _typology() -> pd.DataFrame:
    rows = []
    for code, shares, n, suppressed in [
        ("PV30", [56.4, 13.5, 20.2, 9.9], 2045, False),
        ("GM0855", [100.0, 0.0, 0.0, 0.0], 12, False),  # a share may be 0 or 100
        ("GM0744", [None] * 4, 3, True),
    ]:
        for type_, share in zip(TYPES, shares):
            rows.append(
                {
                    "edition": EDITION, "area_level": "provincie" if code == "PV30" else "gemeente", "area_code": code,
                    "type": type_, "share": share,
                    "ci_lower": None if share is None else max(0.0, share - 2.0),
                    "ci_upper": None if share is None else min(100.0, share + 2.0),
                    "n_respondents": n, "n_effective": n * 0.8, "suppressed": suppressed,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def typology_specs():
    return mc.typology_suite(TYPES)


def _types(frame, specs):
    return _run(mc.typology_frame(frame), specs, mc.SUITE_TYPOLOGY)


def test_typology_pass(typology_specs):
    _passes(_types(_typology(), typology_specs))


def test_typology_without_types_pass():
    _passes(_types(_typology(), mc.typology_suite()))


def test_typology_shares_do_not_sum_to_100(typology_specs):
    frame = _typology()
    frame.loc[1, ["share", "ci_lower", "ci_upper"]] = [3.5, 1.5, 5.5]  # PV30 now sums to 90
    failure = _fails(_types(frame, typology_specs), mc.AREA_SHARE_TOTAL, "sum to 100", unexpected=4)
    assert float(failure.examples[0]) == pytest.approx(90.0)


def test_typology_share_above_100(typology_specs):
    frame = _typology()
    frame.loc[4, "share"] = 100.5
    _fails(_types(frame, typology_specs), "share", "share lies within 0..100", unexpected=1)


def test_typology_interval_misses_share(typology_specs):
    frame = _typology()
    frame.loc[0, "ci_upper"] = 55.0
    _fails(_types(frame, typology_specs), "ci_upper / share", "share <= ci_upper", unexpected=1)


def test_typology_partly_suppressed_area(typology_specs):
    frame = _typology()
    frame.loc[frame["area_code"] == "GM0855", "suppressed"] = [False, False, True, False]
    frame.loc[6, ["share", "ci_lower", "ci_upper"]] = None
    outcome = _types(frame, typology_specs)
    _fails(outcome, mc.AREA_TYPES_CONSISTENT, "same typed respondents", unexpected=4)


def test_typology_missing_type(typology_specs):
    frame = _typology().drop(index=[11])  # one type of the suppressed area
    _fails(_types(frame, typology_specs), mc.AREA_TYPE_COUNT, "each of the 4 types", unexpected=3)


# --- monitor_trend --------------------------------------------------------------------------


def _trend() -> pd.DataFrame:
    rows = [
        # level, code, indicator, from, to, estimate_from, estimate_to, half width, suppressed
        ("provincie", "PV30", "veerkracht_score", 6.9, 7.2, 0.1, False),  # significant rise
        ("gemeente", "GM1959", "veerkracht_score", 7.0, 7.1, 0.3, False),  # not significant
        ("gemeente", "GM0855", "pct_veerkrachtig", 60.0, 50.0, 8.0, False),  # significant fall
        ("buurt", "BU08550101", "pct_veerkrachtig", 55.0, 54.0, 20.0, False),
        ("gemeente", "GM0744", "veerkracht_score", None, None, None, True),
    ]
    records = []
    for level, code, indicator, before, after, half, suppressed in rows:
        shown = not suppressed
        difference = after - before if shown else None
        records.append(
            {
                "area_level": level, "area_code": code, "indicator": indicator,
                "edition_from": 2016, "edition_to": 2018,
                "estimate_from": before, "estimate_to": after, "difference": difference,
                "ci_lower": difference - half if shown else None,
                "ci_upper": difference + half if shown else None,
                "significant": abs(difference) > half if shown else None,
                "n_from": 100 if shown else 4, "n_to": 120 if shown else 3,
                "suppressed": suppressed,
            }
        )
    frame = pd.DataFrame(records)
    assert frame["significant"].tolist() == [True, False, True, False, None]
    return frame


@pytest.fixture(scope="module")
def trend_specs():
    return mc.trend_suite(mc.indicator_ranges(CODEBOOK))


def _changes(frame, specs):
    return _run(mc.trend_frame(frame), specs, mc.SUITE_TREND)


def test_trend_pass(trend_specs):
    _passes(_changes(_trend(), trend_specs))


def test_trend_pass_without_ranges():
    _passes(_changes(_trend(), mc.trend_suite()))


def test_trend_difference_not_to_minus_from(trend_specs):
    frame = _trend()
    frame.loc[1, "difference"] += 1e-6
    _fails(_changes(frame, trend_specs), mc.DIFFERENCE_ERROR, "difference = estimate_to - estimate_from", unexpected=1)


def test_trend_difference_sign_reversed(trend_specs):
    frame = _trend()
    frame.loc[0, "difference"] = -frame.loc[0, "difference"]
    outcome = _changes(frame, trend_specs)
    _fails(outcome, mc.DIFFERENCE_ERROR, "difference = estimate_to - estimate_from", unexpected=1)
    _fails(outcome, "difference / ci_lower", "ci_lower <= difference", unexpected=1)


def test_trend_significant_inconsistent(trend_specs):
    frame = _trend()
    frame["significant"] = frame["significant"].astype(object)
    frame.loc[1, "significant"] = True  # interval (-0.2, 0.4) contains 0
    frame.loc[2, "significant"] = False  # interval (-18, -2) excludes 0
    _fails(_changes(frame, trend_specs), f"significant / {mc.INTERVAL_EXCLUDES_ZERO}", "excludes 0", unexpected=2)


def test_trend_interval_misses_difference(trend_specs):
    frame = _trend()
    frame.loc[3, "ci_upper"] = -2.0  # difference -1
    _fails(_changes(frame, trend_specs), "ci_upper / difference", "difference <= ci_upper", unexpected=1)


def test_trend_estimate_outside_range(trend_specs):
    frame = _trend()
    frame.loc[0, ["estimate_to", "difference"]] = [11.0, 11.0 - 6.9]
    frame.loc[0, ["ci_lower", "ci_upper"]] = [4.0, 4.2]
    _fails(_changes(frame, trend_specs), "estimate_to", "lies within 0..10", unexpected=1)


def test_trend_suppressed_change_shows_difference(trend_specs):
    frame = _trend()
    frame.loc[4, "difference"] = 0.5
    _fails(_changes(frame, trend_specs), "difference", "suppressed change shows no difference", unexpected=1)


def test_trend_editions_reversed(trend_specs):
    frame = _trend()
    frame.loc[2, ["edition_from", "edition_to"]] = [2018, 2016]
    _fails(_changes(frame, trend_specs), "edition_to / edition_from", "later than", unexpected=1)


# --- monitor_resource_importance ------------------------------------------------------------


def _importance() -> pd.DataFrame:
    r2 = 0.4
    resources = [("mastery", "persoonlijk", 0.2), ("trust", "sociaal", 0.12), ("safety", "omgeving", 0.08)]
    groups = [("persoonlijk", 0.2), ("sociaal", 0.12), ("omgeving", 0.08)]
    rows = [
        {"level": "resource", "resource": name, "resource_group": group, "rank": rank, "std_coefficient": 0.3 - 0.1 * rank,
         "ci_lower": 0.25 - 0.1 * rank, "ci_upper": 0.35 - 0.1 * rank, "shapley_r2": value}
        for rank, (name, group, value) in enumerate(resources, start=1)
    ] + [
        {"level": "group", "resource": name, "resource_group": name, "rank": rank, "std_coefficient": math.nan,
         "ci_lower": math.nan, "ci_upper": math.nan, "shapley_r2": value}
        for rank, (name, value) in enumerate(groups, start=1)
    ]
    frame = pd.DataFrame(rows)
    frame["importance_share"] = frame["shapley_r2"] / r2 * 100
    frame["top10"] = frame["level"] == "resource"
    return frame.assign(edition=EDITION, r2_total=r2, n_respondents=1595, n_excluded=476)


@pytest.fixture(scope="module")
def importance_specs():
    return mc.resource_importance_suite()


def _importance_run(frame, specs):
    return _run(mc.resource_importance_frame(frame), specs, mc.SUITE_RESOURCE_IMPORTANCE)


def test_resource_importance_pass(importance_specs):
    _passes(_importance_run(_importance(), importance_specs))


def test_resource_importance_codebook_sets():
    outcome = _importance_run(_importance(), mc.resource_importance_suite(CODEBOOK))
    # the groups are complete; three resources are not all 14 of the codebook
    assert [o.meaning for o in outcome.failures] == ["the resources are the codebook's 14 resource scales"]


def test_resource_importance_shares_do_not_sum_to_100(importance_specs):
    frame = _importance()
    frame.loc[4, "importance_share"] = 20.0  # sociaal: was 30
    failure = _fails(_importance_run(frame, importance_specs), mc.LEVEL_SHARE_TOTAL, "sum to 100 per edition", unexpected=3)
    assert float(failure.examples[0]) == pytest.approx(90.0)


def test_resource_importance_share_on_0_1_scale_fails(importance_specs):
    frame = _importance()
    frame["importance_share"] = frame["importance_share"] / 100
    _fails(_importance_run(frame, importance_specs), mc.LEVEL_SHARE_TOTAL, "sum to 100", unexpected=6)


def test_resource_importance_share_above_100(importance_specs):
    frame = _importance()
    frame.loc[0, "importance_share"] = 120.0
    _fails(_importance_run(frame, importance_specs), "importance_share", "within 0..100", unexpected=1)


def test_resource_importance_duplicate_rank(importance_specs):
    frame = _importance()
    frame.loc[1, "rank"] = 1
    outcome = _importance_run(frame, importance_specs)
    _fails(outcome, "edition / level / rank", "ranks are unique per edition and level", unexpected=2)
    _fails(outcome, mc.RANK_FOLLOWS_SHAPLEY, "rank follows shapley_r2", unexpected=1)


def test_resource_importance_rank_beyond_level(importance_specs):
    frame = _importance()
    frame.loc[5, "rank"] = 4  # three groups
    _fails(_importance_run(frame, importance_specs), f"{mc.LEVEL_SIZE} / rank", "rank <= the number", unexpected=1)


def test_resource_importance_ranks_swapped(importance_specs):
    frame = _importance()
    frame.loc[[0, 2], "rank"] = [3, 1]
    _fails(_importance_run(frame, importance_specs), mc.RANK_FOLLOWS_SHAPLEY, "rank follows shapley_r2", unexpected=2)


def test_resource_importance_coefficient_outside_interval(importance_specs):
    frame = _importance()
    frame.loc[2, "std_coefficient"] = 0.5
    _fails(_importance_run(frame, importance_specs), "ci_upper / std_coefficient", "std_coefficient <= ci_upper", unexpected=1)


# --- monitor_resource_importance_regio: per regio, a regio without n enough suppressed -------


def _regio_importance() -> pd.DataFrame:
    shown = _importance().assign(regio_code="CR35", regio_name="Noordoost-Noord-Brabant", suppressed=False, suppression_reason=None)
    hidden = _importance().assign(regio_code="CR33", regio_name="West-Noord-Brabant", suppressed=True,
                                  suppression_reason="fewer than 700 complete respondents (50 per resource) for the regression",
                                  n_respondents=412)  # fmt: skip
    for column in ("std_coefficient", "ci_lower", "ci_upper", "shapley_r2", "importance_share", "r2_total", "rank"):
        hidden[column] = math.nan
    return pd.concat([shown, hidden], ignore_index=True)


def _regio_run(frame):
    return _run(mc.regio_importance_frame(frame), mc.resource_importance_suite(by=mc.REGIO), mc.SUITE_REGIO_IMPORTANCE)


def test_regio_importance_passes_with_a_suppressed_regio():
    _passes(_regio_run(_regio_importance()))


def test_regio_importance_shares_add_up_per_regio():
    frame = _regio_importance()
    frame.loc[0, "importance_share"] = 40.0  # mastery in CR35: was 50
    _fails(_regio_run(frame), mc.LEVEL_SHARE_TOTAL, "sum to 100 per edition and regio_code", unexpected=3)


def test_a_suppressed_regio_shows_no_figure():
    from data_quality.suites.published_marts import DISCLOSED_TABLES, mart_suite

    (mart,) = [t for t in DISCLOSED_TABLES if t.name == "monitor_resource_importance_regio"]
    frame = _regio_importance()
    _passes(_run(frame, mart_suite(mart)))
    frame.loc[6, "importance_share"] = 50.0  # CR33 is suppressed
    _fails(_run(frame, mart_suite(mart)), "importance_share", "not published where suppressed is true", unexpected=1)


# --- monitor_scale_reliability --------------------------------------------------------------


def _reliability() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "edition": [EDITION] * 4,
            "scale": ["mastery", "buurtbinding", "veerkracht_score", "veranderbereidheid"],
            "scale_label": ["a", "b", "c", "d"],
            "n_items": [5, 3, 5, 3],
            "cronbach_alpha": [0.83, 0.77, -0.2, 1.0],  # alpha can be negative; 1 is the maximum
            "n_valid": [1803, 1899, 0, 1951],
        }
    )


@pytest.fixture(scope="module")
def reliability_specs():
    return mc.scale_reliability_suite(CODEBOOK)


def test_scale_reliability_pass(reliability_specs):
    _passes(_run(_reliability(), reliability_specs))
    _passes(_run(_reliability(), mc.scale_reliability_suite()))


@pytest.mark.parametrize(
    ("column", "value", "failing_column", "meaning"),
    [
        ("cronbach_alpha", 1.2, "cronbach_alpha", "cronbach_alpha <= 1"),
        ("n_valid", -1, "n_valid", "n_valid >= 0"),
        ("n_items", 1, "n_items", "at least 2 items"),
        ("n_items", 4, "scale / n_items", "its number of items"),
    ],
)
def test_scale_reliability_corrupted(reliability_specs, column, value, failing_column, meaning):
    frame = _reliability()
    frame.loc[0, column] = value
    _fails(_run(frame, reliability_specs), failing_column, meaning, unexpected=1)


def test_scale_reliability_duplicate_scale(reliability_specs):
    frame = pd.concat([_reliability(), _reliability().iloc[[1]]], ignore_index=True)
    _fails(_run(frame, reliability_specs), "edition / scale", "one row per edition and scale", unexpected=2)


# --- wiring helper --------------------------------------------------------------------------


def test_content_suites_cover_every_monitor_table():
    suites = {s.table: s for s in content_suites(CODEBOOK)}
    assert set(suites) == {
        "monitor_area_estimates", "monitor_typology", "monitor_trend", "monitor_resource_importance", "monitor_scale_reliability",
        "monitor_profiles", "monitor_resources_by_resilience", "monitor_resource_importance_regio",
    }
    frame = _area_estimates()
    assert mc.N_EFFECTIVE_RATIO in suites["monitor_area_estimates"].frame(frame).columns
    assert mc.N_EFFECTIVE_RATIO not in frame.columns  # the helper does not touch the rows it is given


def test_a_missing_column_fails_the_suite_instead_of_the_helper(trend_specs):
    frame = _trend().drop(columns=["significant"])
    outcome = _changes(frame, trend_specs)
    _fails(outcome, None, "the columns of methodology section 8")
    assert any(o.column == f"significant / {mc.INTERVAL_EXCLUDES_ZERO}" and not o.success for o in outcome.outcomes)
