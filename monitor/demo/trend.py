"""The planted change between editions: the same population, a little better in 2018, clearly
worse in 2020, worst in Zuidoost-Noord-Brabant.

Each edition's coping latent is standardized over its simulated population; the trend then
shifts it per COROP region by the amount that moves the region's true mean veerkracht_score
by the planted level of the edition (in points on 0..10, relative to the same population
without a trend). pct_veerkrachtig moves with it (whatever the shift gives; the realised
effects on both indicators are recorded in the truth). Differences between two editions'
levels are the planted changes.
"""

from __future__ import annotations

import numpy as np

from monitor.codebook import Codebook
from monitor.demo import items as item_model

INDICATOR = "veerkracht_score"
REGIONS = ("CR33", "CR34", "CR35", "CR36")
FIRST_EDITION = 2016
RISE_PER_YEAR_TO_2018 = 0.025  # 2016 -> 2018: +0.05, little change
DECLINE_2018_2020 = {"CR33": -0.22, "CR34": -0.22, "CR35": -0.22, "CR36": -0.50}  # province about -0.3
POINTS_PER_SD = 1.9  # first guess of the slope of veerkracht_score in the coping latent
TOLERANCE = 1e-4  # points
MAX_STEPS = 12


def levels(edition: int) -> dict[str, float]:
    """Planted level of veerkracht_score per COROP region in `edition` (points)."""
    if edition <= 2018:
        return {r: RISE_PER_YEAR_TO_2018 * (edition - FIRST_EDITION) for r in REGIONS}
    top = RISE_PER_YEAR_TO_2018 * (2018 - FIRST_EDITION)
    return {r: top + DECLINE_2018_2020[r] * (edition - 2018) / 2 for r in REGIONS}


def previous_edition(edition: int) -> int | None:
    """The edition a change is reported against: two years back (the monitor is biennial),
    never before the first demo edition."""
    return None if edition <= FIRST_EDITION else max(FIRST_EDITION, edition - 2)


def _mean_outcomes(models, latent: np.ndarray, noise: dict[str, np.ndarray], codebook: Codebook):
    ranks = {m.item.name: m.ranks(latent, noise[m.item.name]) for m in models}
    score, resilient = item_model.coping_truth(models, ranks, codebook)
    return float(score.mean()), float(100 * resilient.mean())


def _solve_shift(models, latent: np.ndarray, noise: dict[str, np.ndarray], codebook: Codebook,
                 wanted: float) -> float:
    """The latent shift that gives mean veerkracht_score `wanted` (secant: the mean score is
    smooth and increasing in the shift)."""
    def gap(delta):
        return _mean_outcomes(models, latent + delta, noise, codebook)[0] - wanted

    x0, g0 = 0.0, gap(0.0)
    x1 = -g0 / POINTS_PER_SD
    g1 = gap(x1) if x1 else g0
    for _ in range(MAX_STEPS):
        if abs(g1) < TOLERANCE or g1 == g0:
            break
        x0, g0, x1 = x1, g1, x1 - g1 * (x1 - x0) / (g1 - g0)
        g1 = gap(x1)
    return x1


def plant(models, coping: np.ndarray, noise: dict[str, np.ndarray], region: np.ndarray, edition: int,
          codebook: Codebook) -> tuple[np.ndarray, dict]:
    """The coping latent with the edition's trend planted, and what was planted: per region
    the latent shift, the planted level and the realised effect on veerkracht_score and
    pct_veerkrachtig (relative to the unshifted population)."""
    coping_models = [m for m in models if m.source == "coping"]
    target = levels(edition)
    shifted = coping.copy()
    shifts, realised = {}, {}
    for r in REGIONS:
        rows = np.flatnonzero(region == r)
        if not len(rows):
            continue
        sub_noise = {name: values[rows] for name, values in noise.items()}
        latent = coping[rows]
        base_score, base_pct = _mean_outcomes(coping_models, latent, sub_noise, codebook)
        x1 = _solve_shift(coping_models, latent, sub_noise, codebook, base_score + target[r])
        shifted[rows] += x1
        score, pct = _mean_outcomes(coping_models, shifted[rows], sub_noise, codebook)
        shifts[r] = x1
        realised[r] = {"veerkracht_score": score - base_score, "pct_veerkrachtig": pct - base_pct}
    return shifted, {"levels": target, "latent_shifts": shifts, "realised": realised}
