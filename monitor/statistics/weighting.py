"""Calibration weights of the monitor (methodology section 2).

`calibrate()` rakes each respondent's `design_weight` to the CBS adult population of
its gemeente, by sex and by age band (18-24, 25-44, 45-64, 65+), trims extreme weights and
reports how much precision the weighting costs (Kish design effect).

Raking domains
    A gemeente with at least `min_respondents` respondents is raked on its own
    (raking_level 'gemeente', raking_domain = the gemeente code). The other gemeenten of
    a COROP region, including those without any respondent, are pooled into one domain
    (raking_level 'regio', raking_domain = '<corop_code>-pool') whose targets are the sums
    of its members' targets. Pooling the empty ones too keeps the weighted province total
    equal to the adult population. The region of a gemeente is taken from the targets,
    since gemeenten without respondents appear only there.

Sex 'overig'
    CBS counts only men and women; respondents who answered 3 (anders) or left sex empty
    cannot be raked to a CBS figure, and dropping them or forcing them into a sex would
    bias the other two. So each domain's sex margin gets a third category 'overig' whose
    target is the domain's design-weighted share of such respondents times the domain's
    adult total; the men and women targets are scaled down by the same factor, so the
    three still add up to the adult total and men/women keep the CBS ratio.

Unreachable categories
    A category with a positive target but no respondents in a domain cannot be met (and
    one with respondents but a zero target would zero their weights). Nor can one with so
    few respondents that all of them at the trimming bound fall short of its target (e.g.
    one 18-24 respondent for 11 % of a pool of 60): trimming and raking would then never
    both hold. Such an age band is merged with its neighbour within that domain (18-24
    into 25-44, 65+ into 45-64, otherwise the next band up), a sex category 1/2 into the
    other; the merge is recorded in `domains.collapsed_categories` ('age_band 18-24 merged
    into 25-44', with the reason appended when it was too few rather than none) and the
    merged label ('18-24+25-44') in `margins`. Population and respondents are never dropped.

Trimming
    The bound is relative to the mean weight of the respondent's raking domain, because
    design weights differ a lot between gemeenten: a province-wide mean would trim whole
    gemeenten. Raking fixes the domain total, so that mean is the domain's adult
    population over its respondents. Weights above the bound are trimmed (the excess
    spread over the others, so the total is kept), then raked again, alternating until
    the margins are met within `tolerance` and every weight is within the bound. Trimming
    caps at a hair under the bound (relative headroom 10 x tolerance) so that the small
    upward push of the next raking does not cross it again. `rounds` counts trim-and-rake
    cycles after the first raking (0: no trimming was needed). `trimmed` marks the
    respondents capped in any cycle. When the cycle does not meet both within
    `max_rounds` (the bound and the margins cannot both hold jointly, e.g. Deurne in demo
    seed 1: 107 respondents, few of them 18-24), the category whose respondents were
    capped most often is merged into its neighbour (recorded with that reason) and the
    domain is raked again. Only when no merge is left is the last raking kept (margins
    met, bound not), the domain marked converged=False and a RuntimeWarning raised.

Library
    svy 0.35 (svylab, the maintained successor of samplics, which is archived) does the
    raking (`Sample.weighting.rake`, IPF) and the trimming (`Sample.weighting.trim` with
    `Threshold("mean", k)`), one small Sample per raking domain. The trim-rake cycle is
    driven here rather than by `rake(trimming=TrimConfig(...))` because in svy 0.35 that
    cycle resolves the bound over all weights in scope (it ignores `TrimConfig.by`, so
    "per domain" needs one call per domain anyway), accepts weights up to bound x (1+tol)
    and reports neither the number of cycles nor which units were capped, all of which
    are reported here. Alternatives considered: `balance` pins numpy<2, scipy<1.14 and
    scikit-learn<1.4 on Python 3.11 (incompatible); `ipfn` is unmaintained since 2021 and
    works on aggregated tables only, without trimming; `weightipy` runs on pandas 3 but
    has no trimming and pulls watchdog and requests.

Several editions are calibrated independently; only editions present in `respondents`
are calibrated.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl
import svy

from monitor import contract
from monitor.codebook import load_codebook

AGE_BANDS = tuple(load_codebook().age_bands)  # ("18-24", "25-44", "45-64", "65+")
SEXES = ("1", "2")
OTHER_SEX = "overig"
MARGINS = ("sex", "age_band")
# Where an empty age band goes: the youngest and oldest into the band next to them,
# the middle ones into the next band up.
AGE_NEIGHBOUR = {"18-24": "25-44", "25-44": "45-64", "45-64": "65+", "65+": "45-64"}
SEX_NEIGHBOUR = {"1": "2", "2": "1"}
# Sweeps of IPF within one raking; two margins converge in a handful of sweeps.
IPF_MAX_ITER = 1000
# Relative slack when checking that totals agree and that weights are within the bound.
CHECK_SLACK = 1e-9


@dataclass
class Calibration:
    # One row per respondent, in the order of `respondents`: edition, resp_id, gemeente_code,
    # raking_domain, design_weight, calibration_weight, weight_ratio (to the mean of its
    # raking domain), trimmed (capped in some trim-rake cycle).
    weights: pd.DataFrame
    # One row per gemeente of the targets: edition, gemeente_code, raking_domain, raking_level
    # ('gemeente' | 'regio'), n_respondents, adult_population, sum_weights (equals
    # adult_population only for gemeenten raked alone), kish_deff (NaN when n = 0),
    # max_weight_ratio.
    gemeenten: pd.DataFrame
    # One row per raking domain: edition, raking_domain, raking_level, n_respondents,
    # n_gemeenten, rounds (trim-rake cycles after the first raking), converged, kish_deff,
    # collapsed_categories ('' when none).
    domains: pd.DataFrame
    # One row per domain x margin x category (merged categories under their merged label):
    # edition, raking_domain, margin ('sex' | 'age_band'), category, target_total,
    # weighted_total, relative_difference.
    margins: pd.DataFrame


@dataclass
class _DomainResult:
    """Weights and diagnostics of one raking domain."""

    index: np.ndarray  # row positions in the edition's respondents
    weights: np.ndarray
    trimmed: np.ndarray
    rounds: int
    converged: bool
    collapsed: list[str]
    margins: list[dict]


MAX_WEIGHT_RATIO = contract.MAX_WEIGHT_RATIO  # methodology section 2: a weight at most this times the mean of its domain
# a gemeente with fewer respondents is raked in its COROP region's pool (see Raking domains above);
# the raw survey check reads it to refuse a pool without respondents before raking
MIN_RESPONDENTS = contract.MIN_RESPONDENTS_PER_GEMEENTE


def calibrate(
    respondents: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    min_respondents: int = MIN_RESPONDENTS,
    max_weight_ratio: float = MAX_WEIGHT_RATIO,
    tolerance: float = 1e-5,
    max_rounds: int = 50,
) -> Calibration:
    """Calibration weights per respondent; every edition in `respondents` on its own."""
    if max_weight_ratio <= 1:
        raise ValueError(f"max_weight_ratio must be above 1 (the mean itself), got {max_weight_ratio}")
    if not 0 < tolerance < 1e-3:
        raise ValueError(f"tolerance must be in (0, 0.001), the margins must hold within 0.1 %; got {tolerance}")
    resp = _check_respondents(respondents)
    tgt = _check_targets(targets)
    parts = [
        _calibrate_edition(
            int(edition),
            resp[resp["edition"] == edition].reset_index(drop=True),
            tgt[tgt["edition"] == edition],
            min_respondents=min_respondents,
            max_weight_ratio=max_weight_ratio,
            tolerance=tolerance,
            max_rounds=max_rounds,
        )
        for edition in sorted(resp["edition"].unique())
    ]
    if not parts:
        raise ValueError("no respondents to calibrate")
    weights = pd.concat([p.weights for p in parts])
    # Back to the caller's row order, so the weights line up with `respondents`.
    weights = weights.sort_values("_row").drop(columns="_row").reset_index(drop=True)
    return Calibration(
        weights=weights,
        gemeenten=pd.concat([p.gemeenten for p in parts], ignore_index=True),
        domains=pd.concat([p.domains for p in parts], ignore_index=True),
        margins=pd.concat([p.margins for p in parts], ignore_index=True),
    )


# ---------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------


def _require_columns(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; expected {columns}")


def _check_respondents(respondents: pd.DataFrame) -> pd.DataFrame:
    """Normalize types and refuse what cannot be weighted (never drop rows silently)."""
    cols = ["edition", "resp_id", "gemeente_code", "corop_code", "sex", "age_band", "design_weight"]
    _require_columns(respondents, cols, "respondents")
    resp = respondents[cols].copy()
    resp["_row"] = np.arange(len(resp))
    resp["edition"] = resp["edition"].astype("int64")
    resp["resp_id"] = resp["resp_id"].astype(str)
    resp["gemeente_code"] = resp["gemeente_code"].astype(str)
    resp["design_weight"] = pd.to_numeric(resp["design_weight"], errors="coerce").astype("float64")

    dup = resp.duplicated(["edition", "resp_id"])
    if dup.any():
        raise ValueError(
            f"{dup.sum()} duplicate (edition, resp_id) in respondents, e.g. {resp.loc[dup].iloc[0, :2].tolist()}"
        )
    bad_w = ~(resp["design_weight"] > 0) | ~np.isfinite(resp["design_weight"])
    if bad_w.any():
        raise ValueError(
            f"{bad_w.sum()} respondent(s) without a positive design_weight, e.g. resp_id {resp.loc[bad_w, 'resp_id'].iloc[0]!r}"
        )
    bad_age = ~resp["age_band"].isin(AGE_BANDS)
    if bad_age.any():
        found = sorted(map(str, resp.loc[bad_age, "age_band"].unique()))
        raise ValueError(f"{bad_age.sum()} respondent(s) with an age_band outside {list(AGE_BANDS)}: {found}")
    resp["age_band"] = resp["age_band"].astype(str)
    resp["sex_cat"] = _sex_category(resp["sex"])
    return resp


def _sex_category(sex: pd.Series) -> pd.Series:
    """'1' / '2' as CBS counts them; 3 (anders) and missing become 'overig'."""
    code = pd.to_numeric(sex.astype("object").where(sex.notna(), None), errors="coerce")
    unknown = code.notna() & ~code.isin([1, 2, 3])
    if unknown.any():
        raise ValueError(
            f"{unknown.sum()} respondent(s) with a sex code outside 1, 2, 3 or missing: {sorted(code[unknown].unique())}"
        )
    return pd.Series(np.where(code == 1, "1", np.where(code == 2, "2", OTHER_SEX)), index=sex.index)


def _check_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """One row per edition x gemeente x margin x category, complete and consistent."""
    cols = ["edition", "gemeente_code", "corop_code", "margin", "category", "target_total"]
    _require_columns(targets, cols, "targets")
    tgt = targets[cols].copy()
    tgt["edition"] = tgt["edition"].astype("int64")
    for c in ("gemeente_code", "corop_code", "margin", "category"):
        tgt[c] = tgt[c].astype(str)
    tgt["target_total"] = pd.to_numeric(tgt["target_total"], errors="coerce").astype("float64")

    bad = ~(tgt["target_total"] >= 0) | ~np.isfinite(tgt["target_total"])
    if bad.any():
        raise ValueError(f"{bad.sum()} target(s) missing or negative, e.g. {tgt.loc[bad].iloc[0].to_dict()}")
    expected = {"sex": set(SEXES), "age_band": set(AGE_BANDS)}
    unknown = ~(
        ((tgt["margin"] == "sex") & tgt["category"].isin(SEXES))
        | ((tgt["margin"] == "age_band") & tgt["category"].isin(AGE_BANDS))
    )
    if unknown.any():
        raise ValueError(
            f"targets with an unknown margin/category: {tgt.loc[unknown, ['margin', 'category']].drop_duplicates().values.tolist()}; expected {expected}"
        )
    key = ["edition", "gemeente_code", "margin", "category"]
    dup = tgt.duplicated(key)
    if dup.any():
        raise ValueError(f"duplicate targets, e.g. {tgt.loc[dup, key].iloc[0].tolist()}")

    counts = tgt.groupby(["edition", "gemeente_code", "margin"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(MARGINS), fill_value=0)
    incomplete = counts[(counts["sex"] != len(SEXES)) | (counts["age_band"] != len(AGE_BANDS))]
    if len(incomplete):
        raise ValueError(
            f"targets incomplete (need 2 sex and 4 age_band categories) for (edition, gemeente): {incomplete.index.tolist()[:10]}"
        )
    corops = tgt.groupby(["edition", "gemeente_code"])["corop_code"].nunique()
    if (corops > 1).any():
        raise ValueError(
            f"gemeente(n) with more than one corop_code in the targets: {corops[corops > 1].index.tolist()}"
        )

    totals = tgt.groupby(["edition", "gemeente_code", "margin"])["target_total"].sum().unstack()
    off = (totals["sex"] - totals["age_band"]).abs() > 1e-6 * totals.max(axis=1).clip(lower=1)
    if off.any():
        raise ValueError(
            f"sex and age_band targets add up to different adult totals for (edition, gemeente): {totals[off].index.tolist()[:10]}"
        )
    return tgt


# ---------------------------------------------------------------------------
# One edition
# ---------------------------------------------------------------------------


@dataclass
class _EditionResult:
    weights: pd.DataFrame
    gemeenten: pd.DataFrame
    domains: pd.DataFrame
    margins: pd.DataFrame


def _calibrate_edition(
    edition: int,
    resp: pd.DataFrame,
    tgt: pd.DataFrame,
    *,
    min_respondents: int,
    max_weight_ratio: float,
    tolerance: float,
    max_rounds: int,
) -> _EditionResult:
    missing = resp.loc[~resp["gemeente_code"].isin(tgt["gemeente_code"]), "gemeente_code"].value_counts()
    if len(missing):
        listed = ", ".join(f"{g} ({n} respondents)" for g, n in sorted(missing.items()))
        raise ValueError(
            f"edition {edition}: {int(missing.sum())} respondent(s) in gemeente(n) without targets: {listed}"
        )

    gem = _assign_domains(edition, resp, tgt, min_respondents)
    resp = resp.merge(gem[["gemeente_code", "raking_domain", "raking_level"]], on="gemeente_code", how="left")
    _check_corop(edition, resp, gem)

    weights = np.full(len(resp), np.nan)
    trimmed = np.zeros(len(resp), dtype=bool)
    domain_rows, margin_rows = [], []
    row_groups = resp.groupby("raking_domain", sort=True).indices
    for domain, members in gem.groupby("raking_domain", sort=True):
        level = members["raking_level"].iloc[0]
        idx = row_groups.get(domain, np.array([], dtype=np.int64))
        if len(idx) == 0:
            # Only a pool can be empty (a gemeente domain has >= min_respondents).
            raise ValueError(
                f"edition {edition}: raking domain {domain} (the small gemeenten of region "
                f"{members['corop_code'].iloc[0]}: {', '.join(members['gemeente_code'])}) has targets but no respondents"
            )
        result = _rake_domain(
            edition,
            domain,
            resp.iloc[idx],
            tgt[tgt["gemeente_code"].isin(members["gemeente_code"])],
            idx,
            max_weight_ratio=max_weight_ratio,
            tolerance=tolerance,
            max_rounds=max_rounds,
        )
        weights[result.index] = result.weights
        trimmed[result.index] = result.trimmed
        domain_rows.append(
            {
                "edition": edition,
                "raking_domain": domain,
                "raking_level": level,
                "n_respondents": len(idx),
                "n_gemeenten": len(members),
                "rounds": result.rounds,
                "converged": result.converged,
                "kish_deff": kish_deff(result.weights),
                "collapsed_categories": "; ".join(result.collapsed),
            }
        )
        margin_rows += [{"edition": edition, "raking_domain": domain, **m} for m in result.margins]

    resp["calibration_weight"] = weights
    resp["weight_ratio"] = weights / resp.groupby("raking_domain")["calibration_weight"].transform("mean")
    resp["trimmed"] = trimmed
    return _EditionResult(
        weights=resp[
            [
                "_row",
                "edition",
                "resp_id",
                "gemeente_code",
                "raking_domain",
                "design_weight",
                "calibration_weight",
                "weight_ratio",
                "trimmed",
            ]
        ],
        gemeenten=_gemeente_summary(edition, resp, gem),
        domains=pd.DataFrame(domain_rows),
        margins=pd.DataFrame(margin_rows),
    )


def _assign_domains(edition: int, resp: pd.DataFrame, tgt: pd.DataFrame, min_respondents: int) -> pd.DataFrame:
    """Per gemeente of the targets: its own domain if it has enough respondents, else its
    region's pool of small gemeenten."""
    gem = (
        tgt.groupby("gemeente_code", sort=True)
        .agg(corop_code=("corop_code", "first"), adult_population=("target_total", "sum"))
        .reset_index()
    )
    gem["adult_population"] /= len(MARGINS)  # each margin adds up to the adult total
    n = resp["gemeente_code"].value_counts()
    gem["n_respondents"] = gem["gemeente_code"].map(n).fillna(0).astype("int64")
    own = gem["n_respondents"] >= min_respondents
    gem["raking_level"] = np.where(own, "gemeente", "regio")
    gem["raking_domain"] = np.where(own, gem["gemeente_code"], gem["corop_code"] + "-pool")
    gem.insert(0, "edition", edition)
    return gem


