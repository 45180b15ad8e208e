"""Who is asked and who answers.

A stratified sample per gemeente: small gemeenten are oversampled (a minimum expected number
of respondents), the rest is allocated proportionally to adults. The gross sample is a simple
random sample of the gemeente's adults, sized for the expected response; `design_weight` is
its inverse inclusion probability. Response rises with age (about 25 % at 18-24 to 60 % at
65+), so respondents are older than the population - the bias weighting has to repair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_EXPECTED_RESPONDENTS = 100  # smallest gemeenten, for the full-size demo
RESPONSE_BY_AGE = ((24, 0.25), (34, 0.32), (44, 0.38), (54, 0.45), (64, 0.52), (200, 0.60))


@dataclass(frozen=True)
class Sample:
    respondents: np.ndarray  # person row numbers, ascending
    design_weight: np.ndarray  # per respondent
    expected_respondents: pd.Series  # per gemeente
    inclusion: np.ndarray  # per person: P(asked) x P(answers), for the expected unweighted bias


def response_probability(age: np.ndarray) -> np.ndarray:
    limits = np.array([limit for limit, _ in RESPONSE_BY_AGE])
    rates = np.array([rate for _, rate in RESPONSE_BY_AGE])
    return rates[np.searchsorted(limits, age)]


def allocate(adults: pd.Series, n_respondents: int) -> pd.Series:
    """Expected respondents per gemeente: proportional to adults, with a floor for small
    gemeenten (lowered for small demo runs so that the floor never eats the whole sample)."""
    floor = min(MIN_EXPECTED_RESPONDENTS, n_respondents / (1.25 * len(adults)))
    fixed = pd.Series(False, index=adults.index)
    while True:
        rest = n_respondents - floor * fixed.sum()
        expected = (adults / adults[~fixed].sum() * rest).where(~fixed, floor)
        newly_fixed = (expected < floor) & ~fixed
        if not newly_fixed.any():
            return expected
        fixed |= newly_fixed


def draw_sample(persons: pd.DataFrame, population_fraction: float, n_respondents: int,
                rng: np.random.Generator) -> Sample:
    gemeente = persons["gemeente_code"].to_numpy()
    p_response = response_probability(persons["age"].to_numpy())
    simulated = pd.Series(gemeente).value_counts().sort_index()
    expected = allocate(simulated / population_fraction, n_respondents)
    mean_response = pd.Series(p_response).groupby(gemeente).mean()

    asked, weights = [], []
    inclusion = np.zeros(len(persons))
    rows_by_gemeente = pd.Series(np.arange(len(persons))).groupby(gemeente).indices
    for code in simulated.index:
        rows = rows_by_gemeente[code]
        gross = int(round(expected[code] / mean_response[code]))
        if gross > len(rows):
            raise ValueError(
                f"gemeente {code}: a gross sample of {gross} needs more than the {len(rows)} simulated "
                f"adults; raise population_fraction (now {population_fraction}) or lower n_respondents"
            )
        chosen = rng.choice(rows, gross, replace=False)
        asked.append(chosen)
        weights.append(np.full(gross, len(rows) / population_fraction / gross))
        inclusion[rows] = gross / len(rows) * p_response[rows]
    asked = np.concatenate(asked)
    weights = np.concatenate(weights)
    answers = rng.random(len(asked)) < p_response[asked]
    order = np.argsort(asked[answers])
    return Sample(
        respondents=asked[answers][order],
        design_weight=weights[answers][order],
        expected_respondents=expected,
        inclusion=inclusion,
    )
