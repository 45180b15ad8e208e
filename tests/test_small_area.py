"""Small-area estimation (monitor/statistics/small_area.py) on synthetic frames made here:
every area gets an estimate and interval unless suppressed, suppressed areas publish nothing,
benchmarking holds exactly, the flag is only raised where the methodology allows it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from monitor.statistics.small_area import (
    DIRECT_RELEVANT_GAP,
    DIRECT_Z,
    FLAG_BASIS,
    INDICATORS,
    METHODS,
    MIN_DIRECT_RESPONDENTS,
    RELEVANT_GAP,
    fit_table,
    small_area_estimates,
)

EDITION = 2018
SUPPRESSED_GEMEENTE = "GM0009"  # its direct estimate is suppressed
POOR_GEMEENTE = "GM0008"  # scores below the province
WEAK_BUURT = "BU00010103"  # strongly deprived buurt in a strong gemeente


def synthetic(seed: int = 1, gemeenten: int = 10, wijken: int = 4, buurten: int = 6, respondents: int = 3000):
    """Areas with a deprivation covariate driving the score, respondents sampled from them and
    direct gemeente and province estimates computed from the respondents (weighted)."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(1, gemeenten + 1):
        gem_dep = 1.5 if f"GM{g:04d}" == POOR_GEMEENTE else rng.normal(0, 0.3)
        for w in range(1, wijken + 1):
            for b in range(1, buurten + 1):
                code = f"{g:04d}{w:02d}{b:02d}"
                dep = gem_dep + rng.normal(0, 0.8) + (3.0 if f"BU{code}" == WEAK_BUURT else 0.0)
                inhabitants = float(rng.integers(20, 3000))
                rows.append({"gemeente_code": f"GM{g:04d}", "wijk_code": f"WK{code[:6]}", "area_code": f"BU{code}",
                             "inhabitants": inhabitants, "adults": round(0.8 * inhabitants), "dep": dep,
                             "true_score": 7.0 - 0.6 * dep + rng.normal(0, 0.1)})
    bu = pd.DataFrame(rows)
    bu["cov_income"] = 30 - 4 * bu["dep"] + rng.normal(0, 0.5, len(bu))
    bu["cov_bijstand"] = 20 + 10 * bu["dep"] + rng.normal(0, 2, len(bu))
    bu["gem_income"] = bu.groupby("gemeente_code")["cov_income"].transform("mean")
    bu["suppressed"] = bu["inhabitants"] < 50
    bu["suppression_reason"] = np.where(bu["suppressed"], "fewer than 50 inhabitants", None)

    def wmean(x, w):
        return float(np.average(x, weights=w))

    wk = bu.groupby("wijk_code").apply(lambda f: pd.Series({
        "gemeente_code": f["gemeente_code"].iloc[0], "inhabitants": f["inhabitants"].sum(), "adults": f["adults"].sum(),
        "cov_income": wmean(f["cov_income"], f["inhabitants"]), "cov_bijstand": wmean(f["cov_bijstand"], f["inhabitants"]),
        "gem_income": f["gem_income"].iloc[0]}), include_groups=False).reset_index().rename(columns={"wijk_code": "area_code"})
    wk["wijk_code"] = wk["area_code"]
    wk["suppressed"] = False
    wk["suppression_reason"] = None
    areas = pd.concat([wk.assign(area_level="wijk"), bu.assign(area_level="buurt")], ignore_index=True)
    areas["edition"] = EDITION
    areas = areas.drop(columns=["dep", "true_score"])

    # respondents: proportional to adults, except the suppressed gemeente (3 respondents)
    p = bu["adults"] / bu["adults"].sum()
    pick = rng.choice(len(bu), respondents, p=p)
    r = bu.iloc[pick].reset_index(drop=True)
    keep = (r["gemeente_code"] != SUPPRESSED_GEMEENTE) | (r.groupby("gemeente_code").cumcount() < 3)
    r = r[keep].reset_index(drop=True)
    score = np.clip(r["true_score"] + rng.normal(0, 1.8, len(r)), 0, 10)
    resp = pd.DataFrame({
        "edition": EDITION, "resp_id": [f"R{i:07d}" for i in range(len(r))], "gemeente_code": r["gemeente_code"],
        "buurt_code": r["area_code"].astype(object), "wijk_code": r["wijk_code"].astype(object),
        "weight": rng.uniform(50, 300, len(r)), "veerkracht_score": score.round(1),
        "pct_veerkrachtig": np.where(score >= 6.5, 100.0, 0.0),
    })
    no_buurt = rng.random(len(resp)) < 0.03
    resp.loc[no_buurt, ["buurt_code", "wijk_code"]] = None
    resp.loc[rng.random(len(resp)) < 0.02, "pct_veerkrachtig"] = np.nan

    direct_rows = []
    for indicator in INDICATORS:
        valid = resp[resp[indicator].notna()]
        for level, key in (("provincie", None), ("gemeente", "gemeente_code")):
            groups = [("PV30", valid)] if key is None else list(valid.groupby(key))
            for code, f in groups:
                w, y = f["weight"].to_numpy(), f[indicator].to_numpy()
                n = len(f)
                est = np.average(y, weights=w)
                var = n / max(n - 1, 1) * np.sum(w**2 * (y - est) ** 2) / w.sum() ** 2
                hidden = n < 10
                direct_rows.append({
                    "edition": EDITION, "area_level": level, "area_code": code, "indicator": indicator,
                    "estimate": None if hidden else est, "ci_lower": None if hidden else est - 1.96 * np.sqrt(var),
                    "ci_upper": None if hidden else est + 1.96 * np.sqrt(var), "n_respondents": n})
    direct = pd.DataFrame(direct_rows)
    return resp, areas, direct


