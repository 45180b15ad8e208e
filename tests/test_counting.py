"""The checks count in DuckDB what Great Expectations would find on the same rows
(data_quality/counting.py): for every kind of expectation the suites use, on a frame with
planted defects (bad codes, NULLs, duplicates, swapped pairs, out-of-range values, row
conditions), the counted result and GX's own validation of the frame agree on success, element
count, unexpected count and the first unexpected values."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe
import numpy as np
import pandas as pd
import pytest

from data_quality.expectations import Expect
from data_quality.runner import ephemeral_context, validate_frame

ROWS = 60


def planted_rows() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "_source_row": np.arange(2, ROWS + 2),
            "resp_id": [f"R{i:04d}" for i in range(ROWS)],
            "gemeente_code": rng.choice(["GM0796", "GM0855", "GM0772"], ROWS).astype(object),
            "age": rng.integers(16, 90, ROWS).astype(float),
            "weight": rng.uniform(0.2, 5.0, ROWS),
            "lower": rng.uniform(0, 1, ROWS),
            "suppressed": rng.random(ROWS) < 0.3,
            "region_type": rng.choice(["Gemeente", "Buurt"], ROWS).astype(object),
        }
    )
    frame["upper"] = frame["lower"] + rng.uniform(0, 1, ROWS)
    frame["copy"] = frame["gemeente_code"]
    frame.loc[[3, 17], "gemeente_code"] = "GM9999"  # a foreign gemeente
    frame.loc[[5, 40], "age"] = [12.0, 130.0]  # out of range
    frame.loc[[8, 9, 22], "age"] = np.nan  # missing
    frame.loc[[11], "resp_id"] = "R0010"  # a duplicated id
    frame.loc[[14, 33], ["lower", "upper"]] = frame.loc[[14, 33], ["upper", "lower"]].to_numpy()  # swapped
    frame.loc[[20], "copy"] = "GM0000"
    frame.loc[[25, 26], "weight"] = np.nan
    frame.loc[[30], "region_type"] = "buurt"
    frame.loc[[31], ["gemeente_code", "region_type"]] = ["GM0855", "Gemeente"]
    frame.loc[[32], ["gemeente_code", "region_type"]] = ["GM0855", "Gemeente"]
    return frame


SPECS = [
    Expect("ExpectColumnValuesToBeInSet", "known gemeente", {"column": "gemeente_code", "value_set": ["GM0796", "GM0855", "GM0772"]}),
    Expect("ExpectColumnValuesToNotBeInSet", "no placeholder", {"column": "copy", "value_set": ["GM0000"]}),
    Expect("ExpectColumnValuesToBeBetween", "an adult age", {"column": "age", "min_value": 16, "max_value": 100}),
    Expect("ExpectColumnValuesToBeBetween", "mostly adult", {"column": "age", "min_value": 16, "max_value": 100, "mostly": 0.9}),
    Expect("ExpectColumnValuesToBeBetween", "strictly positive", {"column": "weight", "min_value": 0, "strict_min": True}),
    Expect("ExpectColumnValuesToNotBeNull", "age answered", {"column": "age"}),
    Expect("ExpectColumnValuesToBeNull", "no weight when suppressed", {"column": "weight", "row_condition": "suppressed == True", "condition_parser": "pandas"}),
    Expect("ExpectColumnValuesToBeUnique", "one row per respondent", {"column": "resp_id"}),
    Expect("ExpectColumnValuesToMatchRegex", "a CBS code", {"column": "gemeente_code", "regex": r"^GM0[0-9]{3}$"}),
    Expect("ExpectColumnValuesToBeInSet", "a region type", {"column": "region_type", "value_set": ["Gemeente", "Buurt"], "row_condition": 'gemeente_code=="GM0855"', "condition_parser": "pandas"}),
    Expect("ExpectColumnPairValuesAToBeGreaterThanB", "upper above lower", {"column_A": "upper", "column_B": "lower", "or_equal": True}),
    Expect("ExpectColumnPairValuesToBeEqual", "the copy", {"column_A": "gemeente_code", "column_B": "copy"}),
    Expect("ExpectColumnPairValuesToBeInSet", "pairs", {"column_A": "region_type", "column_B": "suppressed", "value_pairs_set": [("Gemeente", True), ("Gemeente", False), ("Buurt", True), ("Buurt", False)]}),
    Expect("ExpectCompoundColumnsToBeUnique", "one row per area", {"column_list": ["gemeente_code", "region_type"]}),
    Expect("ExpectTableColumnsToMatchSet", "the columns", {"column_set": ["resp_id", "age", "postcode"], "exact_match": False}),
    Expect("ExpectTableRowCountToBeBetween", "enough rows", {"min_value": 10, "max_value": 50}),
    Expect("ExpectTableRowCountToEqual", "all rows", {"value": ROWS}),
    Expect("ExpectColumnDistinctValuesToEqualSet", "every type", {"column": "region_type", "value_set": ["Gemeente", "Buurt"]}),
    Expect("ExpectColumnMaxToBeBetween", "no old age", {"column": "age", "max_value": 100}),
    Expect("ExpectColumnMinToBeBetween", "no child", {"column": "age", "min_value": 16}),
    Expect("ExpectColumnToExist", "a weight", {"column": "weight"}),
]


def gx_on_frame(frame: pd.DataFrame, specs: list[Expect]):
    """GX's own validation of the frame (string columns as object: GX 1.24 cannot name pandas
    3's string dtype)."""
    strings = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
    batch = (
        ephemeral_context()
        .data_sources.add_pandas("reference")
        .add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame.astype({c: object for c in strings})})
    )
    suite = gx.ExpectationSuite(
        name="reference",
        expectations=[getattr(gxe, s.kind)(**s.kwargs, meta={"spec": i}) for i, s in enumerate(specs)],
    )
    result = batch.validate(suite, result_format={"result_format": "SUMMARY", "unexpected_index_column_names": ["_source_row"]})
    return {r.expectation_config.meta["spec"]: r for r in result.results}


