"""The demo data generator: deterministic, true to the codebook and to the CBS file format,
and with the planted truth the pipeline is meant to recover."""

from __future__ import annotations

import csv
import filecmp
import json
import re

import numpy as np
import pandas as pd
import pytest

from monitor.cbs import kwb_variables
from monitor.cbs.kwb import base_name, load_kwb
from monitor.cbs.statline import statline_key
from monitor.codebook import load_codebook
from monitor.demo import generate_demo_edition
from monitor.demo.cbs_layout import stretch
from monitor.demo.habits import EDITION_HABITS, NUENEN, REAL_2017_VARIABLES, KwbHabits, absent_variables, write_kwb
from monitor.demo.kwb import buurt_traits, simulate_buurt_figures, statline_frame
from monitor.demo.layout import build_layout, read_gemeenten
from monitor.reference import SEEDS, brabant_gemeenten, profile_categories
from tests.conftest import SHARED_CBS

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


REAL_2017 = SHARED_CBS / "kwb_2017_83765NED_nl_subset.csv"
REAL_COUNTS_2017 = SHARED_CBS / "brabant_wijk_buurt_counts_2017.csv"
needs_real_2017 = pytest.mark.skipif(not REAL_2017.exists(), reason=f"real CBS export {REAL_2017} is absent")


def _kwb_codes(path, edition) -> list[str]:
    """The region code of every row in file order, rejected rows included (by their row key,
    which CBS writes even on a row cut at a comma)."""
    load = load_kwb(path, edition)
    rows = [(r, c) for r, c in zip(load.frame["_source_row"], load.frame["region_code"])]
    rows += [(r, k.strip()) for r, k in zip(load.rejected["source_row"], load.rejected["WijkenEnBuurten"])]
    return [code for _, code in sorted(rows)]


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
    kinds = truth["weak_buurten_by_kind"]
    assert 6 <= len(kinds["predicted"]) <= 8 and 1 <= len(kinds["hidden"]) <= 8
    assert sorted(kinds["predicted"] + kinds["hidden"]) == truth["weak_buurten"]
    assert truth["weak_buurt_effect"] < -0.5
    for code in truth["weak_buurten"]:
        buurt = buurten[code]
        assert buurt["inhabitants"] >= 300
        assert gemeenten[buurt["gemeente_code"]]["veerkracht_score"] > province
        assert buurt["veerkracht_score"] < gemeenten[buurt["gemeente_code"]]["veerkracht_score"]
    # one weak buurt per gemeente, so that the gemeente itself stays above the province
    assert len({buurten[c]["gemeente_code"] for c in truth["weak_buurten"]}) == len(truth["weak_buurten"])


def _profiles(truth) -> pd.DataFrame:
    return pd.DataFrame(truth["profiles"])


@pytest.mark.parametrize("edition", EDITIONS)
def test_profile_truth_has_every_true_category_of_every_characteristic(truths, edition):
    """Every characteristic of the codebook's profiles and every category monitor_profiles has
    for the edition, but the unknown one: no answer is a response artefact, not a category of
    the population (monitor/demo/profiles.py)."""
    codebook = load_codebook()
    unknown = codebook.profiles["unknown_category"]["code"]
    expected = {name: sorted(c for c in categories if c != unknown)
                for name, categories in profile_categories(codebook, edition).items()}
    profiles = _profiles(truths[edition])
    found = profiles.groupby("characteristic")["category"].apply(sorted).to_dict()
    assert found == expected
    assert not profiles.duplicated(["characteristic", "category"]).any()
    indicators = ["veerkracht_score", "pct_veerkrachtig", *codebook.resource_groups, "veranderbereidheid"]
    assert profiles[indicators].notna().all().all() and (profiles["adults"] > 0).all()
    assert profiles["veerkracht_score"].between(0, 10).all() and profiles["pct_veerkrachtig"].between(0, 100).all()


