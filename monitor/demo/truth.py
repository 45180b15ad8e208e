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

WEAK_BUURT_COUNT = 8
WEAK_BUURT_MIN_INHABITANTS = 300
WEAK_BUURT_MAX_SHARE = 0.05  # of the gemeente's inhabitants: the gemeente must stay above the province
WEAK_GEMEENTE_MARGIN = 0.10  # points above the province before planting
DECIMALS = 3


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
