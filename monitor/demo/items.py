"""Answers from latents: every codebook item through ordinal thresholds.

An item's latent response is `loading * latent + noise` (unit variance); thresholds cut it
into the answer categories so that the answers follow a realistic distribution. Categories
are ranked by the codebook's recoded value (higher = more resource / resilience), so a
negatively worded item is answered with disagreement by someone high on the latent, and the
scoring below is exactly the codebook's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from monitor.codebook import Codebook, Item

# Share of the population per recoded value, low -> high, per codebook response scale
# (realistic: most Brabanders are doing fine). A scale not listed gets a generic spread.
TARGET_DISTRIBUTION = {
    "agreement": (0.04, 0.11, 0.22, 0.43, 0.20),
    "happiness_1_10": (0.005, 0.005, 0.01, 0.02, 0.04, 0.09, 0.25, 0.35, 0.15, 0.08),
    "health_5": (0.03, 0.10, 0.22, 0.45, 0.20),
    "skills_5": (0.04, 0.09, 0.30, 0.37, 0.20),
    "ends_meet_4": (0.05, 0.12, 0.38, 0.45),
    "frequency_5": (0.03, 0.07, 0.15, 0.45, 0.30),
    "satisfaction_5": (0.02, 0.05, 0.13, 0.52, 0.28),
    "yes_no": (0.68, 0.32),
}
OUTCOME_DISTRIBUTION = (0.03, 0.09, 0.20, 0.46, 0.22)  # coping: ~7 on 0..10, ~3/4 veerkrachtig
CHANGE_DISTRIBUTION = (0.06, 0.16, 0.33, 0.33, 0.12)
LOADING_MULTI_ITEM = 0.75
LOADING_SINGLE_ITEM = 0.9
LOADING_COPING = 0.78
LOADING_CHANGE = 0.70
ITEM_SHIFT_SD = 0.15  # items of one scale differ a little in how easily they are endorsed


@dataclass(frozen=True)
class ItemModel:
    item: Item
    source: str  # the latent driving it: a resource scale, "coping" or "change"
    loading: float
    thresholds: np.ndarray  # cut points on the standard-normal item latent, ascending
    answer_by_rank: np.ndarray  # answer code of rank 0 (least resource) .. K-1
    score_by_rank: np.ndarray  # the codebook's 0..10 score of each rank
    recoded_by_rank: np.ndarray

    def ranks(self, latent: np.ndarray, noise: np.ndarray) -> np.ndarray:
        response = self.loading * latent + np.sqrt(1 - self.loading**2) * noise
        return np.searchsorted(self.thresholds, response).astype(np.int8)


def _ranked_answers(item: Item) -> np.ndarray:
    answers = sorted(item.response.values, key=lambda a: item.response.recoded(a, item.negative))
    return np.array(answers)


def _thresholds(shares, shift: float) -> np.ndarray:
    cumulative = np.cumsum(shares)[:-1] / np.sum(shares)
    return norm.ppf(cumulative) + shift


def _target(item: Item, source: str) -> tuple[float, ...]:
    n = len(item.response.values)
    target = {"coping": OUTCOME_DISTRIBUTION, "change": CHANGE_DISTRIBUTION}.get(
        source, TARGET_DISTRIBUTION.get(item.response.name)
    )
    if target is None or len(target) != n:  # a new or changed response scale: spread evenly
        target = tuple(norm.pdf(np.linspace(-1.5, 2.0, n)))
    return target


def item_models(codebook: Codebook, rng: np.random.Generator) -> list[ItemModel]:
    """One model per codebook item, in codebook order."""
    outcome = codebook.veerkrachtig["scale"]
    change = codebook.typology["change_scale"]
    resources = {s.name for g in codebook.resource_groups for s in codebook.scales_in_group(g)}
    models = []
    for item in codebook.items:
        if item.scale == outcome:
            source, loading = "coping", LOADING_COPING
        elif item.scale == change:
            source, loading = "change", LOADING_CHANGE
        elif item.scale in resources:
            multi = len(codebook.scales[item.scale].items) > 1
            source, loading = item.scale, LOADING_MULTI_ITEM if multi else LOADING_SINGLE_ITEM
        else:
            raise NotImplementedError(
                f"codebook item {item.name}: scale {item.scale!r} has no latent in the demo model"
            )
        answers = _ranked_answers(item)
        models.append(
            ItemModel(
                item=item,
                source=source,
                loading=loading,
                thresholds=_thresholds(_target(item, source), rng.normal(0, ITEM_SHIFT_SD)),
                answer_by_rank=answers,
                score_by_rank=np.array([item.score_0_10(int(a)) for a in answers]),
                recoded_by_rank=np.array([item.response.recoded(int(a), item.negative) for a in answers]),
            )
        )
    return models


def coping_truth(models: list[ItemModel], ranks: dict[str, np.ndarray], codebook: Codebook):
    """veerkracht_score (0..10) and veerkrachtig (bool) per person from complete answers,
    by the codebook's rules."""
    rule = codebook.veerkrachtig
    coping = [m for m in models if m.item.scale == rule["scale"]]
    score = np.mean([m.score_by_rank[ranks[m.item.name]] for m in coping], axis=0)
    resilient = sum(
        (m.recoded_by_rank[ranks[m.item.name]] >= rule["resilient_min_recoded"]).astype(np.int64) for m in coping
    )
    return score, resilient >= rule["min_resilient"]


def scale_score(models: list[ItemModel], ranks: dict[str, np.ndarray], scale: str) -> np.ndarray:
    """Mean 0..10 score over the (complete) items of a scale."""
    return np.mean([m.score_by_rank[ranks[m.item.name]] for m in models if m.item.scale == scale], axis=0)