def test_profile_compositions_add_up_and_reproduce_the_province(truth):
    """Per characteristic: both compositions add up to 100, the difference is theirs, the
    categories' adults add up to the province's and their means average to the province's."""
    province = truth["province"]
    for name, rows in _profiles(truth).groupby("characteristic"):
        for column in ("share_among_resilient", "share_among_less_resilient"):
            assert rows[column].between(0, 100).all(), (name, column)
            assert rows[column].sum() == pytest.approx(100, abs=0.01 * len(rows)), (name, column)
        difference = rows["share_among_resilient"] - rows["share_among_less_resilient"]
        assert np.allclose(rows["difference"], difference, atol=0.002), name
        assert rows["adults"].sum() == pytest.approx(province["adults"], abs=len(rows)), name
        for indicator in ("veerkracht_score", "pct_veerkrachtig", "veranderbereidheid"):
            mean = np.average(rows[indicator], weights=rows["adults"])
            assert mean == pytest.approx(province[indicator], abs=0.002 * max(1, province[indicator])), (name, indicator)
        # the composition among the resilient is the categories' resilient adults
        resilient = rows["adults"] * rows["pct_veerkrachtig"]
        assert np.allclose(100 * resilient / resilient.sum(), rows["share_among_resilient"], atol=0.02), name


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_planted_education_gradient_and_age_pattern_are_in_the_truth(truths, edition):
    """The order truth.json's profile_effects announce is the order of the recorded truth, on
    veerkracht_score, pct_veerkrachtig and the personal resources, and clear: hoog at least
    0.6 points above laag, 18-24 at least 1 point above 65+; the higher educated are a larger
    share of the resilient than of the less resilient, the lower educated a smaller one."""
    truth = truths[edition]
    effects = truth["profile_effects"]
    profiles = _profiles(truth).set_index(["characteristic", "category"])
    for characteristic, minimum_gap in (("education", 0.6), ("age_band", 1.0), ("paid_work", 0.4)):
        order = effects[characteristic]["order"]
        rows = profiles.loc[characteristic].loc[order]
        for indicator in ("veerkracht_score", "pct_veerkrachtig", "persoonlijk"):
            assert rows[indicator].is_monotonic_increasing and rows[indicator].is_unique, (characteristic, indicator)
        assert rows["veerkracht_score"].iloc[-1] - rows["veerkracht_score"].iloc[0] > minimum_gap, characteristic
        assert rows["difference"].iloc[0] < -5 and rows["difference"].iloc[-1] > 5, characteristic
    assert effects["background_nonresponse"]["share"] > 0


def test_resources_by_resilience_truth_favours_the_resilient(truth):
    """Every resource scale and group once; the resilient have more of every resource (every
    planted effect is positive), most of all the personal group."""
    codebook = load_codebook()
    table = pd.DataFrame(truth["resources_by_resilience"]).set_index("indicator")
    resources = [s.name for g in codebook.resource_groups for s in codebook.scales_in_group(g)]
    assert sorted(table.index) == sorted(resources + codebook.resource_groups)
    assert (table.loc[codebook.resource_groups, "indicator_kind"] == "resource_group").all()
    assert table.loc[resources, "resource_group"].to_dict() == {s: codebook.scales[s].group for s in resources}
    assert (table["difference"] > 0.3).all()
    assert np.allclose(table["difference"], table["estimate_resilient"] - table["estimate_less_resilient"], atol=0.002)
    groups = table.loc[truth["resource_group_order"], "difference"]
    assert groups.is_monotonic_decreasing, "the planted group order shows in the differences"


def test_hidden_weak_buurten_look_average_on_the_cbs_figures():
    """The hidden kind is chosen on average deprivation (the CBS composite the latent model
    uses) and about its gemeente's score before planting; the predicted kind is the most
    deprived. Checked on the chooser's input, which the truth file does not carry."""
    from monitor.demo.truth import HIDDEN_MAX_DEPRIVATION_Z, choose_hidden_weak_buurten

    rng = np.random.default_rng(1)
    n = 400
    buurten = pd.DataFrame({
        "buurt_code": [f"BU{i:08d}" for i in range(n)], "gemeente_code": [f"GM{i % 20:04d}" for i in range(n)],
        "inhabitants": 1000, "gemeente_inhabitants": 20_000, "score": 7.0 + rng.normal(0, 0.3, n),
        "deprivation": rng.normal(0, 1.2, n), "expected_respondents": rng.uniform(5, 40, n),
    })
    gemeenten = pd.Series(7.0, index=[f"GM{i:04d}" for i in range(20)])
    chosen = buurten.set_index("buurt_code").loc[choose_hidden_weak_buurten(buurten, gemeenten, 6.5, ["GM0000"], rng)]
    assert len(chosen) == 8 and chosen["gemeente_code"].nunique() == 8 and "GM0000" not in set(chosen["gemeente_code"])
    assert (chosen["deprivation"].abs() <= HIDDEN_MAX_DEPRIVATION_Z).all()
    assert (chosen["expected_respondents"] >= 15).all()


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
    codes = _kwb_codes(editions[edition].kwb_path, edition)
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
    codes = {e: _kwb_codes(d.kwb_path, e) for e, d in editions.items()}
    for gemeente in ("0772", "0855", "1723"):  # Eindhoven, Tilburg, Alphen-Chaam
        own = {e: [c for c in codes[e] if c[2:6] == gemeente] for e in EDITIONS}
        assert own[2016] == own[2018] == own[2020] and len(own[2016]) > 3
    altena = [c for c in codes[2020] if c.startswith("BU1959")]
    predecessors = [c for c in codes[2018] if c.startswith("BU") and "GM" + c[2:6] in ALTENA_PREDECESSORS]
    assert len(altena) == len(predecessors) > 0


