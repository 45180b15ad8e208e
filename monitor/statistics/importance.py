"""Which resources go with resilience (methodology section 4).

For one edition: a weighted regression of the outcome (veerkracht_score) on the standardised
resource scales. Two answers per resource and per resource group:

- the standardised coefficient, with a 95 % CI from weighted least squares with HC1 robust
  standard errors (the calibration weights are not precision weights, so model-based SEs
  would be wrong);
- the Shapley decomposition of R2 (= the general dominance weights of dominance analysis):
  each predictor's incremental R2 averaged over all orders in which the predictors can
  enter. Unlike coefficients or sequential R2 it does not depend on the order of the
  predictors and it adds up exactly to the model R2, which is why the headline uses it.

R2 of every subset is computed from the weighted correlation matrix (R2(S) = r_S' R_SS^-1 r_S),
so the 2^p regressions cost 2^p small linear solves and no pass over the respondents.
The groups are players of their own game: a group's scales enter together.

The caller selects the edition; this module knows nothing of editions or the warehouse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from monitor import contract

# Exact Shapley needs all 2^p subsets; beyond this it is minutes and gigabytes, not seconds.
MAX_PREDICTORS = 20
# Complete respondents needed beyond one per predictor for the regression to mean anything.
MIN_SPARE_RESPONDENTS = 10
# Smallest eigenvalue of the predictor correlation matrix (whose eigenvalues sum to p) below
# which the predictors are taken to be perfectly collinear: coefficients would be arbitrary.
COLLINEARITY_TOLERANCE = 1e-10
# Both decompositions must add up to R2; they do by construction, so any gap is a bug.
ADDS_UP_TOLERANCE = 1e-9
TOP_N = 10
# Below the province (methodology section 11: "the regio, where n allows") the regression is
# only reported on at least this many complete respondents per resource: with 14 correlated
# resources, 50 per predictor keeps the standardised coefficients' 95 % intervals near +-0.05
# and the shares' ranks stable at the top (a usual rule of thumb for relative importance is
# 10-20 per predictor for coefficients, more for their ordering). Brabant's regios have
# 1,500-3,000 complete respondents in a 10,000-respondent edition, well above it.
MIN_RESPONDENTS_PER_RESOURCE = contract.MIN_RESPONDENTS_PER_RESOURCE


def minimum_respondents(predictors: int) -> int:
    """Complete respondents a regression on `predictors` resources needs below the province."""
    return MIN_RESPONDENTS_PER_RESOURCE * predictors


def too_few_reason(predictors: int) -> str:
    """The suppression_reason of a regional importance that n does not allow."""
    return (
        f"fewer than {minimum_respondents(predictors)} complete respondents "
        f"({MIN_RESPONDENTS_PER_RESOURCE} per resource) for the regression"
    )

TABLE_COLUMNS = [
    "level",
    "resource",
    "resource_group",
    "std_coefficient",
    "ci_lower",
    "ci_upper",
    "shapley_r2",
    "importance_share",
    "rank",
    "top10",
]


@dataclass
class Importance:
    """Result for one edition; see `resource_importance`."""

    table: pd.DataFrame
    r2_total: float
    n_used: int
    n_excluded: int


def resource_importance(data: pd.DataFrame, weights: pd.Series, outcome: str, groups: dict[str, str]) -> Importance:
    """Standardised coefficients and Shapley R2 of every resource scale and resource group.

    `data` has one row per respondent with the outcome and every scale in `groups`
    (scale name -> group name, in reporting order), NaN for missing; `weights` are the
    calibration weights on the same index. Respondents with any missing value are dropped
    (listwise) and counted in `n_excluded`.

    The table has one row per scale (level 'resource') and one per group (level 'group'),
    resources first, each level ordered by rank (1 = largest Shapley R2).
    """
    predictors = list(groups)
    _check_arguments(data, weights, outcome, predictors)

    y, x, w, n_excluded = _complete_cases(data, weights, outcome, predictors)
    _check_estimable(y, x, predictors, outcome)

    zy, zx = _standardise(y, w), _standardise(x, w)
    r_xx, r_xy = _weighted_correlations(zx, zy, w)
    _check_not_collinear(r_xx, predictors)

    subset_r2 = _all_subset_r2(r_xx, r_xy)
    r2_total = float(subset_r2[-1])
    resource_shapley = _shapley_values(subset_r2, len(predictors))
    _check_adds_up(resource_shapley, r2_total, "resource")

    group_names = list(dict.fromkeys(groups.values()))
    group_masks = [_mask_of([predictors.index(s) for s in predictors if groups[s] == g]) for g in group_names]
    group_shapley = _shapley_values(_group_subset_r2(subset_r2, group_masks), len(group_names))
    _check_adds_up(group_shapley, r2_total, "group")

    coefficients, ci_lower, ci_upper, wls_r2 = _robust_standardised_fit(zy, zx, w)
    # Two independent routes to the same R2 (correlation algebra vs the WLS fit): if they
    # disagree, the standardisation or the weighting is wrong somewhere.
    if not math.isclose(wls_r2, r2_total, rel_tol=0, abs_tol=1e-8):
        raise AssertionError(f"R2 from the correlation matrix ({r2_total}) and from WLS ({wls_r2}) disagree")

    resources = pd.DataFrame(
        {
            "level": "resource",
            "resource": predictors,
            "resource_group": [groups[s] for s in predictors],
            "std_coefficient": coefficients,
            "ci_lower": ci_lower,
            "ci_upper": ci_upper,
            "shapley_r2": resource_shapley,
        }
    )
    group_rows = pd.DataFrame(
        {
            "level": "group",
            "resource": group_names,
            "resource_group": group_names,
            "std_coefficient": np.nan,
            "ci_lower": np.nan,
            "ci_upper": np.nan,
            "shapley_r2": group_shapley,
        }
    )
    table = pd.concat([_ranked(resources, r2_total), _ranked(group_rows, r2_total)], ignore_index=True)
    table["top10"] = (table["level"] == "resource") & (table["rank"] <= TOP_N)
    return Importance(table=table[TABLE_COLUMNS], r2_total=r2_total, n_used=len(y), n_excluded=n_excluded)


# --- input checks -----------------------------------------------------------------------


def _check_arguments(data: pd.DataFrame, weights: pd.Series, outcome: str, predictors: list[str]) -> None:
    if not predictors:
        raise ValueError("groups is empty: there are no resource scales to explain the outcome with")
    if outcome in predictors:
        raise ValueError(f"the outcome {outcome!r} is also listed as a predictor")
    if len(predictors) > MAX_PREDICTORS:
        raise ValueError(
            f"{len(predictors)} predictors: exact Shapley R2 needs all 2^p subsets and is limited to {MAX_PREDICTORS}"
        )
    absent = [c for c in [outcome, *predictors] if c not in data.columns]
    if absent:
        raise ValueError(f"columns missing from data: {absent}")
    if not data.index.is_unique:
        raise ValueError("data has duplicate index labels: weights could not be aligned unambiguously")
    aligned = weights.reindex(data.index).to_numpy(dtype=float, na_value=np.nan)
    # A respondent without a usable weight is a weighting bug, not a missing answer: refuse
    # rather than drop them quietly.
    bad = ~(np.isfinite(aligned) & (aligned > 0))
    if bad.any():
        raise ValueError(f"{int(bad.sum())} respondents have a missing, non-finite or non-positive weight")


def _complete_cases(
    data: pd.DataFrame, weights: pd.Series, outcome: str, predictors: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Listwise deletion: the Shapley decomposition needs one sample for every subset model."""
    # to_numpy with na_value copes with nullable (pd.NA) columns as well as float NaN.
    y = data[outcome].to_numpy(dtype=float, na_value=np.nan)
    x = data[predictors].to_numpy(dtype=float, na_value=np.nan)
    w = weights.reindex(data.index).to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(y).any() or np.isinf(x).any():
        raise ValueError("data holds infinite values; use NaN for missing")
    keep = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    return y[keep], x[keep], w[keep], int((~keep).sum())