def _check_corop(edition: int, resp: pd.DataFrame, gem: pd.DataFrame) -> None:
    """The respondents' region must agree with the targets', which decides the pooling."""
    corop = resp["gemeente_code"].map(gem.set_index("gemeente_code")["corop_code"])
    off = resp["corop_code"].notna() & (resp["corop_code"].astype(str) != corop)
    if off.any():
        pairs = resp.loc[off, ["gemeente_code", "corop_code"]].drop_duplicates().values.tolist()
        raise ValueError(
            f"edition {edition}: respondents' corop_code disagrees with the targets for (gemeente, corop): {pairs[:10]}"
        )


def _gemeente_summary(edition: int, resp: pd.DataFrame, gem: pd.DataFrame) -> pd.DataFrame:
    by = resp.groupby("gemeente_code")
    stats = pd.DataFrame(
        {
            "sum_weights": by["calibration_weight"].sum(),
            "kish_deff": by["calibration_weight"].agg(kish_deff),
            "max_weight_ratio": by["weight_ratio"].max(),
        }
    )
    out = gem.merge(stats, left_on="gemeente_code", right_index=True, how="left")
    out["sum_weights"] = out["sum_weights"].fillna(0.0)
    return out[
        [
            "edition",
            "gemeente_code",
            "raking_domain",
            "raking_level",
            "n_respondents",
            "adult_population",
            "sum_weights",
            "kish_deff",
            "max_weight_ratio",
        ]
    ].reset_index(drop=True)