@pytest.fixture(scope="module")
def inputs():
    return synthetic()


@pytest.fixture(scope="module", params=METHODS)
def result(inputs, request):
    return small_area_estimates(*inputs, method=request.param)


def test_one_row_per_area_and_indicator(inputs, result):
    _, areas, _ = inputs
    est = result.estimates
    assert len(est) == len(areas) * len(INDICATORS)
    assert not est.duplicated(["edition", "area_level", "area_code", "indicator"]).any()
    assert set(est["area_level"]) == {"wijk", "buurt"}
    assert (est["n_respondents"] == 0).any(), "the synthetic layout has areas without respondents"


def test_every_unsuppressed_area_has_an_estimate_and_interval(result):
    shown = result.estimates[~result.estimates["suppressed"]]
    assert shown[["estimate", "ci_lower", "ci_upper", "mse"]].notna().all().all()
    assert ((shown["ci_lower"] <= shown["estimate"]) & (shown["estimate"] <= shown["ci_upper"])).all()
    assert (shown["mse"] > 0).all()
    assert shown["method"].str.len().gt(0).all()


def test_suppressed_areas_publish_nothing(result):
    hidden = result.estimates[result.estimates["suppressed"]]
    assert len(hidden) > 0
    assert hidden[["estimate", "ci_lower", "ci_upper", "mse"]].isna().all().all()
    assert not hidden["below_gemeente"].any()
    assert hidden["suppression_reason"].notna().all()


def test_estimates_stay_within_range(result):
    est = result.estimates
    for indicator, hi in (("veerkracht_score", 10), ("pct_veerkrachtig", 100)):
        rows = est[(est["indicator"] == indicator) & ~est["suppressed"]]
        assert rows[["estimate", "ci_lower", "ci_upper"]].ge(0).all().all()
        assert rows[["estimate", "ci_lower", "ci_upper"]].le(hi).all().all()


def test_benchmark_holds_exactly(inputs):
    """With no area suppressed every model estimate is published: the adults-weighted mean of
    the benchmarked estimates of each gemeente equals its direct estimate."""
    resp, areas, direct = inputs
    areas = areas.assign(suppressed=False, suppression_reason=None)
    result = small_area_estimates(resp, areas, direct)
    est = result.estimates
    gem = direct[direct["area_level"] == "gemeente"].set_index(["area_code", "indicator"])["estimate"]
    est = est[est["gemeente_code"] != SUPPRESSED_GEMEENTE]
    assert not est["method"].str.contains("clipped").any()
    keys = [est["area_level"], est["gemeente_code"], est["indicator"]]
    agg = (est["estimate"] * est["adults"]).groupby(keys).sum() / est["adults"].groupby(keys).sum()
    assert len(agg) == 2 * 2 * 9
    for (_level, code, indicator), value in agg.items():
        assert value == pytest.approx(gem[(code, indicator)], abs=1e-9)
    np.testing.assert_allclose(est["estimate"], est["model_estimate"] + est["benchmark_shift"])
    val = result.validation
    assert {"direct_estimate", "direct_ci_lower", "direct_ci_upper", "model_aggregate", "benchmark_shift",
            "within_direct_ci"} <= set(val.columns)
    ok = val[val["gemeente_code"] != SUPPRESSED_GEMEENTE]
    np.testing.assert_allclose(ok["model_aggregate"] + ok["benchmark_shift"], ok["direct_estimate"], atol=1e-9)
    assert ok["within_direct_ci"].notna().all()


