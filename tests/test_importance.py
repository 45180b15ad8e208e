"""Which resources go with resilience (methodology section 4): standardised coefficients and
Shapley R2 (general dominance weights), checked against hand-checkable cases, brute force over
all orderings, and a planted structure."""

from __future__ import annotations

import math
from itertools import permutations

import numpy as np
import pandas as pd
import pytest

from monitor.statistics.importance import TABLE_COLUMNS, resource_importance

OUTCOME = "veerkracht_score"
# The 14 scales of the codebook in their groups, reporting order.
CODEBOOK_GROUPS = {
    "happiness": "persoonlijk",
    "health": "persoonlijk",
    "mastery": "persoonlijk",
    "digital_skills": "persoonlijk",
    "makes_ends_meet": "persoonlijk",
    "contact_social": "sociaal",
    "contact_digital": "sociaal",
    "buurtbinding": "sociaal",
    "trust": "sociaal",
    "support": "sociaal",
    "volunteering": "sociaal",
    "facilities": "omgeving",
    "housing": "omgeving",
    "safety": "omgeving",
}


# --- helpers ----------------------------------------------------------------------------


def frame(x: np.ndarray, y: np.ndarray, names: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(x, columns=names)
    df[OUTCOME] = y
    return df


def correlated_data(n: int, p: int, seed: int) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Correlated predictors (a common factor) and an outcome that depends on all of them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) + 0.8 * rng.normal(size=(n, 1))
    y = x @ rng.uniform(0.2, 1.0, size=p) + rng.normal(scale=2.0, size=n)
    names = [f"x{j}" for j in range(p)]
    weights = pd.Series(rng.uniform(0.3, 3.0, size=n))
    return frame(x, y, names), weights, names


def weighted_r2(df: pd.DataFrame, w: np.ndarray, columns: list[str]) -> float:
    """R2 of a plain weighted OLS fit with intercept (numpy lstsq), 0 for no predictors."""
    y = df[OUTCOME].to_numpy()
    design = np.column_stack([np.ones(len(df)), df[columns].to_numpy()])
    root_w = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(design * root_w[:, None], y * root_w, rcond=None)
    residual = y - design @ coef
    centred = y - np.average(y, weights=w)
    return 1 - np.sum(w * residual**2) / np.sum(w * centred**2)


def brute_force_shapley(df: pd.DataFrame, w: np.ndarray, players: dict[str, list[str]]) -> dict[str, float]:
    """Incremental R2 of each player averaged over all orders of entry (the definition)."""
    totals = dict.fromkeys(players, 0.0)
    orders = list(permutations(players))
    for order in orders:
        entered: list[str] = []
        before = 0.0
        for player in order:
            entered += players[player]
            after = weighted_r2(df, w, entered)
            totals[player] += after - before
            before = after
    return {player: total / len(orders) for player, total in totals.items()}


def level(result, name: str) -> pd.DataFrame:
    return result.table[result.table["level"] == name].set_index("resource")


# --- hand-checkable -----------------------------------------------------------------------


def test_uncorrelated_predictors_get_their_squared_correlation():
    # x2 is made exactly orthogonal to x1 (in the sample), so nothing is shared between them
    # and each one's Shapley R2 is simply its squared correlation with y.
    rng = np.random.default_rng(1)
    n = 200
    x1 = rng.normal(size=n)
    x1 -= x1.mean()
    x2 = rng.normal(size=n)
    x2 -= x2.mean()
    x2 -= x1 * (x1 @ x2) / (x1 @ x1)
    y = 2 * x1 + x2 + rng.normal(size=n)
    df = frame(np.column_stack([x1, x2]), y, ["a", "b"])

    result = resource_importance(df, pd.Series(1.0, index=df.index), OUTCOME, {"a": "g1", "b": "g2"})

    resources = level(result, "resource")
    assert np.corrcoef(x1, x2)[0, 1] == pytest.approx(0, abs=1e-12)
    for name, x in [("a", x1), ("b", x2)]:
        assert resources.loc[name, "shapley_r2"] == pytest.approx(np.corrcoef(x, y)[0, 1] ** 2, abs=1e-12)
    assert result.r2_total == pytest.approx(np.corrcoef(x1, y)[0, 1] ** 2 + np.corrcoef(x2, y)[0, 1] ** 2, abs=1e-12)
    assert list(resources.index) == ["a", "b"]  # ordered by rank: a has the larger effect
    assert list(resources["rank"]) == [1, 2]
    # one scale per group: the group game is the resource game
    np.testing.assert_allclose(level(result, "group")["shapley_r2"].to_numpy(), resources["shapley_r2"].to_numpy())