def plain(value):
    """A value as Python shows it, whatever library made it (numpy scalars in GX's results;
    a missing value is NaN in a frame, NULL in DuckDB)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(plain(v) for v in value)
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and np.isnan(value) else value


@pytest.fixture(scope="module")
def both():
    frame = planted_rows()
    return validate_frame(frame, "planted", "planted rows", SPECS), gx_on_frame(frame, SPECS)


@pytest.mark.parametrize("index", range(len(SPECS)), ids=[f"{s.kind}:{s.meaning}" for s in SPECS])
def test_counted_in_duckdb_as_gx_counts_on_the_frame(both, index):
    counted, reference = both
    mine, theirs = counted.outcomes[index], reference[index]
    result = theirs.result or {}
    assert mine.success == theirs.success, (mine, result)
    assert mine.element_count == result.get("element_count")
    assert mine.unexpected_count == result.get("unexpected_count", result.get("missing_count"))
    if result.get("unexpected_percent") is not None:
        assert mine.unexpected_percent == pytest.approx(result["unexpected_percent"])
    theirs_values = list(dict.fromkeys(str(plain(v)) for v in result.get("partial_unexpected_list") or []))
    assert mine.examples == theirs_values[: len(mine.examples)] and len(mine.examples) == min(5, len(theirs_values))
    theirs_lines = [int(i["_source_row"]) for i in result.get("partial_unexpected_index_list") or []]
    assert mine.rows == theirs_lines[:5]


def test_the_planted_defects_fail(both):
    """Not a vacuous agreement: most planted defects are failures in both."""
    counted, _ = both
    failing = {o.meaning for o in counted.outcomes if not o.success}
    assert {"known gemeente", "an adult age", "age answered", "one row per respondent", "upper above lower",
            "the copy", "one row per area", "the columns", "enough rows", "no old age", "no child"} <= failing
    assert "mostly adult" not in failing and "all rows" not in failing


def test_a_long_value_set_counts_as_a_short_one():
    """A set longer than counting.LONG_SET is matched by a join: the same counts and values as
    the IN list, also on a column of another type than the set's values."""
    from data_quality.counting import LONG_SET

    frame = pd.DataFrame({"_source_row": range(2, 8), "code": ["a1", "a2", "zz", None, "a3", "yy"], "n": [1, 2, 3, 4, 5, 600]})
    long_codes = [f"a{i}" for i in range(LONG_SET + 50)]
    long_numbers = [str(i) for i in range(LONG_SET + 50)]
    specs = [
        Expect("ExpectColumnValuesToBeInSet", "long", {"column": "code", "value_set": long_codes}),
        Expect("ExpectColumnValuesToBeInSet", "short", {"column": "code", "value_set": ["a1", "a2", "a3"]}),
        Expect("ExpectColumnValuesToNotBeInSet", "long, not", {"column": "code", "value_set": long_codes}),
        Expect("ExpectColumnValuesToBeInSet", "long text, numeric column", {"column": "n", "value_set": long_numbers}),
    ]
    long, short, long_not, numeric = validate_frame(frame, "sets", "rows", specs).outcomes
    assert (long.unexpected_count, long.examples, long.rows) == (short.unexpected_count, short.examples, short.rows) == (2, ["zz", "yy"], [4, 7])
    assert long_not.unexpected_count == 3 and long_not.rows == [2, 3, 6]
    assert numeric.error is None and numeric.unexpected_count == 1 and numeric.rows == [7]