def test_benchmark_includes_suppressed_areas(inputs, result):
    """Suppressed areas count in the benchmark but are not shown: the published areas of a
    gemeente average to its direct estimate up to the small weight of the hidden ones."""
    _, _, direct = inputs
    est = result.estimates[(result.estimates["gemeente_code"] != SUPPRESSED_GEMEENTE)]
    shown = est[~est["suppressed"]]
    gem = direct[direct["area_level"] == "gemeente"].set_index(["area_code", "indicator"])["estimate"]
    keys = [shown["area_level"], shown["gemeente_code"], shown["indicator"]]
    agg = (shown["estimate"] * shown["adults"]).groupby(keys).sum() / shown["adults"].groupby(keys).sum()
    for (_level, code, indicator), value in agg.items():
        scale = 100 if indicator == "pct_veerkrachtig" else 10
        assert abs(value - gem[(code, indicator)]) / scale < 0.01


def test_no_direct_figure_on_fewer_than_10_respondents(result):
    est = result.estimates
    assert est.loc[est["n_respondents"] < 10, "direct_estimate"].isna().all()
    assert est.loc[(est["n_respondents"] >= 10) & ~est["suppressed"], "direct_estimate"].notna().any()


def test_gemeente_with_suppressed_direct_is_not_benchmarked(result):
    est = result.estimates
    rows = est[est["gemeente_code"] == SUPPRESSED_GEMEENTE]
    assert len(rows) > 0
    assert rows["benchmark_shift"].isna().all()
    assert rows["gemeente_estimate"].isna().all()
    assert rows["method"].str.contains("not benchmarked").all()
    shown = rows[~rows["suppressed"]]
    hi = np.where(shown["indicator"] == "pct_veerkrachtig", 100, 10)
    np.testing.assert_allclose(shown["estimate"], shown["model_estimate"].clip(0, hi))
    assert not rows["below_gemeente"].any()
    val = result.validation[result.validation["gemeente_code"] == SUPPRESSED_GEMEENTE]
    assert val["benchmark_shift"].isna().all() and not val["benchmarked"].any()


def test_flag_only_in_good_gemeenten_and_only_when_significantly_below(inputs, result):
    _, _, direct = inputs
    est = result.estimates
    province = direct[direct["area_level"] == "provincie"].set_index("indicator")["estimate"]
    flagged = est[est["below_gemeente"]]
    assert len(flagged) > 0
    assert WEAK_BUURT in set(flagged.loc[flagged["indicator"] == "veerkracht_score", "area_code"])
    assert POOR_GEMEENTE not in set(flagged["gemeente_code"])
    for row in flagged.itertuples():
        assert row.gemeente_estimate >= province[row.indicator]
        # the published rule ("switch"): the own respondents where there are enough, the model elsewhere
        testable = row.n_respondents >= MIN_DIRECT_RESPONDENTS
        on_model = not testable and (row.estimate - row.gemeente_estimate + RELEVANT_GAP[row.indicator]
                                     < -1.96 * row.contrast_se)
        on_respondents = testable and (row.direct_estimate - row.gemeente_estimate
                                       + DIRECT_RELEVANT_GAP[row.indicator] < -DIRECT_Z * row.direct_contrast_se)
        assert row.flag_basis == FLAG_BASIS[(on_respondents, on_model)]
        assert not row.suppressed
    # every area that meets its rule in a good gemeente is flagged, no other
    unflagged = est[~est["below_gemeente"] & ~est["suppressed"] & est["gemeente_estimate"].notna()]
    assert unflagged["flag_basis"].isna().all()
    # an area above its gemeente on the model is flagged only on its own respondents, then
    # with its direct mean below; one above on both never is
    above = est[est["estimate"] >= est["gemeente_estimate"]]
    assert set(above.loc[above["below_gemeente"], "flag_basis"]) <= {"respondents"}
    assert not above.loc[~(above["direct_estimate"] < above["gemeente_estimate"]), "below_gemeente"].any()