def kish_deff(w) -> float:
    """Kish design effect of unequal weights, n * sum(w^2) / (sum w)^2; NaN without weights."""
    w = np.asarray(w, dtype=np.float64)
    if w.size == 0:
        return float("nan")
    return float(w.size * np.sum(w**2) / np.sum(w) ** 2)


# ---------------------------------------------------------------------------
# One raking domain
# ---------------------------------------------------------------------------


def _domain_controls(rows: pd.DataFrame, tgt: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Targets of the domain (sum over its gemeenten), with the 'overig' sex category."""
    sums = tgt.groupby(["margin", "category"])["target_total"].sum()
    age = {band: float(sums.get(("age_band", band), 0.0)) for band in AGE_BANDS}
    total = sum(age.values())
    w = rows["design_weight"].to_numpy()
    other_share = float(w[(rows["sex_cat"] == OTHER_SEX).to_numpy()].sum() / w.sum())
    sex = {s: float(sums.get(("sex", s), 0.0)) * (1 - other_share) for s in SEXES}
    if other_share > 0:
        sex[OTHER_SEX] = other_share * total
    return {"sex": sex, "age_band": age}


def _collapse(
    margin: str,
    controls: dict[str, float],
    counts: dict[str, int],
    neighbour: dict[str, str],
    max_weight: float,
    force: frozenset[str] = frozenset(),
) -> tuple[dict[str, float], dict[str, str], list[str]]:
    """Merge categories that cannot be met into their neighbour. Returns the merged
    controls, the category -> merged label map and a note per merge.

    Cannot be met: a target but no respondents; respondents but a zero target (raking
    would zero their weights); or so few respondents that even all of them at the weight
    bound (`max_weight`, an absolute weight) fall short of the target, so trimming and
    raking could never both hold. Categories in `force` are merged once because an attempt
    to trim and rake with them standing alone did not converge."""
    group = {c: c for c in controls}  # category -> representative category
    order = list(controls)
    notes = []
    pending = set(force)

    def members(rep):
        return [c for c in order if group[c] == rep]

    def problem(rep) -> str | None:
        if rep in pending:
            return " (trimming and raking could not both hold with it standing alone)"
        target = sum(controls[c] for c in members(rep))
        n = sum(counts.get(c, 0) for c in members(rep))
        if (target > 0) != (n > 0):
            return ""
        if target > n * max_weight:
            return f" ({n} respondent(s), too few to reach the target within the weight bound)"
        return None

    while True:
        reps = sorted(set(group.values()), key=order.index)
        if len(reps) == 1:
            break
        bad = [(r, why) for r in reps if r in neighbour and (why := problem(r)) is not None]
        if not bad:
            break
        rep, why = bad[0]
        into = group[neighbour[rep]]
        if into == rep:  # the neighbour is already merged into this one: take the nearest other
            into = min((r for r in reps if r != rep), key=lambda r: abs(order.index(r) - order.index(rep)))
        notes.append(f"{margin} {'+'.join(members(rep))} merged into {'+'.join(members(into))}{why}")
        pending.discard(rep)
        for c in members(rep):
            group[c] = into
    labels = {c: "+".join(members(group[c])) for c in controls}
    merged: dict[str, float] = {}
    for c, t in controls.items():
        merged[labels[c]] = merged.get(labels[c], 0.0) + t
    # A category without population and without respondents needs no control (and svy
    # refuses controls for levels absent from the data).
    merged = {label: t for label, t in merged.items() if t > 0}
    return merged, labels, notes


def _rake_domain(
    edition: int,
    domain: str,
    rows: pd.DataFrame,
    tgt: pd.DataFrame,
    index: np.ndarray,
    *,
    max_weight_ratio: float,
    tolerance: float,
    max_rounds: int,
) -> _DomainResult:
    where = f"edition {edition}, raking domain {domain}"
    controls = _domain_controls(rows, tgt)
    # The largest weight the bound allows: raking fixes the domain mean at total / n.
    max_weight = _trim_ratio(max_weight_ratio, tolerance) * sum(controls["age_band"].values()) / len(rows)
    force: dict[str, frozenset[str]] = {"sex": frozenset(), "age_band": frozenset()}
    while True:
        data, final, notes = _merged_categories(where, rows, controls, max_weight, force)
        w, trimmed, rounds, converged = _trim_rake(data, final, max_weight_ratio, tolerance, max_rounds)
        culprit = None if converged else _most_trimmed_category(data, final, trimmed)
        if culprit is None:
            break
        margin, category = culprit  # merge it into its neighbour and try again
        force[margin] = force[margin] | {category.split("+")[0]}
    if not converged:
        warnings.warn(
            f"{where}: trimming and raking did not both hold after {rounds} cycles "
            f"(largest weight {w.max() / w.mean():.2f} x the domain mean, bound {max_weight_ratio}); "
            "kept the last raking, which meets the margins.",
            RuntimeWarning,
            stacklevel=5,  # the caller of calibrate()
        )
    margin_rows = []
    for margin, ctl in final.items():
        achieved = pd.Series(w).groupby(data[margin].to_numpy()).sum()
        for cat, target in ctl.items():
            got = float(achieved.get(cat, 0.0))
            margin_rows.append(
                {
                    "margin": margin,
                    "category": cat,
                    "target_total": target,
                    "weighted_total": got,
                    "relative_difference": (got - target) / target if target > 0 else np.nan,
                }
            )
    return _DomainResult(index, w, trimmed, rounds, converged, notes, margin_rows)


def _merged_categories(where, rows, controls, max_weight, force):
    """The domain's data and controls with unreachable categories merged (see _collapse)."""
    sex_c, sex_map, sex_notes = _collapse(
        "sex", controls["sex"], rows["sex_cat"].value_counts().to_dict(), SEX_NEIGHBOUR, max_weight, force["sex"]
    )
    age_c, age_map, age_notes = _collapse(
        "age_band", controls["age_band"], rows["age_band"].value_counts().to_dict(), AGE_NEIGHBOUR, max_weight,
        force["age_band"],
    )
    data = pl.DataFrame(
        {
            "sex": rows["sex_cat"].map(sex_map).to_numpy().astype(str),
            "age_band": rows["age_band"].map(age_map).to_numpy().astype(str),
            "w0": rows["design_weight"].to_numpy(),
        }
    )
    final = {"sex": sex_c, "age_band": age_c}
    for margin, ctl in final.items():
        present = set(data[margin].unique())
        if set(ctl) != present:  # only when one category is left and it still cannot be met
            raise ValueError(
                f"{where}: cannot calibrate {margin}: targets for {sorted(ctl)}, respondents in {sorted(present)}"
            )
    return data, final, sex_notes + age_notes


def _most_trimmed_category(data: pl.DataFrame, controls: dict, trimmed: np.ndarray) -> tuple[str, str] | None:
    """The (margin, category) whose respondents were capped most often relative to its size,
    preferring age bands; None when nothing was capped or every margin is down to one category."""
    for margin in ("age_band", "sex"):
        if len(controls[margin]) < 2 or not trimmed.any():
            continue
        labels = data[margin].to_numpy()
        shares = pd.Series(trimmed).groupby(labels).mean()
        return margin, str(shares.idxmax())
    return None


def _trim_rake(
    data: pl.DataFrame,
    controls: dict[str, dict[str, float]],
    max_weight_ratio: float,
    tolerance: float,
    max_rounds: int,
) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Rake, then trim and re-rake until margins and bound both hold. Returns the weights,
    which units were capped, the number of trim-rake cycles and whether both held."""
    sample = svy.Sample(data, svy.Design(wgt="w0"))
    sample = _svy_rake(sample, controls, tolerance, "w_r0")
    w = sample.data["w_r0"].to_numpy()
    trimmed = np.zeros(len(w), dtype=bool)
    cap = svy.TrimConfig(
        upper=svy.Threshold("mean", _trim_ratio(max_weight_ratio, tolerance)), min_cell_size=1, max_iter=100
    )
    rounds = 0
    while not _within(w, controls, data, max_weight_ratio, tolerance) and rounds < max_rounds:
        rounds += 1
        trimmed |= w > _trim_ratio(max_weight_ratio, tolerance) * w.mean()
        sample = sample.weighting.trim(
            upper=cap.upper,
            min_cell_size=cap.min_cell_size,
            max_iter=cap.max_iter,
            wgt_name=f"w_t{rounds}",
            on_nonconvergence="ignore",
        )
        sample = _svy_rake(sample, controls, tolerance, f"w_r{rounds}")
        w = sample.data[f"w_r{rounds}"].to_numpy()
    converged = _within(w, controls, data, max_weight_ratio, tolerance)
    return w, trimmed, rounds, converged


def _trim_ratio(max_weight_ratio: float, tolerance: float) -> float:
    """Trim a hair under the bound: re-raking pushes capped weights up a little again."""
    return max_weight_ratio * (1 - 10 * tolerance)


def _svy_rake(sample: svy.Sample, controls: dict, tolerance: float, name: str) -> svy.Sample:
    # Non-convergence is judged by _within (margins and bound together), not raised here.
    return sample.weighting.rake(
        controls=controls, tol=tolerance, max_iter=IPF_MAX_ITER, wgt_name=name, on_nonconvergence="ignore"
    )


def _within(w: np.ndarray, controls: dict, data: pl.DataFrame, max_weight_ratio: float, tolerance: float) -> bool:
    """Margins met within `tolerance` and every weight within the bound."""
    if w.max() > max_weight_ratio * w.mean() * (1 + CHECK_SLACK):
        return False
    for margin, ctl in controls.items():
        got = pd.Series(w).groupby(data[margin].to_numpy()).sum()
        for cat, target in ctl.items():
            if abs(got.get(cat, 0.0) - target) > tolerance * target:
                return False
    return True