def test_correlated_predictors_sum_to_r2_and_do_not_depend_on_column_order():
    df, w, names = correlated_data(n=2000, p=6, seed=2)
    groups = {name: ("g1" if j < 3 else "g2") for j, name in enumerate(names)}

    result = resource_importance(df, w, OUTCOME, groups)

    assert result.r2_total == pytest.approx(weighted_r2(df, w.to_numpy(), names), abs=1e-12)
    for name in ("resource", "group"):
        assert level(result, name)["shapley_r2"].sum() == pytest.approx(result.r2_total, abs=1e-12)
        assert level(result, name)["importance_share"].sum() == pytest.approx(100)

    shuffled = [names[j] for j in np.random.default_rng(3).permutation(len(names))]
    again = resource_importance(df[[OUTCOME, *reversed(shuffled)]], w, OUTCOME, {s: groups[s] for s in shuffled})
    for name in ("resource", "group"):
        pd.testing.assert_series_equal(
            level(again, name).loc[level(result, name).index, "shapley_r2"],
            level(result, name)["shapley_r2"],
            rtol=0,
            atol=1e-12,
        )
    assert again.r2_total == pytest.approx(result.r2_total, abs=1e-12)


# --- brute force --------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
def test_agrees_with_brute_force_over_all_orderings(weighted):
    df, w, names = correlated_data(n=500, p=4, seed=4)
    w = w if weighted else pd.Series(1.0, index=df.index)
    groups = {"x0": "g1", "x1": "g1", "x2": "g2", "x3": "g3"}

    result = resource_importance(df, w, OUTCOME, groups)

    expected = brute_force_shapley(df, w.to_numpy(), {name: [name] for name in names})  # 24 orderings
    resources = level(result, "resource")
    for name in names:
        assert resources.loc[name, "shapley_r2"] == pytest.approx(expected[name], abs=1e-9)

    expected_groups = brute_force_shapley(df, w.to_numpy(), {"g1": ["x0", "x1"], "g2": ["x2"], "g3": ["x3"]})
    for name, value in expected_groups.items():
        assert level(result, "group").loc[name, "shapley_r2"] == pytest.approx(value, abs=1e-9)


def test_coefficients_are_weighted_standardised_with_hc1_intervals():
    df, w, names = correlated_data(n=800, p=3, seed=5)
    w_ = w.to_numpy()
    result = resource_importance(df, w, OUTCOME, dict.fromkeys(names, "g"))

    def z(values):
        centred = values - np.average(values, weights=w_, axis=0)
        return centred / np.sqrt(np.average(centred**2, weights=w_, axis=0))

    design = np.column_stack([np.ones(len(df)), z(df[names].to_numpy())])
    zy = z(df[OUTCOME].to_numpy())
    bread = np.linalg.inv(design.T @ (design * w_[:, None]))
    coef = bread @ design.T @ (w_ * zy)
    residual = zy - design @ coef
    meat = (design * (w_ * residual)[:, None]).T @ (design * (w_ * residual)[:, None])
    n, k = design.shape
    se = np.sqrt(np.diag(n / (n - k) * bread @ meat @ bread))  # HC1 sandwich

    resources = level(result, "resource").loc[names]
    np.testing.assert_allclose(resources["std_coefficient"], coef[1:], atol=1e-10)
    np.testing.assert_allclose(resources["ci_lower"], coef[1:] - 1.959963984540054 * se[1:], atol=1e-8)
    np.testing.assert_allclose(resources["ci_upper"], coef[1:] + 1.959963984540054 * se[1:], atol=1e-8)
    groups = level(result, "group")
    assert groups[["std_coefficient", "ci_lower", "ci_upper"]].isna().all().all()


