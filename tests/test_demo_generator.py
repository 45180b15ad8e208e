"""The demo data generator: deterministic, true to the codebook and to the CBS file format,
and with the planted truth the pipeline is meant to recover."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pandas as pd
import pytest

from monitor.cbs.statline import statline_key
from monitor.codebook import load_codebook
from monitor.demo import generate_demo_edition
from monitor.demo.layout import read_gemeenten

SMALL = {"n_respondents": 2000, "population_fraction": 0.05}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate_demo_edition(tmp_path_factory.mktemp("demo") / "landing", **SMALL)


@pytest.fixture(scope="module")
def survey(demo):
    return pd.read_csv(demo.survey_path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def kwb(demo):
    raw = demo.kwb_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "StatLine CSVs start with a UTF-8 BOM"
    lines = raw.decode("utf-8-sig").splitlines()
    assert all(line.startswith('"') and line.endswith('"') for line in lines), "every value is quoted"
    rows = list(csv.reader(lines, delimiter=";"))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def truth(demo):
    return json.loads(demo.truth_path.read_text(encoding="utf-8"))


def _column(header, rows, base_name, year=2018):
    position = header.index(statline_key(base_name, year))
    return [row[position] for row in rows]


def _numbers(cells):
    return np.array([np.nan if c.strip() == "." else float(c) for c in cells])


# -- determinism and paths --------------------------------------------------------------------
def test_same_seed_same_bytes_other_seed_differs(demo, tmp_path):
    again = generate_demo_edition(tmp_path / "a" / "landing", **SMALL)
    other = generate_demo_edition(tmp_path / "b" / "landing", seed=7, **SMALL)
    for name in ("kwb_path", "survey_path", "truth_path"):
        assert getattr(again, name).read_bytes() == getattr(demo, name).read_bytes(), name
    assert other.survey_path.read_bytes() != demo.survey_path.read_bytes()
    assert other.kwb_path.read_bytes() != demo.kwb_path.read_bytes()


def test_paths_and_refusal_to_overwrite(demo):
    landing = demo.kwb_path.parent.parent
    assert demo.kwb_path == landing / "2018" / "kwb.csv"
    assert demo.survey_path == landing / "2018" / "survey.csv"
    assert demo.truth_path == landing.parent / "demo_truth" / "2018" / "truth.json"
    with pytest.raises(FileExistsError, match="kwb.csv"):
        generate_demo_edition(landing, **SMALL)


def test_unknown_edition_is_refused(tmp_path):
    with pytest.raises(ValueError, match="2016"):
        generate_demo_edition(tmp_path, 2016, **SMALL)


# -- survey -----------------------------------------------------------------------------------
def test_survey_follows_the_codebook(survey, demo):
    codebook = load_codebook()
    assert list(survey.columns) == codebook.column_names
    for name in codebook.column_names:
        allowed = codebook.allowed_codes(name)
        if allowed is None:
            continue
        values = survey[name]
        bad = values[(values != "") & ~values.isin([str(code) for code in allowed])]
        assert bad.empty, f"{name}: invalid codes {sorted(bad.unique())[:5]}"
    assert (survey.edition == "2018").all()
    assert survey.age.astype(int).between(18, 105).all()
    assert (survey.design_weight.astype(float) > 0).all()
    assert abs(len(survey) - SMALL["n_respondents"]) < 0.05 * SMALL["n_respondents"]
    assert demo.summary["respondents"] == len(survey)


def test_survey_ids_areas_and_gaps(survey):
    codebook = load_codebook()
    assert survey.resp_id.is_unique
    assert survey.resp_id.str.fullmatch(r"R\d{7}").all()
    assert survey.gemeente_code.isin(read_gemeenten(2018).gemeente_code).all()
    with_buurt = survey[survey.buurt_code != ""]
    assert (with_buurt.buurt_code.str[2:6] == with_buurt.gemeente_code.str[2:6]).all()
    assert 0.01 < (survey.buurt_code == "").mean() < 0.06
    for item in codebook.items:
        missing = ~survey[item.name].isin([str(v) for v in item.response.values])
        assert 0.003 < missing.mean() < 0.07, item.name
    assert (survey[codebook.item_names] == "").to_numpy().any(), "some answers are empty cells"


def test_respondents_are_older_than_the_population(survey, kwb):
    header, rows = kwb
    gemeente = [r for r in rows if r[1].startswith("GM")]
    bands = {b: _numbers(_column(header, gemeente, b)).sum() for b in
             ("k_15Tot25Jaar", "k_25Tot45Jaar", "k_45Tot65Jaar", "k_65JaarOfOuder")}
    share_65_plus = bands["k_65JaarOfOuder"] / (0.7 * bands["k_15Tot25Jaar"] + sum(list(bands.values())[1:]))
    assert (survey.age.astype(int) >= 65).mean() > share_65_plus + 0.03


# -- CBS key figures --------------------------------------------------------------------------
def test_kwb_file_has_the_statline_shape(kwb):
    header, rows = kwb
    assert header[:6] == ["ID", "WijkenEnBuurten", "Gemeentenaam_1", "SoortRegio_2", "Codering_3",
                          "IndelingswijzigingWijkenEnBuurten_4"]
    assert "GemiddeldInkomenPerInwoner_66" in header  # the pre-2019 key number
    kinds = [row[3] for row in rows]
    assert kinds.count("Gemeente  ") == 64 and kinds.count("Wijk      ") == 441 and kinds.count("Buurt     ") == 1895
    for row in rows:
        assert len(row[1]) == len(row[4]) == 10 and row[1] == row[4]
        assert re.fullmatch(r"(GM\d{4}    |WK\d{6}  |BU\d{8})", row[4])
        assert len(row[2]) == 40
        assert all(len(cell) >= 8 and cell == cell.rjust(8) for cell in row[6:])
    assert any(cell == "       ." for row in rows for cell in row[6:]), "secret values are present"


def test_kwb_figures_add_up(kwb):
    header, rows = kwb
    codes = [row[4].strip() for row in rows]
    inhabitants = _numbers(_column(header, rows, "AantalInwoners"))
    is_gm = np.array([c.startswith("GM") for c in codes])
    is_bu = np.array([c.startswith("BU") for c in codes])
    assert inhabitants[is_gm].sum() == inhabitants[is_bu].sum() == 2_512_850
    buurt_totals = pd.Series(inhabitants[is_bu]).groupby([c[2:6] for c in np.array(codes)[is_bu]]).sum()
    gemeente_totals = pd.Series(inhabitants[is_gm], index=[c[2:6] for c in np.array(codes)[is_gm]])
    pd.testing.assert_series_equal(buurt_totals.sort_index(), gemeente_totals.sort_index(), check_names=False)
    sexes = _numbers(_column(header, rows, "Mannen")) + _numbers(_column(header, rows, "Vrouwen"))
    ages = sum(_numbers(_column(header, rows, band)) for band in
               ("k_0Tot15Jaar", "k_15Tot25Jaar", "k_25Tot45Jaar", "k_45Tot65Jaar", "k_65JaarOfOuder"))
    np.testing.assert_array_equal(sexes, inhabitants)
    np.testing.assert_array_equal(ages, inhabitants)
    assert (inhabitants[is_bu] < 50).any(), "some tiny buurten (industrial estates, rural)"


def test_kwb_covariates_hang_together(kwb):
    header, rows = kwb
    buurten = [r for r in rows if r[1].startswith("BU")]
    income = _numbers(_column(header, buurten, "GemiddeldInkomenPerInwoner"))
    low_income = _numbers(_column(header, buurten, "HuishoudensMetEenLaagInkomen"))
    density = _numbers(_column(header, buurten, "Omgevingsadressendichtheid"))
    known = ~np.isnan(income) & ~np.isnan(density)
    assert np.corrcoef(income[known], low_income[known])[0, 1] < -0.5
    assert np.corrcoef(income[known], np.log(density[known]))[0, 1] < -0.2
    small = _numbers(_column(header, buurten, "AantalInwoners")) < 200
    assert np.isnan(income[small]).all(), "income figures are secret below 200 inhabitants"


# -- truth ------------------------------------------------------------------------------------
def test_truth_has_the_planted_structure(truth, demo):
    codebook = load_codebook()
    assert truth["resource_group_order"] == ["persoonlijk", "sociaal", "omgeving"]
    assert set(truth["strongest_resources"]) <= set(codebook.scales) and len(truth["strongest_resources"]) == 5
    assert len(truth["gemeenten"]) == 64 and len(truth["buurten"]) == 1895 and len(truth["wijken"]) == 441
    assert sum(g["respondents"] for g in truth["gemeenten"]) == demo.summary["respondents"]
    province = truth["province"]["veerkracht_score"]
    assert 5 < province < 8.5
    assert 0.02 < abs(truth["province"]["unweighted_bias"]["veerkracht_score"]) < 0.3


def test_weak_buurten_lie_in_good_gemeenten(truth):
    gemeenten = {g["code"]: g for g in truth["gemeenten"]}
    buurten = {b["code"]: b for b in truth["buurten"]}
    province = truth["province"]["veerkracht_score"]
    assert 6 <= len(truth["weak_buurten"]) <= 10
    assert truth["weak_buurt_effect"] < -0.5
    for code in truth["weak_buurten"]:
        buurt = buurten[code]
        assert buurt["inhabitants"] >= 300
        assert gemeenten[buurt["gemeente_code"]]["veerkracht_score"] > province
        assert buurt["veerkracht_score"] < gemeenten[buurt["gemeente_code"]]["veerkracht_score"]
