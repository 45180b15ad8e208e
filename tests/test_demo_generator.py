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
from monitor.reference import SEEDS, brabant_gemeenten

SMALL = {"n_respondents": 2000, "population_fraction": 0.05}
EDITIONS = (2016, 2018, 2020)
MEIERIJSTAD_PREDECESSORS = ("GM0844", "GM0846", "GM0860")
ALTENA_PREDECESSORS = ("GM0738", "GM0870", "GM0874")


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    landing = tmp_path_factory.mktemp("demo") / "landing"
    return {edition: generate_demo_edition(landing, edition, **SMALL) for edition in EDITIONS}


@pytest.fixture(scope="module")
def demo(editions):
    return editions[2018]


@pytest.fixture(scope="module")
def truths(editions):
    return {e: json.loads(d.truth_path.read_text(encoding="utf-8")) for e, d in editions.items()}


def _kwb_codes(path) -> list[str]:
    lines = path.read_bytes().decode("utf-8-sig").splitlines()
    rows = list(csv.reader(lines, delimiter=";"))
    return [row[4].strip() for row in rows[1:]]


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


def test_unknown_edition_or_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="2015"):
        generate_demo_edition(tmp_path, 2015, **SMALL)
    with pytest.raises(ValueError, match="survey_format"):
        generate_demo_edition(tmp_path, 2018, survey_format="xlsx", **SMALL)


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


# -- three editions ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("edition", "n_gemeenten", "present", "absent"),
    [
        (2016, 66, MEIERIJSTAD_PREDECESSORS + ALTENA_PREDECESSORS, ("GM1948", "GM1959")),
        (2018, 64, ("GM1948",) + ALTENA_PREDECESSORS, MEIERIJSTAD_PREDECESSORS + ("GM1959",)),
        (2020, 62, ("GM1948", "GM1959"), MEIERIJSTAD_PREDECESSORS + ALTENA_PREDECESSORS),
    ],
)
def test_each_edition_has_its_own_municipal_layout(editions, truths, edition, n_gemeenten, present, absent):
    codes = _kwb_codes(editions[edition].kwb_path)
    gemeenten = {c for c in codes if c.startswith("GM")}
    assert len(gemeenten) == n_gemeenten == editions[edition].summary["gemeenten"]
    assert set(present) <= gemeenten and not set(absent) & gemeenten
    assert gemeenten == set(brabant_gemeenten(edition).gemeente_code), "the layout matches the pipeline's seed"
    assert sum(c.startswith("WK") for c in codes) == 441 and sum(c.startswith("BU") for c in codes) == 1895
    assert {c[2:6] for c in codes} == {g[2:] for g in gemeenten}, "wijk and buurt codes carry their gemeente"
    assert 2_450_000 < editions[edition].summary["inhabitants"] < 2_580_000
    assert len(truths[edition]["gemeenten"]) == n_gemeenten
    assert truths[edition]["layout"]["gemeenten"] == n_gemeenten
    survey = pd.read_csv(editions[edition].survey_path, dtype=str, keep_default_na=False)
    assert set(survey.gemeente_code) <= gemeenten and (survey.edition == str(edition)).all()


def test_meierijstad_predecessors_in_2016(truths):
    gemeenten = {g["code"]: g for g in truths[2016]["gemeenten"]}
    sizes = {c: gemeenten[c]["inhabitants"] for c in MEIERIJSTAD_PREDECESSORS}
    assert [gemeenten[c]["name"] for c in MEIERIJSTAD_PREDECESSORS] == ["Schijndel", "Sint-Oedenrode", "Veghel"]
    assert sizes["GM0860"] > sizes["GM0844"] > sizes["GM0846"] > 15_000
    meierijstad = {g["code"]: g for g in truths[2018]["gemeenten"]}["GM1948"]["inhabitants"]
    assert abs(sum(sizes.values()) / meierijstad - 1) < 0.05


def test_unchanged_gemeenten_keep_their_codes_and_areas_persist(editions):
    codes = {e: _kwb_codes(d.kwb_path) for e, d in editions.items()}
    for gemeente in ("0772", "0855", "1723"):  # Eindhoven, Tilburg, Alphen-Chaam
        own = {e: [c for c in codes[e] if c[2:6] == gemeente] for e in EDITIONS}
        assert own[2016] == own[2018] == own[2020] and len(own[2016]) > 3
    altena = [c for c in codes[2020] if c.startswith("BU1959")]
    predecessors = [c for c in codes[2018] if c.startswith("BU") and "GM" + c[2:6] in ALTENA_PREDECESSORS]
    assert len(altena) == len(predecessors) > 0


def test_cbs_figures_drift_slowly(editions):
    def buurten(edition):
        frame = pd.read_csv(editions[edition].kwb_path, sep=";", dtype=str, encoding="utf-8-sig")
        frame = frame[frame["SoortRegio_2"].str.strip() == "Buurt"]
        income = [c for c in frame.columns if c.startswith("GemiddeldInkomenPerInwoner")][0]
        return frame.set_index(frame["Codering_3"].str.strip()).assign(
            inhabitants=lambda f: pd.to_numeric(f["AantalInwoners_5"].str.strip()),
            income=lambda f: pd.to_numeric(f[income].str.strip(), errors="coerce"),
        )

    a, b = buurten(2016), buurten(2020)
    common = a.index.intersection(b.index)
    assert len(common) > 1700
    big = common[a.loc[common, "inhabitants"] > 500]
    ratio = b.loc[big, "inhabitants"] / a.loc[big, "inhabitants"]
    assert 0.9 < ratio.median() < 1.1 and ratio.between(0.8, 1.25).all()
    known = big[a.loc[big, "income"].notna() & b.loc[big, "income"].notna()]
    assert np.corrcoef(a.loc[known, "income"], b.loc[known, "income"])[0, 1] > 0.95
    assert (b.loc[known, "income"] - a.loc[known, "income"]).median() > 0, "incomes rise"