# --- weights ------------------------------------------------------------------------------


def test_duplicated_rows_equal_integer_weights():
    df, _, names = correlated_data(n=300, p=5, seed=6)
    counts = np.random.default_rng(7).integers(1, 4, size=len(df))
    groups = {name: ("g1" if j < 2 else "g2") for j, name in enumerate(names)}

    weighted = resource_importance(df, pd.Series(counts.astype(float), index=df.index), OUTCOME, groups)
    duplicated = df.loc[df.index.repeat(counts)].reset_index(drop=True)
    expanded = resource_importance(duplicated, pd.Series(1.0, index=duplicated.index), OUTCOME, groups)

    assert expanded.r2_total == pytest.approx(weighted.r2_total, abs=1e-12)
    columns = [
        "level",
        "resource",
        "resource_group",
        "std_coefficient",
        "shapley_r2",
        "importance_share",
        "rank",
        "top10",
    ]
    pd.testing.assert_frame_equal(expanded.table[columns], weighted.table[columns], rtol=0, atol=1e-10)
    # The CIs are deliberately not compared: calibration weights are not frequency weights,
    # so the sandwich (and n) differ between the two.
    assert (weighted.n_used, expanded.n_used) == (len(df), counts.sum())


def test_weights_change_the_answer_and_are_aligned_on_the_index():
    df, w, names = correlated_data(n=400, p=3, seed=8)
    groups = dict.fromkeys(names, "g")
    weighted = resource_importance(df, w, OUTCOME, groups)
    unweighted = resource_importance(df, pd.Series(1.0, index=df.index), OUTCOME, groups)
    assert weighted.r2_total != pytest.approx(unweighted.r2_total, abs=1e-6)
    # a shuffled weight series is realigned, not taken in its own order
    shuffled = resource_importance(df, w.sample(frac=1, random_state=1), OUTCOME, groups)
    pd.testing.assert_frame_equal(shuffled.table, weighted.table)


# --- planted structure --------------------------------------------------------------------


