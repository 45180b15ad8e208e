"""What the pipeline should find: the truth of a demo edition.

True values are the codebook scores of the complete answers of every simulated adult, so
they mean exactly what the pipeline estimates. The truth file lives beside the landing zone,
never in it: the pipeline must not read it; tests and the demo walkthrough compare with it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

WEAK_BUURT_COUNT = 8  # of each kind
WEAK_BUURT_MIN_INHABITANTS = 300
WEAK_BUURT_MAX_SHARE = 0.05  # of the gemeente's inhabitants: the gemeente must stay above the province
WEAK_GEMEENTE_MARGIN = 0.10  # points above the province before planting
DECIMALS = 3
# Hidden weak buurten: average on the CBS deprivation figures (|z| of the composite at most
# this), about as resilient as their gemeente before planting, and with enough expected
# respondents for their own answers to show it (a real monitor finds such buurten only there).
HIDDEN_MAX_DEPRIVATION_Z = 1.0
HIDDEN_MAX_PRIOR_GAP = 0.5  # points of veerkracht_score from the gemeente before planting
HIDDEN_EXPECTED_RESPONDENTS = (16.0, 60.0)
# a buurt with that many respondents is a larger part of its gemeente than a predicted one:
# the gemeente must stay above the province after planting (it loses about PLANTED_GAP x
# share / (1 - share), as the buurt is planted to lie PLANTED_GAP below the gemeente)
HIDDEN_MAX_SHARE = 0.25
PLANTED_GAP = 1.0  # points of veerkracht_score, about what generate.WEAK_BUURT_SHIFT plants
WEAK_KINDS = ("predicted", "hidden")


def area_truth(keys: np.ndarray, score: np.ndarray, resilient: np.ndarray, change: np.ndarray,
               population_fraction: float) -> pd.DataFrame:
    """Per area code: adults (scaled back), mean veerkracht_score, pct_veerkrachtig,
    mean veranderbereidheid."""
    frame = pd.DataFrame({"code": keys, "score": score, "resilient": resilient, "change": change})
    grouped = frame.groupby("code", sort=True)
    return pd.DataFrame(
        {
            "adults": (grouped.size() / population_fraction).round().astype(np.int64),
            "veerkracht_score": grouped["score"].mean(),
            "pct_veerkrachtig": 100 * grouped["resilient"].mean(),
            "veranderbereidheid": grouped["change"].mean(),
        }
    )


def choose_weak_buurten(buurten: pd.DataFrame, gemeente_scores: pd.Series, province_score: float,
                        rng: np.random.Generator | None = None) -> list[str]:
    """About eight buurten of at least 300 inhabitants (and at most 5 % of their gemeente) in
    gemeenten that score above the province, one per gemeente: in every such gemeente the fit
    buurt furthest below its gemeente before planting, and of those the WEAK_BUURT_COUNT furthest
    below. These are the pockets of deprivation that `kwb.pocket_mask` makes visible in the CBS
    figures (weakness shows in income, low-income households and bijstand as it does in
    reality), so a covariate model can see them; planting then adds a shift the figures do not
    show. Deterministic (`rng` is accepted for compatibility and not used).
    `buurten` has buurt_code, gemeente_code, inhabitants, gemeente_inhabitants and score (the
    buurt's true mean before planting)."""
    good = gemeente_scores.index[gemeente_scores > province_score + WEAK_GEMEENTE_MARGIN]
    candidates = buurten[
        buurten.gemeente_code.isin(good)
        & (buurten.inhabitants >= WEAK_BUURT_MIN_INHABITANTS)
        & (buurten.inhabitants <= WEAK_BUURT_MAX_SHARE * buurten.gemeente_inhabitants)
        & (buurten.score <= buurten.gemeente_code.map(gemeente_scores))
    ]
    if candidates.empty:
        raise RuntimeError("no gemeente above the province has a buurt fit to plant a weak buurt in")
    gap = candidates.score - candidates.gemeente_code.map(gemeente_scores)
    lowest = candidates.assign(gap=gap).sort_values(["gap", "buurt_code"]).drop_duplicates("gemeente_code")
    return sorted(str(code) for code in lowest.buurt_code.iloc[:WEAK_BUURT_COUNT])


def choose_hidden_weak_buurten(buurten: pd.DataFrame, gemeente_scores: pd.Series, province_score: float,
                               exclude_gemeenten, rng: np.random.Generator) -> list[str]:
    """WEAK_BUURT_COUNT buurten, drawn at random (one per gemeente, none in `exclude_gemeenten`)
    among those whose weakness no CBS figure will predict: average deprivation composite,
    about their gemeente's score before planting, in a gemeente above the province, with
    HIDDEN_EXPECTED_RESPONDENTS expected respondents (in a small demo run without such buurten:
    the ones with the most) and at most HIDDEN_MAX_SHARE of the
    gemeente's inhabitants, so few that the gemeente stays above the province after planting.
    `buurten` has the columns of `choose_weak_buurten` plus deprivation (z) and
    expected_respondents."""
    low, high = HIDDEN_EXPECTED_RESPONDENTS
    gemeente_score = buurten.gemeente_code.map(gemeente_scores)
    share = buurten.inhabitants / buurten.gemeente_inhabitants
    gap = buurten.score - gemeente_score
    eligible = buurten[
        (gemeente_score - PLANTED_GAP * share / (1 - share) > province_score + WEAK_GEMEENTE_MARGIN)
        & ~buurten.gemeente_code.isin(list(exclude_gemeenten))
        & (share <= HIDDEN_MAX_SHARE)
        & (buurten.deprivation.abs() <= HIDDEN_MAX_DEPRIVATION_Z)
        & (gap.abs() <= HIDDEN_MAX_PRIOR_GAP)
    ].sort_values("buurt_code")
    if eligible.empty:
        raise RuntimeError("no buurt fits a hidden weak buurt (average CBS figures, about its gemeente's score, "
                           "in a gemeente above the province)")
    candidates = eligible[eligible.expected_respondents.between(low, high)]
    if candidates.empty:  # a small demo run: the buurten where most respondents are expected
        candidates = eligible.nlargest(WEAK_BUURT_COUNT, "expected_respondents").sort_values("buurt_code")
    one_per_gemeente = candidates.iloc[rng.permutation(len(candidates))].drop_duplicates("gemeente_code")
    return sorted(str(code) for code in one_per_gemeente.buurt_code.iloc[:WEAK_BUURT_COUNT])


def _rounded(value):
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else round(float(value), DECIMALS)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    return [_rounded(r) for r in frame.astype(object).where(frame.notna(), None).to_dict("records")]


def write_truth_json(truth: dict, path: Path) -> None:
    """Readable and compact: one line per key, one line per area record."""
    lines = []
    for key, value in truth.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            body = ",\n    ".join(json.dumps(_rounded(v), ensure_ascii=False) for v in value)
            lines.append(f'  "{key}": [\n    {body}\n  ]')
        else:
            lines.append(f'  "{key}": {json.dumps(_rounded(value), ensure_ascii=False)}')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
