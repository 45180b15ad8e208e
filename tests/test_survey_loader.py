"""The survey loader types every codebook column and refuses what cannot be typed, naming the
file, the column, the lines and the values."""

import pandas as pd
import pytest

from monitor.codebook import load_codebook
from monitor.landing.survey import SurveyFileError, load_survey


def _valid_rows(n: int = 3) -> pd.DataFrame:
    codebook = load_codebook()
    row = {name: "1" for name in codebook.column_names}
    row.update(resp_id="R1", edition="2018", gemeente_code="GM0772", buurt_code="BU07720000", age="40", design_weight="12.5")
    frame = pd.DataFrame([row] * n)
    frame["resp_id"] = [f"R{i}" for i in range(n)]
    return frame


def _write(tmp_path, frame: pd.DataFrame, name: str = "survey.csv", **to_csv) -> object:
    path = tmp_path / name
    frame.to_csv(path, index=False, **to_csv)
    return path


def test_valid_file_is_typed_by_the_codebook(tmp_path):
    loaded = load_survey(_write(tmp_path, _valid_rows()), 2018)
    frame = loaded.frame
    assert str(frame["age"].dtype) == "Int64"
    assert str(frame["design_weight"].dtype) == "Float64"
    assert frame["_landing_edition"].eq(2018).all()
    assert frame["_source_row"].tolist() == [2, 3, 4]  # lines in the file, header is line 1


def test_semicolon_delimiter_and_upper_case_names_are_accepted(tmp_path):
    frame = _valid_rows().rename(columns=str.upper)
    loaded = load_survey(_write(tmp_path, frame, sep=";"), 2018)
    assert "gemeente_code" in loaded.frame.columns and len(loaded.frame) == 3


def test_empty_cells_become_missing_and_design_weight_defaults_to_one(tmp_path):
    frame = _valid_rows().drop(columns="design_weight")
    frame.loc[0, ["buurt_code", "coping_1"]] = ""
    loaded = load_survey(_write(tmp_path, frame), 2018)
    assert loaded.defaulted_columns == ["design_weight"]
    assert loaded.frame["design_weight"].eq(1.0).all()
    assert pd.isna(loaded.frame.loc[0, "buurt_code"]) and pd.isna(loaded.frame.loc[0, "coping_1"])


def test_extra_columns_are_kept(tmp_path):
    frame = _valid_rows().assign(interviewer="A")
    loaded = load_survey(_write(tmp_path, frame), 2018)
    assert loaded.extra_columns == ["interviewer"]
    assert loaded.frame["interviewer"].eq("A").all()


def test_missing_required_column_refuses_the_file(tmp_path):
    path = _write(tmp_path, _valid_rows().drop(columns=["coping_3", "age"]))
    with pytest.raises(SurveyFileError) as err:
        load_survey(path, 2018)
    assert str(path) in str(err.value) and "coping_3" in str(err.value) and "age" in str(err.value)


def test_untypable_values_are_named_with_lines_and_values(tmp_path):
    frame = _valid_rows(5)
    frame.loc[1, "age"] = "abc"
    frame.loc[3, "age"] = "41.5"
    frame.loc[2, "safety"] = "x"
    with pytest.raises(SurveyFileError) as err:
        load_survey(_write(tmp_path, frame), 2018)
    message = str(err.value)
    assert "column age: 2 row(s) are not whole numbers" in message
    assert "[3, 5]" in message and "abc" in message
    assert "column safety: 1 row(s)" in message


HEADER = ",".join(load_codebook().required_columns)


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "empty"),
        (f"{HEADER}\n".encode(), "header only"),
        (f"{HEADER}\nR\xeb1{',1' * (HEADER.count(','))}\n".encode("latin-1"), "not UTF-8"),
        (b"resp_id,edition\nR1,2018\n", "required column"),  # the header contract before any value
    ],
)
def test_unreadable_files_are_refused_clearly(tmp_path, content, expected):
    path = tmp_path / "survey.csv"
    path.write_bytes(content)
    with pytest.raises(SurveyFileError, match=expected):
        load_survey(path, 2018)


def test_parquet_input_reads_the_same(tmp_path):
    frame = _valid_rows()
    csv_frame = load_survey(_write(tmp_path, frame), 2018).frame
    parquet = tmp_path / "survey.parquet"
    frame.to_parquet(parquet)
    parquet_frame = load_survey(parquet, 2018).frame
    pd.testing.assert_frame_equal(
        csv_frame.drop(columns="_source_file"), parquet_frame.drop(columns="_source_file")
    )


def test_spss_delivery_reads_like_the_csv_and_keeps_its_value_labels(tmp_path):
    from monitor.demo import generate_demo_edition

    for survey_format in ("csv", "sav"):
        generate_demo_edition(tmp_path / survey_format / "landing", 2018, seed=3, n_respondents=300,
                              population_fraction=0.02, survey_format=survey_format)
    from_csv = load_survey(tmp_path / "csv" / "landing" / "2018" / "survey.csv", 2018)
    from_sav = load_survey(tmp_path / "sav" / "landing" / "2018" / "survey.sav", 2018)
    pd.testing.assert_frame_equal(
        from_csv.frame.drop(columns=["_source_file"]), from_sav.frame.drop(columns=["_source_file"])
    )
    assert from_csv.value_labels == {}
    assert from_sav.value_labels["sex"][2] == "vrouw"
    assert from_sav.value_labels["coping_1"][8] == "weet niet"