def test_flag_basis_says_what_each_flag_rests_on(inputs):
    """The model-only rule never flags on respondents, the respondents-only rule never on the
    model, and "either" is their union, each area with the basis that flagged it."""
    rules = ("model", "respondents", "either", "switch")
    runs = {rule: small_area_estimates(*inputs, flag_rule=rule).estimates for rule in rules}
    model, respondents, either, switch = (runs[r].set_index(["area_level", "area_code", "indicator"]) for r in rules)
    assert set(model["flag_basis"].dropna()) == {"model"}
    assert set(respondents["flag_basis"].dropna()) == {"respondents"}
    np.testing.assert_array_equal(either["below_gemeente"], model["below_gemeente"] | respondents["below_gemeente"])
    both = either["flag_basis"] == "respondents and model"
    assert (both == (model["below_gemeente"] & respondents["below_gemeente"])).all()
    # a flag on respondents needs MIN_DIRECT_RESPONDENTS of them; without any only the model can flag
    assert (either.loc[either["flag_basis"].isin(["respondents", "respondents and model"]), "n_respondents"]
            >= MIN_DIRECT_RESPONDENTS).all()
    assert respondents["below_gemeente"].sum() > 0
    # "switch": the own respondents decide where there are enough, the model only elsewhere
    enough = switch["n_respondents"] >= MIN_DIRECT_RESPONDENTS
    np.testing.assert_array_equal(switch.loc[enough, "below_gemeente"], respondents.loc[enough, "below_gemeente"])
    np.testing.assert_array_equal(switch.loc[~enough, "below_gemeente"], model.loc[~enough, "below_gemeente"])
    assert not (switch["flag_basis"] == "respondents and model").any()


def test_own_weight_is_the_share_of_the_own_respondents(inputs):
    result = small_area_estimates(*inputs)
    est = result.estimates[~result.estimates["suppressed"]]
    assert est["own_weight"].between(0, 1).all()
    assert (est.loc[est["n_respondents"] == 0, "own_weight"] == 0).all()
    with_resp = est[est["n_respondents"] > 0]
    # more respondents, more weight on them (rank correlation within a level and indicator)
    for _, g in with_resp.groupby(["area_level", "indicator"]):
        assert g["own_weight"].corr(g["n_respondents"], method="spearman") > 0.5
    assert est.loc[est["n_respondents"] < MIN_DIRECT_RESPONDENTS, "direct_contrast_se"].isna().all()


def test_plain_reml_gives_no_more_area_variance_than_the_adjusted(inputs):
    """Li-Lahiri's adjustment multiplies the REML likelihood by s2u: its maximum lies at or
    above the plain REML one, so the adjusted fit shrinks less."""
    fits = {reml: small_area_estimates(*inputs, reml=reml) for reml in ("plain", "adjusted")}
    for level in ("wijk", "buurt"):
        for indicator in INDICATORS:
            s2 = {r: f.diagnostics["editions"][str(EDITION)][level][indicator]["sigma2_area"] for r, f in fits.items()}
            assert s2["plain"] <= s2["adjusted"] + 1e-9
    table = fit_table(fits["adjusted"].diagnostics)
    assert len(table) == 4 and set(table["reml"]) == {"adjusted"}
    assert (table["own_weight_median"] > 0).all()
    val = fits["adjusted"].validation
    assert (val["flagged"] == val["flagged_on_respondents"] + val["flagged_on_model"] + val["flagged_on_both"]).all()


def test_unknown_choices_are_refused(inputs):
    for choice in ({"reml": "ml"}, {"flag_rule": "always"}):
        with pytest.raises(ValueError, match="must be one of"):
            small_area_estimates(*inputs, **choice)


def test_diagnostics_are_json(result):
    text = json.dumps(result.diagnostics)
    d = result.diagnostics["editions"][str(EDITION)]["buurt"]["veerkracht_score"]
    assert d["areas_with_respondents"] > 0 and "coefficients" in d and d["sigma2_area"] >= 0
    assert "NaN" not in text


@pytest.mark.parametrize("frame, column", [(0, "weight"), (1, "adults"), (1, "suppressed"), (2, "ci_lower")])
def test_missing_columns_are_named(inputs, frame, column):
    frames = list(inputs)
    frames[frame] = frames[frame].drop(columns=column)
    with pytest.raises(ValueError, match=column):
        small_area_estimates(*frames)


def test_unknown_method_is_refused(inputs):
    with pytest.raises(ValueError, match="method"):
        small_area_estimates(*inputs, method="magic")


def test_a_covariate_the_file_lacks_is_gone_without_and_listed(inputs):
    resp, areas, direct = inputs
    result = small_area_estimates(resp, areas.assign(cov_bijstand=np.nan), direct)
    assert result.estimates["estimate"].notna().any()
    assert set(result.validation["covariates_absent"]) == {"cov_bijstand"}
    assert result.diagnostics["editions"][str(areas["edition"].iloc[0])]["covariates_absent"] == ["cov_bijstand"]


def test_without_any_covariate_the_model_refuses_and_names_them(inputs):
    resp, areas, direct = inputs
    with pytest.raises(ValueError, match=r"only 0 CBS covariate\(s\) have values \(none\); absent: cov_income, cov_bijstand"):
        small_area_estimates(resp, areas.assign(cov_income=np.nan, cov_bijstand=np.nan), direct)