def _check_estimable(y: np.ndarray, x: np.ndarray, predictors: list[str], outcome: str) -> None:
    p, n = len(predictors), len(y)
    if n < p + MIN_SPARE_RESPONDENTS:
        raise ValueError(
            f"only {n} complete respondents for {p} predictors; at least {p + MIN_SPARE_RESPONDENTS} "
            "(p + 10) are needed"
        )
    if np.all(y == y[0]):
        raise ValueError(f"the outcome {outcome!r} is constant among the complete respondents")
    constant = [s for j, s in enumerate(predictors) if np.all(x[:, j] == x[0, j])]
    if constant:
        raise ValueError(f"constant predictor(s) among the complete respondents: {constant}")


def _check_not_collinear(r_xx: np.ndarray, predictors: list[str]) -> None:
    # By eigenvalue interlacing every principal submatrix is at least as well conditioned as
    # the full matrix, so this one check makes all 2^p subset solves safe.
    smallest = float(np.linalg.eigvalsh(r_xx)[0])
    if smallest < COLLINEARITY_TOLERANCE:
        raise ValueError(
            f"the predictors {predictors} are (almost) perfectly collinear (smallest eigenvalue of their "
            f"correlation matrix {smallest:.3g}); their coefficients are not identified"
        )


def _check_adds_up(shapley: np.ndarray, r2_total: float, level: str) -> None:
    # Explicit raise, not `assert`: it must survive python -O.
    gap = abs(float(shapley.sum()) - r2_total)
    if gap > ADDS_UP_TOLERANCE:
        raise AssertionError(f"{level} Shapley values sum to {shapley.sum()}, not R2 = {r2_total}")


