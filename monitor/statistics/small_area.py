"""Small-area estimation for every wijk and buurt (methodology section 5).

Direct estimates below the gemeente rest on a handful of respondents (a median buurt has about
three), so each wijk and buurt gets a model-based estimate that borrows strength from the
area's CBS covariates (`cov_*` of `intermediate.int_small_area_covariates`: income, low-income
households, bijstand, migration background, age structure, single-person households, density,
urbanity, owner-occupied homes) and from its gemeente (the `gem_*` covariates in the model, and
the gemeente's published direct estimate through benchmarking).

Default model (``method="fay_herriot"``): the area-level Fay-Herriot model
``y_i = x_i'b + u_i + e_i``, u_i ~ N(0, s2u), e_i ~ N(0, psi_i), fitted per edition, level
(wijk on wijk rows and wijk codes, buurt on buurt rows) and indicator on the areas with
respondents:

- ``y_i`` is the calibration-weighted direct mean of the area's respondents (respondents
  without a buurt count only in the gemeente's direct estimate).
- ``psi_i`` is a *smoothed* sampling variance: the pooled within-area variance of the level
  (over all areas with two or more respondents) times ``sum(w^2) / sum(w)^2`` of the area
  (1 / Kish effective n), so a buurt with two look-alike answers does not get variance zero.
- the area effect has variance ``s2u + s2_within / adults_i``: the second part is the
  finite-population variation of the mean of an area's adults around the model's
  superpopulation mean (small buurten vary more); it is known, only ``s2u`` is estimated.
- ``s2u`` by REML with the Li-Lahiri adjustment (the REML likelihood times s2u, which keeps
  the estimate off the boundary zero; negligible with hundreds of areas), optimised by
  ``scipy.optimize.minimize_scalar``; ``b`` by GLS. No maintained Python package offers a
  Fay-Herriot fit (samplics' EBLUP was not carried over into its successor ``svy``), and the
  REML criterion is a few vectorised lines (Rao & Molina 2015, ch. 6).
- EBLUP ``gamma_i y_i + (1 - gamma_i) x_i'b`` with ``gamma_i = s2u / (s2u + psi_i)``; areas
  without respondents get the synthetic ``x_i'b``. MSE by Prasad-Rao for REML
  (``g1 + g2 + 2 g3``); without respondents ``s2u + x_i' Var(b) x_i``.

Comparison model (``method="nested_error"``): the unit-level nested-error model of
Battese-Harter-Fuller, ``y_ij = x_i'b + u_i + e_ij``, fitted with statsmodels ``MixedLM``
(REML, area random intercept, the same area covariates as fixed effects). MixedLM takes no
survey weights, so the variance components and ``b`` are fitted unweighted and the prediction
is the pseudo-EBLUP (You & Rao 2002 in spirit): the area's *weighted* mean shrunk with
``gamma_i = s2u / (s2u + s2e / n_eff,i)`` (Kish effective n), MSE ``g1 + g2``.

Covariates an edition's CBS file does not carry (a real export may be a subset of the table,
e.g. the 2017 export in the shared test data has no bijstand, urbanity, households or
owner-occupied homes) are NULL throughout in ``int_small_area_covariates``; the model goes
without them (``design_matrix`` drops all-NULL columns), lists them per edition in
``monitor_small_area_validation.covariates_absent`` and the diagnostics, and refuses only when
fewer than ``MIN_COVARIATES`` (1) remain.

Benchmarking: per edition, level, gemeente and indicator, every area's model estimate is
shifted by the same amount so that the adults-weighted mean of the model estimates of all the
gemeente's areas (suppressed ones included) equals the gemeente's published direct estimate
(``validation.benchmark_shift``). A gemeente whose direct estimate is suppressed (under 10
respondents) is not benchmarked; its areas keep the model estimate and ``method`` says so.
Estimates are clipped to the indicator range (0..10, 0..100) after benchmarking only where they
leave it; ``method`` and ``diagnostics["clipped"]`` record it.

Uncertainty: the benchmarked estimate minus the gemeente's direct estimate is exactly the
model estimate minus the gemeente's model aggregate (the shift cancels), so its error variance
is ``v_contrast = mse_i (1 - 2 a_i) + sum_j a_j^2 mse_j`` (a = adults shares in the gemeente;
area errors taken as independent). The published ``mse`` of a benchmarked area adds the
variance of the gemeente's direct estimate (from its CI): ``mse = v_contrast + var_direct``;
an area of a gemeente that is not benchmarked keeps its model MSE. Interval: estimate +-
1.96 sqrt(mse), clipped to the range.

``below_gemeente`` ("overall goed, maar niet overal"): the gemeente's direct estimate is at or
above the province's, and the area lies significantly below it: on its own respondents where it
has MIN_DIRECT_RESPONDENTS (10) or more, on the model where it has fewer (``flag_rule="switch"``;
``flag_basis`` says which; ``"either"`` flags on both and is kept for the comparison):

- *on the model*: the one-sided 97.5 % upper bound of (area - gemeente) lies more than
  RELEVANT_GAP below zero, ``(estimate - gemeente_estimate + RELEVANT_GAP) / contrast_se <
  -1.96`` with ``contrast_se = sqrt(v_contrast)`` (0.5 point on 0..10, 5 points on 0..100).
  Because the shift cancels, the test is the model's within-gemeente contrast and the direct
  estimate's own variance does not enter it. The margin is needed because the model's
  contrast_se is small: a pure significance test flagged 170-240 buurten of the demo, and
  the truth of the demo has ~340 of 1,895 buurten 0.5 point or more below their gemeente;
- *on its respondents* (an area with MIN_DIRECT_RESPONDENTS or more): the direct contrast
  ``(direct_estimate - gemeente_estimate + DIRECT_RELEVANT_GAP) / direct_contrast_se < -DIRECT_Z``
  (one-sided 5 %, no margin), ``direct_contrast_se^2 = psi_i (1 - 2 a_i) + var(gemeente)``,
  a_i the area's share of the gemeente's weights (its respondents are part of the gemeente's).

Why both: the model gives an area with respondents the weight ``own_weight`` = gamma_i on them,
a few percent for a buurt (median 0.02-0.04), so a buurt whose weakness the CBS figures do not
predict is shrunk back to its look-alikes whatever its respondents say; the model alone found
none of the hidden weak buurten of the demo. Its own respondents are the only evidence there
is for such a buurt; the model remains the only evidence for the many buurten with few or no
respondents. The published ``estimate`` stays the model's (it is the more accurate one over
all areas), so an area can be flagged on its respondents while its estimate lies close to the
gemeente: the listing shows its ``direct_estimate`` beside it. A flag on the model alone in an
area without respondents is a signal to look at, not a finding (the factsheet says so). Not
for suppressed areas, nor in gemeenten without a published direct estimate (their place
against the province is unknown).

Disclosure control (section 6): areas with ``suppressed`` (under 50 inhabitants) keep their
rows with estimate, interval, mse, model_estimate, model_mse, contrast_se and direct_estimate
NULL, ``below_gemeente`` False and the reason; they still count in the benchmark.
``direct_estimate`` is only published on 10 respondents or more.

Model choice (issue 5), on the demo truth of that time (weak buurten only where the CBS
figures point): Fay-Herriot and the nested-error model had the same RMSE (buurt 0.21-0.27 of the
direct RMSE); the Fay-Herriot intervals covered better (0.97 against 0.93 on the whole-
population demo, 0.82 against 0.72 on a 10 % population), and it is 50-100x faster (0.1-0.5 s
for Brabant, ~5 s for a national case of 14,000 buurten and 500,000 respondents; MixedLM takes
15 s for Brabant). Choice: Fay-Herriot.

Flag rule and REML variant (issue 15), ``bench/compare_small_area_models.py`` on four demo
warehouses (seeds 7, 11, 2018, 3; 10,000 respondents, whole population, edition 2018), whose
truth plants 8 weak buurten where the CBS deprivation figures point ("predicted") and up to 8
that look average on every CBS figure, with 12-28 respondents ("hidden"), all about one point
below their gemeente (monitor/demo/truth.py). Counted: planted buurten in gemeenten published
at or above the province (elsewhere no flag applies), hidden ones with >= 12 respondents; a
false flag is a flagged buurt not truly >= 0.5 below its gemeente. Per seed 7 | 11 | 2018 | 3:

  candidate (veerkracht_score, buurten)     predicted found  hidden>=12 found  false flags  flagged
  model only, margin 0.75 (issue 5)         5/6 4/7 7/7 4/7  0/6 0/7 0/1 0/4   0 0 0 0    16 25 27 14
    same, plain REML                        6/6 5/7 7/7 5/7  0/6 0/7 0/1 0/4   0 0 0 0    23 32 30 18
  model only, margin 0.5                    6/6 7/7 7/7 7/7  0/6 0/7 0/1 0/4   0 0 1 0    32 54 43 34
    same, plain REML                        6/6 7/7 7/7 7/7  0/6 0/7 0/1 0/4   2 0 2 1    52 67 51 41
  direct only, margin 0.25, z 1.96          (no respondents)  1/6 4/7 1/1 2/4   1 2 2 1     6 10  7  8
  direct only, z 1.96                       (no respondents)  3/6 6/7 1/1 4/4   4 3 3 1    12 14  9 10
  direct only, z 1.645                      (no respondents)  4/6 6/7 1/1 4/4   6 4 6 4    16 18 12 17
  either, model 0.75, z 1.645               5/6 4/7 7/7 4/7  4/6 6/7 1/1 4/4   6 4 6 4    31 42 38 28
  either, model 0.5, z 1.96                 6/6 7/7 7/7 7/7  3/6 6/7 1/1 4/4   4 3 4 1    42 65 48 41
  either, model 0.5, z 1.645                6/6 7/7 7/7 7/7  4/6 6/7 1/1 4/4   6 4 7 4    46 67 51 47
  switch, model 0.5, z 1.645 (chosen)       6/6 7/7 7/7 7/7  4/6 6/7 1/1 4/4   6 4 7 4    45 65 50 45
    same, plain REML                        6/6 7/7 7/7 7/7  4/6 6/7 1/1 4/4   8 4 8 5    65 80 59 53
    same, nested-error model                6/6 7/7 7/7 7/7  4/6 6/7 1/1 4/4  12 4 7 4    79 64 56 45

  ("either": the own respondents or the model; "switch": the respondents where an area has 10 or
  more, the model where it has fewer.) Buurt RMSE ratio
  0.18-0.22 (score) and 0.17-0.19 (pct), buurt coverage 0.96-0.97 (score) and 0.97-0.98 (pct),
  wijk 0.94-0.98, with Fay-Herriot and adjusted REML; the flag rule does not change estimates.
  The nested-error model covers 0.88-0.97 (pct 0.90-0.97, wijk 0.91-0.97).

- The model alone never finds a hidden weak buurt: it gives a buurt's respondents a weight of
  a few percent (median own_weight 0.025-0.033, wijken 0.03-0.06), and nothing in the CBS
  figures points at the buurt. A heavy-tailed (t, 4 df) area effect would not change that: with
  sigma_u^2 = 0.015-0.03 and a direct contrast of -1 +- 0.4 point (20 respondents) its posterior
  mean is -0.09 to -0.17, as the normal one's; it departs only for contrasts of 5 noise SDs.
  The area's own respondents are the evidence, so the direct contrast is tested where there
  are 10 or more. One-sided 5 % without margin: 15 of 18 hidden weak buurten, against 14 at
  2.5 % and 8 with a 0.25 margin; the false flags it adds are at most 0.4 % of all buurten.
- "switch" rather than "either": the same finds and false flags, and no area is flagged on the
  model against 10 or more respondents of its own that do not lie below the gemeente ("either"
  flagged 9 such rows in `make demo`'s 2018 edition, e.g. a buurt whose 10 respondents are 86 %
  veerkrachtig against 80 % in its gemeente); where an area has enough respondents, they decide.
- The model margin 0.5 instead of 0.75 finds every predicted weak buurt (27/27 against 20/27)
  for 1 more false flag over the four seeds; flagged lists are 46-67 buurten (1-2 per gemeente),
  of which 90 % truly lie 0.5 point or more below their gemeente. In all, the chosen rule finds
  every predicted weak buurt, 15 of 18 hidden ones, and its false flags are 0.2-0.4 % of all
  buurten.
- REML: plain REML puts sigma_u^2 of the buurten near zero (0.0009-0.0155 against
  0.021-0.029 adjusted; wijken 0.000-0.010 against 0.007-0.018), so estimates rest even more
  on the model (median own_weight 0.006-0.021 against 0.025-0.033) and intervals undercover
  (buurt 0.92-0.97, pct 0.93-0.96, wijk 0.91-0.98); it finds 0-1 more predicted buurten with
  margin 0.75, none more with 0.5, and flags more falsely. Adjusted REML (Li-Lahiri) stays.

How much each area rests on the model is published: ``own_weight`` per area,
``monitor_small_area_validation.sigma2_area`` / ``mean_own_weight`` and the flags by basis per
gemeente, and the asset's ``fit_and_flags`` metadata table per level (``fit_table``).

Known limit: on the test10k warehouse buurt coverage is ~0.81, below the nominal 0.95. Its
truth is the mean of a 10 % simulated population, so a buurt of 300 adults has ~30 simulated
people and its true value varies ~10x more around the model than a real buurt's would; the
data cannot reveal that (a REML-estimated size term was not identifiable). On the whole-
population demo coverage is 0.97. Wijken (0.91-0.97) are fine on both.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

INDICATORS = ("veerkracht_score", "pct_veerkrachtig")  # ranges 0..10 and 0..100
INDICATOR_RANGE = {"veerkracht_score": (0.0, 10.0), "pct_veerkrachtig": (0.0, 100.0)}
# below_gemeente on the model: the area must lie significantly more than this below its gemeente
RELEVANT_GAP = {"veerkracht_score": 0.5, "pct_veerkrachtig": 5.0}
# below_gemeente on the area's own respondents (where it has MIN_DIRECT_RESPONDENTS or more):
# the direct contrast must lie significantly more than this below the gemeente
DIRECT_RELEVANT_GAP = {"veerkracht_score": 0.0, "pct_veerkrachtig": 0.0}
# ... at this one-sided level (critical value of the standard normal): 5 %, see the comparison
DIRECT_Z = 1.6448536269514722
METHODS = ("fay_herriot", "nested_error")
DEFAULT_METHOD = "fay_herriot"
REML_VARIANTS = ("adjusted", "plain")  # Li-Lahiri adjusted REML, or plain REML (can be 0)
DEFAULT_REML = "adjusted"
# what a flag may rest on: "either" (the area's own respondents or the model), "model" (the
# model contrast only), "respondents" (the direct contrast only) or "switch" (the direct
# contrast where the area has MIN_DIRECT_RESPONDENTS, the model elsewhere)
FLAG_RULES = ("either", "model", "respondents", "switch")
DEFAULT_FLAG_RULE = "switch"
FLAG_BASIS = {(True, False): "respondents", (False, True): "model", (True, True): "respondents and model"}
LEVELS = ("wijk", "buurt")
MIN_DIRECT_RESPONDENTS = 10  # direct_estimate is published from this many respondents (section 6)
# CBS covariates (cov_*) an edition's file must carry for the model to tell the areas of a
# gemeente apart: without any, every area would get its gemeente's mean, so the step refuses.
MIN_COVARIATES = 1
Z = 1.959963984540054

RESPONDENT_COLUMNS = ("edition", "resp_id", "gemeente_code", "buurt_code", "wijk_code", "weight", *INDICATORS)
AREA_COLUMNS = ("edition", "area_level", "area_code", "gemeente_code", "inhabitants", "adults", "suppressed",
                "suppression_reason")
DIRECT_COLUMNS = ("edition", "area_level", "area_code", "indicator", "estimate", "ci_lower", "ci_upper",
                  "n_respondents")
ESTIMATE_COLUMNS = [
    "edition", "area_level", "area_code", "gemeente_code", "indicator", "estimate", "ci_lower", "ci_upper", "mse",
    "n_respondents", "inhabitants", "adults", "method", "direct_estimate", "model_estimate", "model_mse",
    "gemeente_estimate", "benchmark_shift", "contrast_se", "own_weight", "direct_contrast_se", "below_gemeente",
    "flag_basis", "suppressed", "suppression_reason",
]
VALIDATION_COLUMNS = [
    "edition", "area_level", "gemeente_code", "indicator", "direct_estimate", "direct_ci_lower", "direct_ci_upper",
    "model_aggregate", "benchmark_shift", "benchmarked", "within_direct_ci", "areas", "areas_with_respondents",
    "sigma2_area", "mean_own_weight", "flagged", "flagged_on_respondents", "flagged_on_model", "flagged_on_both",
    "covariates_absent",
]


@dataclass
class SmallAreaResult:
    estimates: pd.DataFrame
    validation: pd.DataFrame
    diagnostics: dict = field(default_factory=dict)


@dataclass
class ModelFit:
    """Model estimate and MSE for every area of one edition x level x indicator."""
    estimate: np.ndarray
    mse: np.ndarray
    own_weight: np.ndarray  # gamma_i: the weight of the area's own respondents (0 without any)
    diagnostics: dict


# -- inputs -----------------------------------------------------------------------------------
def _require(frame: pd.DataFrame, columns, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"small_area_estimates: `{name}` lacks column(s) {missing}")


def covariate_columns(areas: pd.DataFrame) -> list[str]:
    return [c for c in areas.columns if c.startswith(("cov_", "gem_"))]


def absent_covariates(areas: pd.DataFrame) -> list[str]:
    """The cov_* covariates without any value in `areas` (one edition): the edition's CBS file
    does not carry the variables they are built from (or keeps them secret throughout)."""
    return [c for c in areas.columns if c.startswith("cov_") and pd.to_numeric(areas[c], errors="coerce").isna().all()]


def _require_covariates(edition, areas: pd.DataFrame) -> list[str]:
    """The absent covariates of the edition; refuses when fewer than MIN_COVARIATES remain."""
    absent = absent_covariates(areas)
    present = [c for c in areas.columns if c.startswith("cov_") and c not in absent]
    if len(present) < MIN_COVARIATES:
        raise ValueError(
            f"small_area_estimates: edition {edition}: only {len(present)} CBS covariate(s) have values "
            f"({', '.join(present) or 'none'}); absent: {', '.join(absent)}. The model needs at least "
            f"{MIN_COVARIATES}: supply the CBS columns they are built from (intermediate.int_area_profiles) "
            "in the edition's kwb_supplement.csv and refresh again"
        )
    return absent


def design_matrix(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, list[str]]:
    """Intercept + standardised covariates (missing values, which the dbt model should not
    leave, get the column mean); constant columns are dropped."""
    parts, names = [np.ones(len(frame))], ["intercept"]
    for c in columns:
        x = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
        if np.isnan(x).all():
            continue
        x = np.where(np.isnan(x), np.nanmean(x), x)
        sd = x.std()
        if sd > 0:
            parts.append((x - x.mean()) / sd)
            names.append(c)
    return np.column_stack(parts), names


def independent_columns(X: np.ndarray, tol: float = 1e-8) -> np.ndarray:
    """Mask of the columns kept when a column is (nearly) a linear combination of the ones
    before it (e.g. a gemeente covariate that is constant over the areas with respondents)."""
    keep = np.zeros(X.shape[1], dtype=bool)
    for j in range(X.shape[1]):
        trial = keep.copy()
        trial[j] = True
        if np.linalg.matrix_rank(X[:, trial], tol=tol * np.sqrt(len(X))) == trial.sum():
            keep = trial
    return keep


def area_direct(codes: np.ndarray, respondents: pd.DataFrame, code_column: str, indicator: str) -> pd.DataFrame:
    """Per area code: n, weighted mean, sum w, sum w^2, unweighted within sum of squares."""
    r = respondents[[code_column, "weight", indicator]].dropna()
    r = r[r[code_column].isin(codes)]
    y = r[indicator].to_numpy(dtype=float)
    w = r["weight"].to_numpy(dtype=float)
    key = r[code_column].to_numpy()
    g = pd.DataFrame({"code": key, "w": w, "wy": w * y, "w2": w * w, "y": y, "y2": y * y, "n": 1.0})
    s = g.groupby("code", sort=False).sum()
    out = pd.DataFrame(index=pd.Index(codes, name="code"))
    out["n"] = s["n"].reindex(out.index).fillna(0).to_numpy()
    out["mean"] = (s["wy"] / s["w"]).reindex(out.index).to_numpy()
    out["w"] = s["w"].reindex(out.index).fillna(0).to_numpy()
    out["inv_neff"] = (s["w2"] / s["w"] ** 2).reindex(out.index).to_numpy()
    umean = s["y"] / s["n"]
    out["ss_within"] = (s["y2"] - s["n"] * umean**2).clip(lower=0).reindex(out.index).fillna(0).to_numpy()
    return out


def sampling_variance(d: pd.DataFrame) -> tuple[np.ndarray, float]:
    """psi_i, the smoothed sampling variance of every area's direct mean (the level's pooled
    within-area variance over areas with two or more respondents times 1 / Kish effective n;
    NaN without respondents), and that pooled variance."""
    many = d["n"] >= 2
    within_df = float((d["n"] - 1)[many].sum())
    s2_within = float(d["ss_within"][many].sum() / within_df) if within_df > 0 else float("nan")
    return s2_within * d["inv_neff"].to_numpy(), s2_within


# -- Fay-Herriot ------------------------------------------------------------------------------
def fay_herriot_reml(y: np.ndarray, X: np.ndarray, psi: np.ndarray, offset: np.ndarray | None = None,
                     reml: str = DEFAULT_REML) -> dict:
    """Fay-Herriot fit by REML: var(y_i) = s2u + offset_i + psi_i (offset: a known part of the
    area-effect variance, zero by default); b and Var(b) by GLS. `reml="adjusted"` maximises
    the REML likelihood times s2u (Li & Lahiri 2010), which keeps s2u off zero; "plain" the REML
    likelihood itself (its maximum may lie on the boundary, here the search's lower bound)."""
    if reml not in REML_VARIANTS:
        raise ValueError(f"fay_herriot_reml: reml must be one of {REML_VARIANTS}, not {reml!r}")
    adjust = 1.0 if reml == "adjusted" else 0.0
    offset = np.zeros(len(y)) if offset is None else offset
    fixed = offset + psi

    def neg_loglik(log_s2: float) -> float:
        v = np.exp(log_s2) + fixed
        Xv = X / v[:, None]
        A = X.T @ Xv
        b = np.linalg.solve(A, Xv.T @ y)
        r = y - X @ b
        _, logdet = np.linalg.slogdet(A)
        reml = -0.5 * (np.log(v).sum() + logdet + (r * r / v).sum())
        return -(reml + adjust * log_s2)  # Li-Lahiri adjustment: REML likelihood times s2u

    from scipy import optimize  # here: the checks and the UI read this module's rules without scipy

    scale = max(float(np.var(y)), 1e-8)
    res = optimize.minimize_scalar(neg_loglik, bounds=(np.log(scale * 1e-6), np.log(scale * 10)), method="bounded",
                                   options={"xatol": 1e-6})
    s2 = float(np.exp(res.x))
    v = s2 + fixed
    Xv = X / v[:, None]
    cov_b = np.linalg.inv(X.T @ Xv)
    b = cov_b @ (Xv.T @ y)
    return {"s2u": s2, "b": b, "cov_b": cov_b, "var_s2u": 2.0 / np.sum(1.0 / v**2), "converged": bool(res.success)}


def fit_fay_herriot(X: np.ndarray, d: pd.DataFrame, names: list[str], size: np.ndarray,
                    reml: str = DEFAULT_REML) -> ModelFit:
    has = (d["n"] > 0).to_numpy()
    psi, s2_within = sampling_variance(d)
    # the finite-population part of the area effect: the mean of the area's `size` adults
    # varies around the model's superpopulation mean with variance s2_within / size
    finite = s2_within / np.maximum(size, 1.0)
    y = d["mean"].to_numpy()
    fit = fay_herriot_reml(y[has], X[has], psi[has], finite[has], reml)
    s2, b, cov_b = fit["s2u"], fit["b"], fit["cov_b"]
    area_var = s2 + finite
    synthetic = X @ b
    g2_full = np.einsum("ij,jk,ik->i", X, cov_b, X)
    estimate = synthetic.copy()
    mse = area_var + g2_full  # areas without respondents
    sv, ps = area_var[has], psi[has]
    gamma = sv / (sv + ps)
    estimate[has] = gamma * y[has] + (1 - gamma) * synthetic[has]
    g1 = gamma * ps
    g2 = (1 - gamma) ** 2 * g2_full[has]
    g3 = ps**2 / (sv + ps) ** 3 * fit["var_s2u"]
    mse[has] = g1 + g2 + 2 * g3
    own_weight = np.zeros(len(has))
    own_weight[has] = gamma
    return ModelFit(estimate, mse, own_weight, {
        "model": f"Fay-Herriot area-level EBLUP, area variance s2u + s2_within/adults, {reml} REML, Prasad-Rao MSE",
        "reml": reml, "sigma2_area": s2, "sigma2_within_pooled": s2_within, "converged": fit["converged"],
        "areas_with_respondents": int(has.sum()), "areas": int(len(has)),
        "mean_shrinkage_gamma": float(gamma.mean()) if has.any() else None,
        "coefficients": dict(zip(names, map(float, b))),
    })


# -- nested-error unit-level model ------------------------------------------------------------
def fit_nested_error(X: np.ndarray, d: pd.DataFrame, names: list[str], unit_y: np.ndarray,
                     unit_area: np.ndarray) -> ModelFit:
    """Battese-Harter-Fuller via statsmodels MixedLM (unweighted fit, pseudo-EBLUP with the
    weighted area means and Kish effective n)."""
    from statsmodels.regression.mixed_linear_model import MixedLM

    # MixedLM's optimiser is fragile on a 0/100 scale: fit on the standardised outcome
    centre, spread = float(unit_y.mean()), float(unit_y.std()) or 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = MixedLM((unit_y - centre) / spread, X[unit_area], groups=unit_area).fit(reml=True)
    b = np.asarray(res.fe_params) * spread
    b[0] += centre
    cov_b = np.asarray(res.cov_params())[: len(b), : len(b)] * spread**2
    s2u = float(np.asarray(res.cov_re)[0, 0]) * spread**2
    s2e = float(res.scale) * spread**2
    if s2u <= 1e-10 * s2e:  # on the boundary MixedLM's fixed effects can be off; there GLS = OLS
        Xu = X[unit_area]
        b, *_ = np.linalg.lstsq(Xu, unit_y, rcond=None)
        s2u, s2e = 0.0, float(np.sum((unit_y - Xu @ b) ** 2) / max(len(unit_y) - X.shape[1], 1))
        cov_b = s2e * np.linalg.inv(Xu.T @ Xu)
    has = (d["n"] > 0).to_numpy()
    synthetic = X @ b
    g2_full = np.einsum("ij,jk,ik->i", X, cov_b, X)
    estimate = synthetic.copy()
    mse = s2u + g2_full
    e = s2e * d["inv_neff"].to_numpy()[has]
    gamma = s2u / (s2u + e) if s2u > 0 else np.zeros(has.sum())
    estimate[has] = gamma * d["mean"].to_numpy()[has] + (1 - gamma) * synthetic[has]
    mse[has] = gamma * e + (1 - gamma) ** 2 * g2_full[has]
    own_weight = np.zeros(len(has))
    own_weight[has] = gamma
    return ModelFit(estimate, mse, own_weight, {
        "model": "nested-error unit-level EBLUP (Battese-Harter-Fuller), statsmodels MixedLM REML, pseudo-EBLUP",
        "sigma2_area": s2u, "sigma2_unit": s2e, "converged": bool(res.converged),
        "areas_with_respondents": int(has.sum()), "areas": int(len(has)),
        "coefficients": dict(zip(names, map(float, b))),
    })


# -- one edition x level x indicator ----------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """The model and the flag rule (defaults: the published choice; the others for comparison,
    bench/compare_small_area_models.py). Gaps on the 0..10 scale (x10 for percentages)."""
    method: str = DEFAULT_METHOD
    reml: str = DEFAULT_REML
    flag_rule: str = DEFAULT_FLAG_RULE
    relevant_gap: float | None = None  # model contrast; None: RELEVANT_GAP
    direct_gap: float | None = None  # direct contrast; None: DIRECT_RELEVANT_GAP
    direct_z: float = DIRECT_Z  # one-sided critical value of the direct contrast

    def __post_init__(self):
        for name, value, allowed in (("method", self.method, METHODS), ("reml", self.reml, REML_VARIANTS),
                                     ("flag_rule", self.flag_rule, FLAG_RULES)):
            if value not in allowed:
                raise ValueError(f"small_area_estimates: {name} must be one of {allowed}, not {value!r}")

    def gaps(self, indicator: str) -> tuple[float, float]:
        lo, hi = INDICATOR_RANGE[indicator]
        scale = (hi - lo) / 10
        model = RELEVANT_GAP[indicator] if self.relevant_gap is None else self.relevant_gap * scale
        direct = DIRECT_RELEVANT_GAP[indicator] if self.direct_gap is None else self.direct_gap * scale
        return model, direct


def direct_contrast_se(d: pd.DataFrame, psi: np.ndarray, gemeente_weight: np.ndarray,
                       var_gemeente: np.ndarray) -> np.ndarray:
    """Standard error of (area direct mean - gemeente direct estimate) for areas with
    MIN_DIRECT_RESPONDENTS or more (NaN elsewhere): var = psi_i (1 - 2 a_i) + var_gemeente, a_i
    the area's share of the gemeente's weights (its respondents are part of the gemeente's)."""
    a = np.divide(d["w"].to_numpy(), gemeente_weight, out=np.zeros(len(d)), where=gemeente_weight > 0)
    var = psi * (1 - 2 * a) + var_gemeente
    enough = (d["n"].to_numpy() >= MIN_DIRECT_RESPONDENTS) & np.isfinite(var) & (var > 0)
    return np.where(enough, np.sqrt(np.where(enough, var, 1.0)), np.nan)


def flag_sources(rule: str, model_z: np.ndarray, direct_z: np.ndarray, eligible: np.ndarray,
                 direct_critical: float = DIRECT_Z):
    """(on the area's respondents, on the model) per area, under `rule` (FLAG_RULES)."""
    on_respondents = eligible & (np.nan_to_num(direct_z, nan=0.0) < -direct_critical)
    on_model = eligible & (np.nan_to_num(model_z, nan=0.0) < -Z)
    if rule == "model":
        on_respondents = np.zeros_like(on_respondents)
    elif rule == "respondents":
        on_model = np.zeros_like(on_model)
    elif rule == "switch":  # the model only where the area has too few respondents of its own
        on_model = on_model & ~np.isfinite(direct_z)
    return on_respondents, on_model


def _level_estimates(edition, level: str, indicator: str, A: pd.DataFrame, X: np.ndarray, names: list[str],
                     resp: pd.DataFrame, gem_direct: pd.DataFrame, province: float, options: Options):
    method = options.method
    code_column = "buurt_code" if level == "buurt" else "wijk_code"
    codes = A["area_code"].to_numpy()
    d = area_direct(codes, resp, code_column, indicator)
    if (d["n"] > 0).sum() <= X.shape[1] + 2:
        raise ValueError(f"small_area_estimates: edition {edition}, {level}, {indicator}: only "
                         f"{int((d['n'] > 0).sum())} areas with respondents for {X.shape[1]} model terms")
    keep = independent_columns(X[(d["n"] > 0).to_numpy()])
    X, names = X[:, keep], [n for n, k in zip(names, keep) if k]
    if method == "fay_herriot":
        size = np.maximum(pd.to_numeric(A["adults"], errors="coerce").fillna(1).to_numpy(dtype=float), 1.0)
        fit = fit_fay_herriot(X, d, names, size, options.reml)
    else:
        r = resp[[code_column, indicator]].dropna()
        index = pd.Index(codes).get_indexer(r[code_column])
        keep = index >= 0
        fit = fit_nested_error(X, d, names, r[indicator].to_numpy(dtype=float)[keep], index[keep])

    lo, hi = INDICATOR_RANGE[indicator]
    adults = pd.to_numeric(A["adults"], errors="coerce").fillna(0).clip(lower=0).to_numpy(dtype=float)
    gem = A["gemeente_code"].to_numpy()
    frame = pd.DataFrame({"gemeente_code": gem, "adults": adults, "model": fit.estimate, "model_mse": fit.mse})
    tot = frame.groupby("gemeente_code")["adults"].transform("sum").to_numpy()
    share = np.divide(adults, tot, out=np.zeros_like(adults), where=tot > 0)
    frame["a"] = share
    frame["a_model"] = share * fit.estimate
    frame["a2_mse"] = share**2 * fit.mse
    g = frame.groupby("gemeente_code").agg(aggregate=("a_model", "sum"), a2_mse=("a2_mse", "sum"),
                                           adults=("adults", "sum"), areas=("a", "size"))
    g = g.join(gem_direct, how="left")
    g["aggregate"] = g["aggregate"].where(g["adults"] > 0)
    g["benchmarked"] = g["direct"].notna() & g["aggregate"].notna()
    g["shift"] = (g["direct"] - g["aggregate"]).where(g["benchmarked"])

    shift = g["shift"].reindex(gem).to_numpy()
    benchmarked = g["benchmarked"].reindex(gem).to_numpy(dtype=bool)
    estimate = np.where(benchmarked, fit.estimate + np.nan_to_num(shift), fit.estimate)
    v_contrast = np.maximum(fit.mse * (1 - 2 * share) + g["a2_mse"].reindex(gem).to_numpy(), 1e-12)
    var_direct = g["var_direct"].reindex(gem).to_numpy()
    mse = np.where(benchmarked, v_contrast + np.nan_to_num(var_direct), fit.mse)
    clipped = (estimate < lo) | (estimate > hi)
    estimate = np.clip(estimate, lo, hi)
    half = Z * np.sqrt(mse)
    gemeente_estimate = g["direct"].reindex(gem).to_numpy()
    gemeente_good = (gemeente_estimate >= province) if np.isfinite(province) else np.zeros(len(gem), bool)
    suppressed = A["suppressed"].fillna(False).astype(bool).to_numpy()
    eligible = np.nan_to_num(gemeente_good, nan=False).astype(bool) & ~suppressed
    model_gap, direct_gap = options.gaps(indicator)
    model_z = (estimate - gemeente_estimate + model_gap) / np.sqrt(v_contrast)
    gemeente_weight = resp.dropna(subset=[indicator]).groupby("gemeente_code")["weight"].sum()
    direct_se = direct_contrast_se(d, sampling_variance(d)[0], gemeente_weight.reindex(gem).to_numpy(dtype=float),
                                   var_direct)
    direct_z = (d["mean"].to_numpy() - gemeente_estimate + direct_gap) / direct_se
    on_respondents, on_model = flag_sources(options.flag_rule, model_z, direct_z, eligible, options.direct_z)
    below = on_respondents | on_model
    # a string column even where nothing is flagged, so the table's type never depends on the data
    basis = pd.array([FLAG_BASIS.get(pair) for pair in zip(on_respondents, on_model)], dtype="string")

    base = "Fay-Herriot EBLUP (CBS covariates, REML)" if method == "fay_herriot" else \
        "nested-error unit-level EBLUP (CBS covariates, MixedLM REML)"
    has = d["n"].to_numpy() > 0
    text = np.where(has, base, "synthetic " + base + ", no respondents")
    text = np.where(benchmarked, np.char.add(text.astype(str), ", benchmarked to the gemeente direct estimate"),
                    np.char.add(text.astype(str), ", not benchmarked: gemeente direct estimate suppressed"))
    text = np.where(clipped, np.char.add(text, f", clipped to {lo:g}..{hi:g}"), text)

    out = pd.DataFrame({
        "edition": edition, "area_level": level, "area_code": codes, "gemeente_code": gem, "indicator": indicator,
        "estimate": estimate, "ci_lower": np.clip(estimate - half, lo, hi), "ci_upper": np.clip(estimate + half, lo, hi),
        "mse": mse, "n_respondents": d["n"].to_numpy().astype(np.int64),
        "inhabitants": pd.to_numeric(A["inhabitants"], errors="coerce").to_numpy(), "adults": adults,
        "method": text, "direct_estimate": d["mean"].to_numpy(), "model_estimate": fit.estimate,
        "model_mse": fit.mse, "gemeente_estimate": gemeente_estimate, "benchmark_shift": shift,
        "contrast_se": np.sqrt(v_contrast), "own_weight": fit.own_weight, "direct_contrast_se": direct_se,
        "below_gemeente": below, "flag_basis": basis, "suppressed": suppressed,
        "suppression_reason": A["suppression_reason"].where(suppressed, None).to_numpy(dtype=object),
    })
    # disclosure control (section 6): nothing about a suppressed area, no direct figure on
    # fewer than MIN_DIRECT_RESPONDENTS respondents
    out.loc[suppressed, ["estimate", "ci_lower", "ci_upper", "mse", "contrast_se", "model_estimate", "model_mse",
                         "direct_estimate", "own_weight", "direct_contrast_se"]] = np.nan
    out.loc[out["n_respondents"] < MIN_DIRECT_RESPONDENTS, "direct_estimate"] = np.nan
    out.loc[suppressed & out["suppression_reason"].isna(), "suppression_reason"] = "suppressed"

    validation = pd.DataFrame({
        "edition": edition, "area_level": level, "gemeente_code": g.index, "indicator": indicator,
        "direct_estimate": g["direct"].to_numpy(), "direct_ci_lower": g["ci_lower"].to_numpy(),
        "direct_ci_upper": g["ci_upper"].to_numpy(), "model_aggregate": g["aggregate"].to_numpy(),
        "benchmark_shift": g["shift"].to_numpy(), "benchmarked": g["benchmarked"].to_numpy(dtype=bool),
        "within_direct_ci": pd.array(np.where(g["direct"].notna(), (g["aggregate"] >= g["ci_lower"])
                                              & (g["aggregate"] <= g["ci_upper"]), pd.NA), dtype="boolean"),
        "areas": g["areas"].to_numpy(), "areas_with_respondents":
            pd.Series(has).groupby(gem).sum().reindex(g.index).to_numpy(),
        "sigma2_area": fit.diagnostics["sigma2_area"],
        **_flag_counts(out, has, g.index),
    })
    diag = fit.diagnostics | {
        "clipped": int((clipped & ~suppressed).sum()),
        "gemeenten_benchmarked": int(g["benchmarked"].sum()),
        "gemeenten_not_benchmarked": sorted(map(str, g.index[~g["benchmarked"]])),
        "max_abs_benchmark_shift": float(np.nanmax(np.abs(g["shift"]))) if g["benchmarked"].any() else None,
        "flagged_below_gemeente": int(out["below_gemeente"].sum()),
        "flagged_by_basis": {b: int((out["flag_basis"] == b).sum()) for b in FLAG_BASIS.values()},
        "own_weight_quartiles": [float(q) for q in np.quantile(fit.own_weight[has], [0.25, 0.5, 0.75])]
        if has.any() else None,
    }
    return out, validation, diag


def _flag_counts(out: pd.DataFrame, has: np.ndarray, gemeenten: pd.Index) -> dict:
    """Per gemeente: the mean weight of the own respondents over its areas with respondents,
    and its flagged areas by what the flag rests on."""
    by = out["gemeente_code"]
    counts = {
        "mean_own_weight": out["own_weight"].where(has).groupby(by).mean().reindex(gemeenten).to_numpy(),
        "flagged": out["below_gemeente"].groupby(by).sum().reindex(gemeenten, fill_value=0).to_numpy(),
    }
    for name, basis in (("flagged_on_respondents", "respondents"), ("flagged_on_model", "model"),
                        ("flagged_on_both", "respondents and model")):
        counts[name] = (out["flag_basis"] == basis).groupby(by).sum().reindex(gemeenten, fill_value=0).to_numpy()
    return counts


def small_area_estimates(respondents: pd.DataFrame, areas: pd.DataFrame, direct: pd.DataFrame, *,
                         options: Options | None = None, **choices) -> SmallAreaResult:
    """Model-based, benchmarked estimates of INDICATORS for every wijk and buurt of `areas`
    (see the module docstring). `options` (or its fields as keywords) choose the model and the
    flag rule; the defaults are the published choice."""
    options = options or Options(**choices)
    _require(respondents, RESPONDENT_COLUMNS, "respondents")
    _require(areas, AREA_COLUMNS, "areas")
    _require(direct, DIRECT_COLUMNS, "direct")
    if not covariate_columns(areas):
        raise ValueError("small_area_estimates: `areas` has no cov_* or gem_* covariate columns")

    estimates, validations, diagnostics = [], [], {"method": options.method, "reml": options.reml,
                                                   "flag_rule": options.flag_rule, "editions": {}}
    for edition in sorted(areas["edition"].unique()):
        resp = respondents[respondents["edition"] == edition]
        if (resp["weight"].dropna() < 0).any():
            raise ValueError("small_area_estimates: negative weights")
        dr = direct[direct["edition"] == edition]
        absent = _require_covariates(edition, areas[areas["edition"] == edition])
        ed_diag = diagnostics["editions"].setdefault(str(edition), {"covariates_absent": absent})
        for level in LEVELS:
            A = areas[(areas["edition"] == edition) & (areas["area_level"] == level)].reset_index(drop=True)
            if A.empty:
                continue
            X, names = design_matrix(A, covariate_columns(A))
            for indicator in INDICATORS:
                di = dr[dr["indicator"] == indicator]
                prov = di.loc[di["area_level"] == "provincie", "estimate"].dropna()
                province = float(prov.iloc[0]) if len(prov) else float("nan")
                gd = di[di["area_level"] == "gemeente"].set_index("area_code")
                gem_direct = pd.DataFrame({
                    "direct": gd["estimate"].astype(float), "ci_lower": gd["ci_lower"].astype(float),
                    "ci_upper": gd["ci_upper"].astype(float),
                    "var_direct": ((gd["ci_upper"].astype(float) - gd["ci_lower"].astype(float)) / (2 * Z)) ** 2,
                })
                gem_direct = gem_direct[~gem_direct.index.duplicated()]
                out, val, diag = _level_estimates(edition, level, indicator, A, X, names, resp, gem_direct,
                                                  province, options)
                estimates.append(out)
                absent_text = pd.array([",".join(absent) or None] * len(val), dtype="string")
                validations.append(val.assign(covariates_absent=absent_text))
                ed_diag.setdefault(level, {})[indicator] = diag | {"province_direct": province}
    est = pd.concat(estimates, ignore_index=True) if estimates else pd.DataFrame(columns=ESTIMATE_COLUMNS)
    val = pd.concat(validations, ignore_index=True) if validations else pd.DataFrame(columns=VALIDATION_COLUMNS)
    return SmallAreaResult(est[ESTIMATE_COLUMNS], val[VALIDATION_COLUMNS], _jsonable(diagnostics))


def fit_table(diagnostics: dict) -> pd.DataFrame:
    """Per edition, level and indicator: how much the estimates rest on the model (sigma_u^2,
    the weight of the own respondents) and the flags by what they rest on; for auditors (the
    Dagster UI) and the comparison of candidates."""
    rows = []
    for edition, levels in diagnostics["editions"].items():
        for level in LEVELS:
            for indicator, d in levels.get(level, {}).items():
                q = d.get("own_weight_quartiles") or [None] * 3
                rows.append({"edition": edition, "level": level, "indicator": indicator, "reml": d.get("reml"),
                             "sigma2_area": d["sigma2_area"], "areas_with_respondents": d["areas_with_respondents"],
                             "own_weight_p25": q[0], "own_weight_median": q[1], "own_weight_p75": q[2],
                             **{f"flagged on {b}": n for b, n in d["flagged_by_basis"].items()}})
    return pd.DataFrame(rows)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