def test_cbs_figures_drift_slowly(editions):
    def buurten(edition):
        frame = load_kwb(editions[edition].kwb_path, edition).frame
        frame = frame[frame["region_type"] == "Buurt"]
        return frame.set_index("region_code").assign(
            inhabitants=lambda f: f["AantalInwoners"].astype(float),
            income=lambda f: f["GemiddeldInkomenPerInwoner"].astype(float),
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


@pytest.mark.parametrize("edition", [2016, 2020])  # the editions with habits (2018: above)
def test_the_same_seed_gives_the_same_editions(editions, tmp_path, edition):
    again = generate_demo_edition(tmp_path / "landing", edition, **SMALL)
    for name in ("kwb_path", "survey_path", "truth_path"):
        assert getattr(again, name).read_bytes() == getattr(editions[edition], name).read_bytes(), name


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


# -- habits of real CBS exports (monitor/demo/habits.py) --------------------------------------
def _lines(path) -> list[str]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path}: StatLine CSVs start with a UTF-8 BOM"
    return raw.decode("utf-8-sig").split("\n")[:-1]


def _null_columns(frame: pd.DataFrame) -> list[str]:
    return [name for name in kwb_variables() if name in frame and frame[name].isna().all()]


def test_only_some_editions_have_habits_and_2018_stays_clean():
    assert EDITION_HABITS[2018] == KwbHabits(), "the test fixtures are built on a clean 2018"
    assert EDITION_HABITS[2016].variables is not None
    assert EDITION_HABITS[2020].damaged_gemeenten == (NUENEN,)
    assert EDITION_HABITS[2020].secret_columns == ("Koopwoningen",)


def test_2016_has_the_columns_of_the_real_2017_export_in_its_shape(editions, truths):
    path = editions[2016].kwb_path
    load = load_kwb(path, 2016)
    absent = ["HuishoudensTotaal", "Eenpersoonshuishoudens", "GemiddeldeHuishoudensgrootte", "Koopwoningen",
              "PersonenPerSoortUitkeringBijstand", "MateVanStedelijkheid", "Omgevingsadressendichtheid"]
    assert absent_variables(EDITION_HABITS[2016]) == absent
    assert [v for v in kwb_variables() if v not in load.frame.columns] == absent
    assert set(kwb_variables("weighting")) <= set(load.frame.columns), "weighting needs sex and age bands"
    assert load.rejected.empty and not _null_columns(load.frame)
    assert truths[2016]["absent_variables"] == editions[2016].summary["absent_variables"] == absent
    lines = _lines(path)
    assert lines[0].startswith("ID,WijkenEnBuurten,Gemeentenaam_1,SoortRegio_2,Codering_3,")
    assert "GemiddeldInkomenPerInwoner_66" in lines[0].split(",")
    rows = list(csv.reader(lines[1:]))
    assert all(len(row) == len(lines[0].split(",")) for row in rows)
    assert not any(line.startswith('"') for line in lines), "unquoted, like the real 2017 export"
    for row in rows:
        assert re.fullmatch(r"(GM\d{4}    |WK\d{6}  |BU\d{8})", row[1]) and row[1] == row[4]
        assert len(row[2]) == 40 and len(row[3]) == 10
        assert all(re.fullmatch(r"\d+(\.\d)?|       \.", cell) for cell in row[6:]), row
    cells = [cell for row in rows for cell in row[6:]]
    assert "       ." in cells and any(re.fullmatch(r"\d+\.\d", c) for c in cells)
    assert not any(c.endswith(".0") for c in cells), "one-decimal figures lose a zero decimal, as CBS writes them"