# --- weighted moments -------------------------------------------------------------------


def _standardise(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted z-scores (weighted mean 0, weighted SD 1), so coefficients are standardised
    for the population the weights represent, not for the sample."""
    mean = np.average(values, weights=w, axis=0)
    centred = values - mean
    sd = np.sqrt(np.average(centred**2, weights=w, axis=0))
    return centred / sd


def _weighted_correlations(zx: np.ndarray, zy: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted correlation matrix of the predictors and their correlations with the outcome."""
    share = w / w.sum()
    r_xx = (zx * share[:, None]).T @ zx
    r_xy = (zx * share[:, None]).T @ zy
    # Rescale to an exact unit diagonal: removes rounding from the z-scores and keeps r_xx
    # symmetric, which the subset solves assume.
    sd = np.sqrt(np.diag(r_xx))
    r_xx = r_xx / np.outer(sd, sd)
    return (r_xx + r_xx.T) / 2, r_xy / sd


# --- Shapley R2 -------------------------------------------------------------------------


def _mask_of(indices: list[int]) -> int:
    return sum(1 << j for j in indices)


def _all_subset_r2(r_xx: np.ndarray, r_xy: np.ndarray) -> np.ndarray:
    """R2 of the regression on every subset of predictors, indexed by bitmask
    (bit j set = predictor j in the model; index 0 = no predictors, R2 0).

    Subsets of the same size are solved in one batched call, which keeps 2^14 solves
    well under a second."""
    p = len(r_xy)
    r2 = np.zeros(1 << p)
    for size in range(1, p + 1):
        idx = np.array(list(combinations(range(p), size)), dtype=np.intp)
        r_ss = r_xx[idx[:, :, None], idx[:, None, :]]
        r_s = r_xy[idx]
        beta = np.linalg.solve(r_ss, r_s[..., None])[..., 0]
        r2[(1 << idx).sum(axis=1)] = np.einsum("ij,ij->i", r_s, beta)
    return r2


def _group_subset_r2(subset_r2: np.ndarray, group_masks: list[int]) -> np.ndarray:
    """R2 of every coalition of groups, read from the predictor-subset table: a coalition of
    groups is the union of their scales."""
    g = len(group_masks)
    coalitions = np.zeros(1 << g, dtype=np.int64)
    for k, mask in enumerate(group_masks):
        has_k = (np.arange(1 << g) >> k) & 1 == 1
        coalitions[has_k] |= mask
    return subset_r2[coalitions]


def _shapley_values(subset_r2: np.ndarray, players: int) -> np.ndarray:
    """Exact Shapley values of the game v(S) = R2(S), v indexed by bitmask.

    phi_j = sum over S without j of |S|! (p - |S| - 1)! / p! * (v(S + j) - v(S)):
    the incremental R2 of j averaged over all p! orders of entry."""
    masks = np.arange(1 << players)
    size = np.bitwise_count(masks)
    order_weight = np.array(
        [math.factorial(s) * math.factorial(players - s - 1) / math.factorial(players) for s in range(players)]
    )
    phi = np.empty(players)
    for j in range(players):
        without = masks[(masks >> j) & 1 == 0]
        phi[j] = np.dot(order_weight[size[without]], subset_r2[without | (1 << j)] - subset_r2[without])
    return phi


# --- coefficients -----------------------------------------------------------------------


def _robust_standardised_fit(
    zy: np.ndarray, zx: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Weighted OLS of z(y) on z(x) with HC1 (sandwich) standard errors.

    The sandwich is what makes the CI honest with calibration weights; it is invariant to
    rescaling the weights, but it is not a frequency-weight analysis: duplicating a
    respondent is not the same as giving them weight 2 (the point estimates are)."""
    design = sm.add_constant(zx, has_constant="add")
    fit = sm.WLS(zy, design, weights=w).fit(cov_type="HC1")
    ci = np.asarray(fit.conf_int(alpha=0.05))
    return fit.params[1:], ci[1:, 0], ci[1:, 1], float(fit.rsquared)


# --- table ------------------------------------------------------------------------------


def _ranked(rows: pd.DataFrame, r2_total: float) -> pd.DataFrame:
    rows = rows.copy()
    # R2 is 0 only if no predictor correlates at all; then shares are undefined, not 0.
    rows["importance_share"] = rows["shapley_r2"] / r2_total * 100 if r2_total > 0 else np.nan
    # 'first' breaks (practically impossible) exact ties by reporting order, so ranks are
    # unique integers and top10 has exactly ten resources.
    rows["rank"] = rows["shapley_r2"].rank(ascending=False, method="first").astype(int)
    return rows.sort_values("rank", kind="stable").reset_index(drop=True)
