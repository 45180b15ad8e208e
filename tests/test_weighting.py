"""Calibration weighting (methodology section 2) on synthetic respondents and CBS-like targets."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from monitor.statistics.weighting import AGE_BANDS, calibrate

EDITION = 2018
POP_AGE_SHARE = np.array([0.11, 0.32, 0.33, 0.24])
RESPONSE_BY_AGE = np.array([0.5, 0.7, 1.0, 1.4])  # older people answer more often
OUTCOME_BY_AGE = np.array([0.7, 0.5, 0.35, 0.2])  # the planted age effect
MEN_SHARE = 0.49
# 20 gemeenten in 2 regions; GM0001 (3 respondents), GM0002, GM0003, GM0011 and GM0012 are
# small, GM0013 has no respondents at all.
N_RESP = [3, 40, 80] + [250] * 7 + [60, 90, 0] + [300] * 7


def gemeenten() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "gemeente_code": [f"GM{i:04d}" for i in range(1, 21)],
            "corop_code": ["CR01"] * 10 + ["CR02"] * 10,
            "adults": rng.integers(5_000, 100_000, 20).astype(float),
            "n": N_RESP,
        }
    )


def make_targets(gem: pd.DataFrame, edition: int = EDITION) -> pd.DataFrame:
    rows = []
    for g in gem.itertuples():
        for band, share in zip(AGE_BANDS, POP_AGE_SHARE):
            rows.append((edition, g.gemeente_code, g.corop_code, "age_band", band, g.adults * share))
        rows.append((edition, g.gemeente_code, g.corop_code, "sex", "1", g.adults * MEN_SHARE))
        rows.append((edition, g.gemeente_code, g.corop_code, "sex", "2", g.adults * (1 - MEN_SHARE)))
    return pd.DataFrame(rows, columns=["edition", "gemeente_code", "corop_code", "margin", "category", "target_total"])


def make_respondents(gem: pd.DataFrame, seed: int = 1, edition: int = EDITION) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age_p = POP_AGE_SHARE * RESPONSE_BY_AGE / (POP_AGE_SHARE * RESPONSE_BY_AGE).sum()
    frames = []
    for g in gem.itertuples():
        n = g.n
        age = rng.choice(4, n, p=age_p)
        sex = pd.array(rng.choice([1, 2, 3, 0], n, p=[0.47, 0.51, 0.01, 0.01]), dtype="Int64")
        sex[sex == 0] = pd.NA
        frames.append(
            pd.DataFrame(
                {
                    "edition": edition,
                    "resp_id": [f"{g.gemeente_code}-{i}" for i in range(n)],
                    "gemeente_code": g.gemeente_code,
                    "corop_code": g.corop_code,
                    "sex": sex,
                    "age_band": np.array(AGE_BANDS)[age],
                    "design_weight": g.adults / max(n, 1) * rng.uniform(0.8, 1.2, n),
                    "outcome": rng.random(n) < OUTCOME_BY_AGE[age],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def data():
    gem = gemeenten()
    return gem, make_respondents(gem), make_targets(gem)


@pytest.fixture(scope="module")
def result(data):
    _, resp, tgt = data
    return calibrate(resp, tgt)


def assert_margins_met(cal) -> None:
    m = cal.margins
    rel = (m["weighted_total"] - m["target_total"]).abs() / m["target_total"]
    assert (rel < 0.001).all(), m[rel >= 0.001]
    # Sum of weights per domain = the domain's adult population.
    sums = cal.weights.groupby("raking_domain")["calibration_weight"].sum()
    pop = cal.gemeenten.groupby("raking_domain")["adult_population"].sum()
    assert np.allclose(sums.sort_index(), pop.sort_index(), rtol=1e-4)
    assert cal.domains["converged"].all()


def test_margins_reproduced_in_every_domain(result, data):
    gem, resp, _ = data
    assert_margins_met(result)
    assert len(result.weights) == len(resp)
    assert (result.weights["resp_id"].to_numpy() == resp["resp_id"].to_numpy()).all()  # caller's order
    assert result.weights["calibration_weight"].sum() == pytest.approx(gem["adults"].sum(), rel=1e-4)
    assert set(result.margins["margin"]) == {"sex", "age_band"}
    assert len(result.gemeenten) == 20


def test_trimming_bound_respected(result):
    assert (result.weights["weight_ratio"] <= 5.0 + 1e-6).all()
    assert (result.gemeenten["max_weight_ratio"].dropna() <= 5.0 + 1e-6).all()


def test_huge_design_weights_are_trimmed_and_reraked(data):
    gem, resp, tgt = data
    resp = resp.copy()
    big = resp.index[resp["gemeente_code"] == "GM0005"][:3]
    resp.loc[big, "design_weight"] *= 40
    cal = calibrate(resp, tgt, max_weight_ratio=4.0)
    assert_margins_met(cal)
    w = cal.weights
    assert (w["weight_ratio"] <= 4.0 + 1e-6).all()
    assert w.loc[big, "trimmed"].all()
    assert w.loc[big, "weight_ratio"].max() == pytest.approx(4.0, rel=1e-3)
    dom = cal.domains.set_index("raking_domain").loc["GM0005"]
    assert dom["rounds"] >= 1 and dom["converged"]
    # The ratio is to the mean of the domain: recompute it.
    d = w[w["raking_domain"] == "GM0005"]
    assert np.allclose(d["weight_ratio"], d["calibration_weight"] / d["calibration_weight"].mean())


def test_small_gemeenten_raked_in_their_region(result):
    g = result.gemeenten.set_index("gemeente_code")
    assert g.loc["GM0001", "n_respondents"] == 3
    small_1 = ["GM0001", "GM0002", "GM0003"]
    small_2 = ["GM0011", "GM0012", "GM0013"]
    assert (g.loc[small_1 + small_2, "raking_level"] == "regio").all()
    assert g.loc[small_1, "raking_domain"].nunique() == 1
    assert g.loc[small_2, "raking_domain"].nunique() == 1
    assert g.loc["GM0001", "raking_domain"] != g.loc["GM0011", "raking_domain"]
    large = g.index.difference(small_1 + small_2)
    assert (g.loc[large, "raking_level"] == "gemeente").all()
    assert (g.loc[large, "raking_domain"] == large).all()
    # The gemeente without respondents is in its region's pool, so the province total holds.
    assert g.loc["GM0013", "n_respondents"] == 0 and np.isnan(g.loc["GM0013", "kish_deff"])
    pool = result.domains.set_index("raking_domain").loc[g.loc["GM0011", "raking_domain"]]
    assert pool["n_gemeenten"] == 3 and pool["n_respondents"] == 150 and pool["raking_level"] == "regio"
    # The respondents carry the domain of their gemeente.
    w = result.weights
    assert (w["raking_domain"].to_numpy() == g.loc[w["gemeente_code"], "raking_domain"].to_numpy()).all()


def test_kish_deff_by_hand(result):
    w = result.weights.loc[result.weights["gemeente_code"] == "GM0007", "calibration_weight"].to_numpy()
    by_hand = len(w) * (w**2).sum() / w.sum() ** 2
    assert result.gemeenten.set_index("gemeente_code").loc["GM0007", "kish_deff"] == pytest.approx(by_hand)
    d = result.weights.loc[result.weights["raking_domain"] == "GM0007", "calibration_weight"].to_numpy()
    assert result.domains.set_index("raking_domain").loc["GM0007", "kish_deff"] == pytest.approx(
        len(d) * (d**2).sum() / d.sum() ** 2
    )
    assert (result.domains["kish_deff"] >= 1).all()


def test_sex_overig_keeps_its_share_and_men_women_split_as_cbs(result, data):
    gem, resp, _ = data
    domain = "GM0015"
    r = resp[resp["gemeente_code"] == domain]
    other = ~r["sex"].isin([1, 2]).fillna(False).astype(bool)
    assert other.sum() > 0
    share = r.loc[other, "design_weight"].sum() / r["design_weight"].sum()
    adults = gem.set_index("gemeente_code").loc[domain, "adults"]
    m = result.margins[(result.margins["raking_domain"] == domain) & (result.margins["margin"] == "sex")]
    m = m.set_index("category")
    assert m.loc["overig", "target_total"] == pytest.approx(share * adults)
    assert m.loc["1", "target_total"] == pytest.approx(MEN_SHARE * adults * (1 - share))
    assert m.loc["1", "target_total"] / m.loc["2", "target_total"] == pytest.approx(MEN_SHARE / (1 - MEN_SHARE))
    assert m["target_total"].sum() == pytest.approx(adults)
    w = result.weights.set_index("resp_id").loc[r["resp_id"], "calibration_weight"].to_numpy()
    assert w[other.to_numpy()].sum() == pytest.approx(share * adults, rel=1e-4)


def test_empty_age_band_is_merged_and_recorded(data):
    gem, resp, tgt = data
    resp = resp[~((resp["gemeente_code"] == "GM0016") & (resp["age_band"] == "18-24"))]
    cal = calibrate(resp, tgt)
    assert_margins_met(cal)
    dom = cal.domains.set_index("raking_domain")
    assert dom.loc["GM0016", "collapsed_categories"] == "age_band 18-24 merged into 25-44"
    assert (dom.drop(index="GM0016")["collapsed_categories"] == "").all()
    m = cal.margins[(cal.margins["raking_domain"] == "GM0016") & (cal.margins["margin"] == "age_band")]
    assert sorted(m["category"]) == ["18-24+25-44", "45-64", "65+"]
    adults = gem.set_index("gemeente_code").loc["GM0016", "adults"]
    merged = m.set_index("category").loc["18-24+25-44", "target_total"]
    assert merged == pytest.approx(adults * (POP_AGE_SHARE[0] + POP_AGE_SHARE[1]))
    assert m["target_total"].sum() == pytest.approx(adults)  # no population dropped


def test_weighting_corrects_planted_age_bias(data):
    gem, _, tgt = data
    # A bigger sample for a stable comparison; same design as the fixture.
    resp = make_respondents(gem.assign(n=[n * 3 for n in N_RESP]), seed=11)
    cal = calibrate(resp, tgt, min_respondents=300)  # keep GM0013 (no respondents) in a pool
    population_mean = float((POP_AGE_SHARE * OUTCOME_BY_AGE).sum())
    y = resp["outcome"].to_numpy(dtype=float)
    w = cal.weights["calibration_weight"].to_numpy()
    unweighted = y.mean()
    weighted = (w * y).sum() / w.sum()
    assert abs(unweighted - population_mean) > 0.03  # the bias is there
    assert abs(weighted - population_mean) < abs(unweighted - population_mean) / 3
    assert abs(weighted - population_mean) < 0.015


def test_editions_are_calibrated_separately_and_deterministically(data):
    gem, resp, tgt = data
    resp2 = make_respondents(gem, seed=5, edition=2019)
    both = calibrate(pd.concat([resp, resp2], ignore_index=True), pd.concat([tgt, make_targets(gem, 2019)]))
    alone = calibrate(resp2, make_targets(gem, 2019))
    w19 = both.weights[both.weights["edition"] == 2019].reset_index(drop=True)
    assert np.array_equal(w19["calibration_weight"].to_numpy(), alone.weights["calibration_weight"].to_numpy())
    assert set(both.domains["edition"]) == {2018, 2019}
    again = calibrate(resp2, make_targets(gem, 2019))
    assert again.weights.equals(alone.weights)


def test_too_few_respondents_for_the_bound_are_merged(data):
    _, resp, tgt = data
    # One young respondent in GM0004 would need a weight far above 5 x the mean to carry
    # the 18-24 margin: the band is merged instead, so trimming and raking both hold.
    young = resp.index[(resp["gemeente_code"] == "GM0004") & (resp["age_band"] == "18-24")]
    cal = calibrate(resp.drop(index=young[1:]), tgt)
    assert_margins_met(cal)
    assert (cal.weights["weight_ratio"] <= 5.0 + 1e-6).all()
    note = cal.domains.set_index("raking_domain").loc["GM0004", "collapsed_categories"]
    assert note.startswith("age_band 18-24 merged into 25-44 (1 respondent(s), too few")


def test_nonconvergence_is_reported_not_hidden(data):
    _, resp, tgt = data
    resp = resp.copy()
    big = resp.index[resp["gemeente_code"] == "GM0005"][:3]
    resp.loc[big, "design_weight"] *= 40
    with warnings.catch_warnings(record=True) as caught:  # other domains needing a trim warn too
        warnings.simplefilter("always")
        cal = calibrate(resp, tgt, max_weight_ratio=4.0, max_rounds=0)
    assert any("raking domain GM0005" in str(w.message) for w in caught if w.category is RuntimeWarning)
    dom = cal.domains.set_index("raking_domain")
    assert not dom.loc["GM0005", "converged"] and dom.loc["GM0005", "rounds"] == 0
    m = cal.margins  # the last step is a raking: the margins hold, the bound does not
    assert ((m["weighted_total"] - m["target_total"]).abs() / m["target_total"] < 0.001).all()
    assert cal.weights.loc[big, "weight_ratio"].max() > 4.0


def test_gemeente_without_targets_is_an_error(data):
    _, resp, tgt = data
    with pytest.raises(ValueError, match=r"GM0007 \(250 respondents\)"):
        calibrate(resp, tgt[tgt["gemeente_code"] != "GM0007"])


def test_region_pool_without_respondents_is_an_error(data):
    _, resp, tgt = data
    resp = resp[~resp["gemeente_code"].isin(["GM0011", "GM0012"])]
    with pytest.raises(ValueError, match="CR02"):
        calibrate(resp, tgt)


def test_inconsistent_targets_are_an_error(data):
    _, resp, tgt = data
    tgt = tgt.copy()
    tgt.loc[(tgt["gemeente_code"] == "GM0009") & (tgt["category"] == "65+"), "target_total"] *= 2
    with pytest.raises(ValueError, match="GM0009"):
        calibrate(resp, tgt)


def test_a_category_that_cannot_stand_alone_after_trimming_is_merged_once():
    """When trimming and raking do not both hold (seen on demo seed 1: Deurne, 107 respondents,
    few aged 18-24), the most-trimmed category is forced into its neighbour once, with the
    reason recorded, and the retry converges."""
    from monitor.statistics.weighting import AGE_NEIGHBOUR, _collapse

    controls = {"18-24": 1100.0, "25-44": 3200.0, "45-64": 3300.0, "65+": 2400.0}
    counts = {"18-24": 4, "25-44": 30, "45-64": 40, "65+": 36}
    reachable, _, notes = _collapse("age_band", controls, counts, AGE_NEIGHBOUR, max_weight=1e9)
    assert set(reachable) == set(controls) and notes == []

    merged, labels, notes = _collapse(
        "age_band", controls, counts, AGE_NEIGHBOUR, max_weight=1e9, force=frozenset({"18-24"})
    )
    assert merged == {"18-24+25-44": 4300.0, "45-64": 3300.0, "65+": 2400.0}
    assert labels["18-24"] == labels["25-44"] == "18-24+25-44"
    assert notes == ["age_band 18-24 merged into 25-44 (trimming and raking could not both hold with it standing alone)"]