def test_independent_samples_with_unique_ids(editions):
    ids = [set(pd.read_csv(d.survey_path, dtype=str).resp_id) for d in editions.values()]
    assert all(len(i) > 1500 for i in ids)
    assert not (ids[0] & ids[1]) and not (ids[1] & ids[2]) and not (ids[0] & ids[2])


def test_planted_change_is_in_the_truth(truths):
    change = truths[2020]["planted_change"]
    assert (change["from_edition"], change["to_edition"], change["indicator"]) == (2018, 2020, "veerkracht_score")
    assert -0.35 < change["province"] < -0.25
    assert change["regions"]["CR36"] == pytest.approx(-0.5)
    assert all(v > change["regions"]["CR36"] for r, v in change["regions"].items() if r != "CR36")
    assert truths[2018]["planted_change"]["from_edition"] == 2016
    assert truths[2018]["planted_change"]["province"] == pytest.approx(0.05)

    def province(e, key="veerkracht_score"):
        return truths[e]["province"][key]

    assert province(2020) - province(2018) == pytest.approx(change["province"], abs=0.05)
    assert province(2018) - province(2016) == pytest.approx(0.05, abs=0.05)
    assert province(2020, "pct_veerkrachtig") - province(2018, "pct_veerkrachtig") < -2
    regions = {e: {r["code"]: r for r in truths[e]["regions"]} for e in (2018, 2020)}
    for code, planted in change["regions"].items():
        realised = regions[2020][code]["veerkracht_score"] - regions[2018][code]["veerkracht_score"]
        assert realised == pytest.approx(planted, abs=0.08), code


def test_harmonised_gemeente_differences_can_be_computed(truths):
    before = {g["code"]: g for g in truths[2018]["gemeenten"]}
    after = {g["code"]: g for g in truths[2020]["gemeenten"]}
    changes = pd.read_csv(SEEDS / "gemeente_changes.csv")
    predecessors = changes[changes.to_code == "GM1959"].from_code.tolist()
    adults = np.array([before[c]["adults"] for c in predecessors])
    harmonised = np.average([before[c]["veerkracht_score"] for c in predecessors], weights=adults)
    difference = after["GM1959"]["veerkracht_score"] - harmonised
    assert after["GM1959"]["corop_code"] == "CR34"
    assert -0.45 < difference < 0.0, "Altena (CR34) declines like its region"
    assert abs(after["GM1959"]["adults"] / adults.sum() - 1) < 0.06


def test_gemeente_changes_seed_lists_the_real_changes():
    changes = pd.read_csv(SEEDS / "gemeente_changes.csv", dtype=str)
    assert list(changes.columns) == ["from_code", "from_name", "to_code", "to_name", "change_year", "kind"]
    rows = {(r.from_code, r.to_code, r.change_year, r.kind) for r in changes.itertuples()}
    assert {(c, "GM1948", "2017", "merger") for c in MEIERIJSTAD_PREDECESSORS} <= rows
    assert {(c, "GM1959", "2019", "merger") for c in ALTENA_PREDECESSORS} <= rows
    assert set(changes.kind) == {"merger", "split"}
    assert set(changes[changes.from_code == "GM0788"].kind) == {"split"}
    assert set(changes[changes.to_code == "GM1982"].from_code) == {"GM0756", "GM1684", "GM0786", "GM0815", "GM1702"}
    assert set(changes[changes.to_code == "GM1991"].from_code) == {"GM1685", "GM0856"}


def test_the_same_seed_gives_the_same_editions(editions, tmp_path):
    again = generate_demo_edition(tmp_path / "landing", 2020, **SMALL)
    for name in ("kwb_path", "survey_path", "truth_path"):
        assert getattr(again, name).read_bytes() == getattr(editions[2020], name).read_bytes(), name


# -- other survey formats ---------------------------------------------------------------------
@pytest.mark.parametrize("survey_format", ["sav", "parquet"])
def test_survey_as_sav_or_parquet_holds_the_csv_values(demo, survey, tmp_path, survey_format):
    written = generate_demo_edition(tmp_path / "landing", survey_format=survey_format, **SMALL)
    assert written.survey_path == tmp_path / "landing" / "2018" / f"survey.{survey_format}"
    assert not (tmp_path / "landing" / "2018" / "survey.csv").exists()
    assert written.truth_path.read_bytes() == demo.truth_path.read_bytes()
    if survey_format == "sav":
        import pyreadstat

        frame, meta = pyreadstat.read_sav(str(written.survey_path), apply_value_formats=False)
        codebook = load_codebook()
        item = codebook.items[0]
        labels = meta.variable_value_labels[item.name]
        assert {int(k): v for k, v in labels.items()} == {**item.response.values, **item.response.missing}
        assert meta.column_names_to_labels[item.name] == item.wording
        assert {int(k) for k in meta.variable_value_labels["sex"]} == {1, 2, 3, 9}
        again = generate_demo_edition(tmp_path / "again" / "landing", survey_format="sav", **SMALL)
        assert again.survey_path.read_bytes() == written.survey_path.read_bytes()
    else:
        frame = pd.read_parquet(written.survey_path)
    assert list(frame.columns) == list(survey.columns) and len(frame) == len(survey)
    for name in survey.columns:
        expected, got = survey[name], frame[name]
        if name in ("resp_id", "gemeente_code", "buurt_code"):
            assert (got.fillna("").astype(str) == expected).all(), name
        else:
            numbers = pd.to_numeric(expected.replace("", np.nan))
            np.testing.assert_allclose(pd.to_numeric(got).astype(float), numbers.astype(float), err_msg=name)