def planted_survey(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """14 scales in the codebook's three groups, correlated within groups, with strong effects
    in persoonlijk > sociaal > omgeving. Returns the three strongest planted scales."""
    rng = np.random.default_rng(seed)
    names = list(CODEBOOK_GROUPS)
    group_factor = {g: rng.normal(size=n) for g in ("persoonlijk", "sociaal", "omgeving")}
    x = np.column_stack([0.6 * group_factor[CODEBOOK_GROUPS[s]] + 0.8 * rng.normal(size=n) for s in names])
    effects = {
        "happiness": 0.60, "mastery": 0.45, "health": 0.35, "makes_ends_meet": 0.10, "digital_skills": 0.05,
        "support": 0.25, "contact_social": 0.15, "trust": 0.10, "buurtbinding": 0.05,
        "contact_digital": 0.0, "volunteering": 0.0,
        "safety": 0.10, "housing": 0.05, "facilities": 0.0,
    }  # fmt: skip
    y = 5 + x @ np.array([effects[s] for s in names]) + rng.normal(scale=1.0, size=n)
    weights = pd.Series(rng.lognormal(sigma=0.4, size=n))
    return frame(5 + 1.5 * x, y, names), weights, ["happiness", "mastery", "health"]


def test_planted_structure_is_recovered_with_listwise_exclusion():
    df, w, strongest = planted_survey(n=10_000, seed=9)
    # 20 % of the respondents miss one scale, spread over all 14 scales.
    rng = np.random.default_rng(10)
    incomplete = rng.choice(len(df), size=2000, replace=False)
    columns = rng.integers(0, len(CODEBOOK_GROUPS), size=2000)
    for row, column in zip(incomplete, columns):
        df.iloc[row, column] = np.nan
    assert len(set(columns)) == len(CODEBOOK_GROUPS)

    result = resource_importance(df, w, OUTCOME, CODEBOOK_GROUPS)

    assert (result.n_used, result.n_excluded) == (8000, 2000)
    groups = level(result, "group")
    assert list(groups.sort_values("rank").index) == ["persoonlijk", "sociaal", "omgeving"]
    resources = level(result, "resource")
    top5 = set(resources.index[resources["rank"] <= 5])
    assert set(strongest) <= top5
    assert resources["top10"].sum() == 10
    assert (resources.loc[strongest, "ci_lower"] > 0).all()
    # the excluded respondents play no part at all
    complete = df.dropna()
    again = resource_importance(complete, w.loc[complete.index], OUTCOME, CODEBOOK_GROUPS)
    pd.testing.assert_frame_equal(again.table, result.table)
    assert again.n_excluded == 0


def test_table_layout():
    df, w, _ = planted_survey(n=1000, seed=11)
    result = resource_importance(df, w, OUTCOME, CODEBOOK_GROUPS)
    table = result.table
    assert list(table.columns) == TABLE_COLUMNS
    assert list(table["level"]) == ["resource"] * 14 + ["group"] * 3
    assert list(table["rank"]) == list(range(1, 15)) + [1, 2, 3]
    assert table["top10"].dtype == bool and not table.loc[table["level"] == "group", "top10"].any()
    assert (
        table.set_index("resource").loc[list(CODEBOOK_GROUPS), "resource_group"] == pd.Series(CODEBOOK_GROUPS)
    ).all()
    np.testing.assert_allclose(table["importance_share"], table["shapley_r2"] / result.r2_total * 100)
    assert math.isfinite(result.r2_total) and 0 < result.r2_total < 1


# --- errors -------------------------------------------------------------------------------


def test_too_few_complete_respondents():
    df, w, names = correlated_data(n=30, p=3, seed=12)
    df.loc[:17, "x0"] = np.nan  # 12 complete left, 13 needed
    with pytest.raises(ValueError, match=r"only 12 complete respondents for 3 predictors; at least 13"):
        resource_importance(df, w, OUTCOME, dict.fromkeys(names, "g"))
    df.loc[17, "x0"] = 1.0  # 13 is enough
    assert resource_importance(df, w, OUTCOME, dict.fromkeys(names, "g")).n_used == 13


def test_constant_predictor():
    df, w, names = correlated_data(n=100, p=3, seed=13)
    df["x1"] = 7.0
    df.loc[0, "x1"] = np.nan  # constant among the complete respondents is what counts
    df.loc[1, "x1"] = 8.0
    df.loc[1, "x2"] = np.nan
    with pytest.raises(ValueError, match=r"constant predictor.*x1"):
        resource_importance(df, w, OUTCOME, dict.fromkeys(names, "g"))


@pytest.mark.parametrize(
    "case, message",
    [
        ("collinear", "collinear"),
        ("missing_column", "columns missing"),
        ("bad_weight", "non-positive weight"),
        ("missing_weight", "missing, non-finite"),
        ("outcome_as_predictor", "also listed as a predictor"),
    ],
)
def test_other_refusals(case, message):
    df, w, names = correlated_data(n=100, p=3, seed=14)
    groups = dict.fromkeys(names, "g")
    if case == "collinear":
        df["x2"] = df["x0"] - 2 * df["x1"]
    elif case == "missing_column":
        df = df.drop(columns="x1")
    elif case == "bad_weight":
        w.iloc[5] = 0.0
    elif case == "missing_weight":
        w = w.drop(index=5)
    elif case == "outcome_as_predictor":
        groups[OUTCOME] = "g"
    with pytest.raises(ValueError, match=message):
        resource_importance(df, w, OUTCOME, groups)