@needs_real_2017
def test_the_real_2017_export_has_the_variables_the_habit_names():
    header = REAL_2017.read_bytes().decode("utf-8-sig").split("\n", 1)[0].split(",")
    assert [base_name(k) for k in header if base_name(k) in kwb_variables()] == list(REAL_2017_VARIABLES)


@needs_real_2017
def test_the_demo_writes_values_as_the_real_2017_export_does(editions):
    def shapes(path):
        rows = list(csv.reader(_lines(path)[1:]))
        return {re.sub(r"\d", "9", cell) for row in rows if row[4].strip() for cell in row[6:]}

    cell = re.compile(r"9+(\.9)?|       \.")
    assert all(cell.fullmatch(c) for c in shapes(REAL_2017))
    assert all(cell.fullmatch(c) for c in shapes(editions[2016].kwb_path))


def test_2020_has_a_damaged_gemeente_without_respondents(editions, truths):
    edition = editions[2020]
    load = load_kwb(edition.kwb_path, 2020)
    nuenen = build_layout(2020, 2018).buurten.query("gemeente_code == @NUENEN")
    expected = {NUENEN, *nuenen.wijk_code, *nuenen.buurt_code}
    rejected = load.rejected
    assert {k.strip() for k in rejected["WijkenEnBuurten"]} == expected and len(rejected) == len(expected) == 14
    assert rejected["reason"].str.contains("the row was cut off, probably at a comma in the municipality name").all()
    assert (rejected["Gemeentenaam"] == "Nuenen").all()
    assert not load.frame["gemeente_code"].eq(NUENEN).any()
    for line in _lines(edition.kwb_path):
        if ",Nuenen," in line:  # as the real export: `10807,GM0820    ,Nuenen,,,,...`
            assert re.fullmatch(r"\d+,(GM0820    |WK0820\d\d  |BU0820\d{4}),Nuenen,*", line), line
            assert line.count(",") == _lines(edition.kwb_path)[0].count(",")
    survey = pd.read_csv(edition.survey_path, dtype=str, keep_default_na=False)
    assert not survey["gemeente_code"].eq(NUENEN).any() and not survey["buurt_code"].str.startswith("BU0820").any()
    record = truths[2020]["damaged_gemeenten"]
    assert [(d["code"], d["name"], d["respondents"]) for d in record] == [(NUENEN, "Nuenen, Gerwen en Nederwetten", 0)]
    assert record[0]["dropped_respondents"] > 10, "its sample answered; the delivery left them out"
    assert {g["code"]: g["respondents"] for g in truths[2020]["gemeenten"]}[NUENEN] == 0
    assert edition.summary["damaged_gemeenten"][NUENEN].startswith("Nuenen, Gerwen en Nederwetten: 0 respondents")
    assert edition.summary["respondents"] == len(survey)


def test_2020_has_a_variable_secret_in_every_row(editions, truths):
    load = load_kwb(editions[2020].kwb_path, 2020)
    assert _null_columns(load.frame) == ["Koopwoningen"]
    assert "Koopwoningen" in load.source_columns and load.source_columns["Koopwoningen"] == "Koopwoningen_40"
    assert truths[2020]["kwb_habits"]["secret_columns"] == ["Koopwoningen"]
    position = _lines(editions[2020].kwb_path)[0].split(",").index("Koopwoningen_40")
    rows = [row for row in csv.reader(_lines(editions[2020].kwb_path)[1:]) if row[4].strip()]
    assert {row[position] for row in rows} == {"       ."}


def test_2018_is_the_clean_odata_file(demo, truth):
    load = load_kwb(demo.kwb_path, 2018)
    assert load.rejected.empty and not _null_columns(load.frame)
    assert set(kwb_variables()) <= set(load.frame.columns)
    assert truth["kwb_habits"] == KwbHabits().describe() and truth["damaged_gemeenten"] == []


def test_habits_can_be_switched_off(editions, tmp_path):
    clean = generate_demo_edition(tmp_path / "landing", 2020, kwb_habits=False, **SMALL)
    load = load_kwb(clean.kwb_path, 2020)
    assert load.rejected.empty and not _null_columns(load.frame)
    assert _lines(clean.kwb_path)[0].startswith('"ID";"WijkenEnBuurten"')
    survey = pd.read_csv(clean.survey_path, dtype=str)
    assert survey["gemeente_code"].eq(NUENEN).sum() > 10
    habits = pd.read_csv(editions[2020].survey_path, dtype=str)
    assert len(survey) - len(habits) == json.loads(editions[2020].truth_path.read_text())[
        "damaged_gemeenten"][0]["dropped_respondents"], "only Nuenen's respondents differ"


def test_impossible_habits_are_refused(tmp_path):
    layout = build_layout(2018, 2018)
    figures = simulate_buurt_figures(buurt_traits(layout, 2018), np.random.default_rng(0), seed=2018)
    frame = statline_frame(layout, figures)
    with pytest.raises(ValueError, match="GM1959"):  # Altena does not exist in 2018
        write_kwb(frame, tmp_path / "kwb.csv", 2018, KwbHabits(damaged_gemeenten=("GM1959",)))
    with pytest.raises(ValueError, match="not among the variables written"):
        write_kwb(frame, tmp_path / "kwb.csv", 2018,
                  KwbHabits(variables=("AantalInwoners",), secret_columns=("Koopwoningen",)))
    with pytest.raises(ValueError, match="AantalInwoners"):
        write_kwb(frame, tmp_path / "kwb.csv", 2018, KwbHabits(variables=("Mannen",)))
    assert not (tmp_path / "kwb.csv").exists()


# -- a survey on the layout of a real CBS export (monitor/demo/cbs_layout.py) -----------------
def test_stretch_maps_in_order_of_size_and_handles_unequal_counts():
    synthetic = pd.Series({"S1": 10, "S2": 500, "S3": 40, "S4": 300, "S5": 0})
    real = pd.Series({"R1": 900.0, "R2": 5.0, "R3": 200.0})
    mapped = stretch(synthetic, real)
    assert mapped == {"S2": "R1", "S4": "R1", "S3": "R3", "S1": "R3", "S5": "R2"}
    assert set(mapped.values()) == set(real.index), "with more synthetic buurten every real one is used"
    fewer = stretch(pd.Series({"S1": 100, "S2": 7}), pd.Series({"R1": 50.0, "R2": None, "R3": 80.0, "R4": 3.0}))
    assert fewer == {"S1": "R3", "S2": "R4"}, "largest onto largest, the order stretched over the real ones"


@pytest.fixture(scope="module")
def on_real_2017(tmp_path_factory):
    if not REAL_2017.exists():
        pytest.skip(f"real CBS export {REAL_2017} is absent")
    root = tmp_path_factory.mktemp("real_2017")
    return {
        keep: generate_demo_edition(root / str(keep) / "landing", 2017, cbs_layout=REAL_2017,
                                    keep_unusable_respondents=keep, **SMALL)
        for keep in (False, True)
    }


@pytest.fixture(scope="module")
def real_2017_rows():
    frame = load_kwb(REAL_2017, 2017).frame
    return frame.set_index("region_code")


def test_cbs_layout_copies_the_real_file_and_places_every_respondent_in_it(on_real_2017, real_2017_rows):
    written = on_real_2017[False]
    assert filecmp.cmp(written.kwb_path, REAL_2017, shallow=False), "kwb.csv is the delivered file, unchanged"
    survey = pd.read_csv(written.survey_path, dtype=str, keep_default_na=False)
    with_buurt = survey[survey["buurt_code"] != ""]
    buurten = real_2017_rows[real_2017_rows["region_type"] == "Buurt"]
    assert with_buurt["buurt_code"].isin(buurten.index).all(), "every buurt_code is a Buurt of the real file"
    assert (buurten.loc[with_buurt["buurt_code"], "gemeente_code"].to_numpy() == with_buurt["gemeente_code"]).all()
    assert survey["gemeente_code"].isin(real_2017_rows.index).all()
    assert not survey["gemeente_code"].eq(NUENEN).any(), "Nuenen's rows are unusable: no respondents there"
    assert with_buurt["buurt_code"].nunique() > 500  # of 1,885 usable buurten, with 2,000 respondents
    small = buurten.loc[with_buurt["buurt_code"], "AantalInwoners"].astype(float) < 50
    assert small.mean() < 0.03, "respondents live where the real file says people live"


def test_cbs_layout_truth_and_summary_are_on_the_real_codes(on_real_2017, real_2017_rows):
    written = on_real_2017[False]
    truth = json.loads(written.truth_path.read_text(encoding="utf-8"))
    real_buurten = set(real_2017_rows.index[real_2017_rows["region_type"] == "Buurt"])
    nuenen = {b["code"] for b in truth["buurten"] if b["gemeente_code"] == NUENEN}
    assert {b["code"] for b in truth["buurten"]} - nuenen <= real_buurten
    assert set(truth["weak_buurten"]) <= real_buurten
    assert sum(g["respondents"] for g in truth["gemeenten"]) == written.summary["respondents"]
    layout = written.summary["cbs_layout"]
    assert truth["cbs_layout"] == layout and written.summary["kwb_file"] == f"copy of {REAL_2017.name}"
    assert [g["gemeente_code"] for g in layout["unusable_gemeenten"]] == [NUENEN]
    assert layout["unequal_counts"] == [] and layout["rejected_rows"] == 14
    assert re.fullmatch(r"\d+ dropped", layout["respondents_in_unusable_gemeenten"])


@needs_real_2017
def test_the_real_2017_counts_are_the_demo_layout_counts_but_for_nuenen(real_2017_rows):
    counts = pd.read_csv(REAL_COUNTS_2017, dtype={"gm_code": str}).set_index("gm_code")
    demo = build_layout(2017, 2018).gemeenten.set_index("gemeente_code")
    assert (demo["n_wijken"] == counts["n_wijken"]).all() and (demo["n_buurten"] == counts["n_buurten"]).all()
    rows = real_2017_rows[real_2017_rows["gemeente_code"].isin(demo.index)]
    real = rows[rows["region_type"] == "Buurt"].groupby("gemeente_code").size().reindex(demo.index, fill_value=0)
    differ = real[real != demo["n_buurten"]]
    assert differ.to_dict() == {NUENEN: 0}


def test_cbs_layout_can_keep_the_respondents_of_an_unusable_gemeente(on_real_2017, real_2017_rows):
    kept = on_real_2017[True]
    survey = pd.read_csv(kept.survey_path, dtype=str, keep_default_na=False)
    nuenen = survey[survey["gemeente_code"] == NUENEN]
    dropped = pd.read_csv(on_real_2017[False].survey_path, dtype=str)
    assert len(nuenen) == len(survey) - len(dropped) > 10
    codes = nuenen.loc[nuenen["buurt_code"] != "", "buurt_code"]
    assert codes.str.startswith("BU0820").all() and not codes.isin(real_2017_rows.index).any(), \
        "kept on their synthetic codes, which the real file does not have"
    assert kept.summary["cbs_layout"]["respondents_in_unusable_gemeenten"] == \
        f"{len(nuenen)} kept on the synthetic buurt codes"
    assert filecmp.cmp(kept.kwb_path, REAL_2017, shallow=False)


def test_cbs_layout_of_another_region_is_refused(tmp_path):
    amsterdam = SHARED_CBS / "kwb_2019_84583NED_amsterdam.csv"
    if not amsterdam.exists():
        pytest.skip(f"real CBS export {amsterdam} is absent")
    with pytest.raises(ValueError, match="none of the 62 gemeenten"):
        generate_demo_edition(tmp_path / "landing", 2019, cbs_layout=amsterdam, **SMALL)
    assert not (tmp_path / "landing").exists(), "nothing written"


def test_cli_refuses_a_cbs_layout_for_more_than_one_edition(tmp_path, monkeypatch, capsys):
    from orchestration.cli import main

    monkeypatch.setenv("MONITOR_LANDING", str(tmp_path / "landing"))
    assert main(["demo-data", "--cbs-layout", str(tmp_path / "kwb.csv")]) == 2
    assert "give that edition once with --edition YEAR" in capsys.readouterr().err
    assert main(["demo-data", "--edition", "2017", "--cbs-layout", str(tmp_path / "kwb.csv")]) == 2
    assert "not a file" in capsys.readouterr().err


def test_cbs_layout_is_deterministic(on_real_2017, tmp_path):
    again = generate_demo_edition(tmp_path / "landing", 2017, cbs_layout=REAL_2017, **SMALL)
    for name in ("kwb_path", "survey_path", "truth_path"):
        assert getattr(again, name).read_bytes() == getattr(on_real_2017[False], name).read_bytes(), name
