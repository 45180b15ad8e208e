"""The simulated adult population (18+) of a demo edition, one row per person.

Persons are drawn per buurt from its CBS age bands and sex ratio; education, household and
paid work follow age and the buurt's deprivation. `population_fraction` simulates only that
share of the adults (0.05 for fast tests); every figure derived from the persons is scaled
back by 1 / population_fraction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# CBS gives 15-24; 3 of those 10 birth years are minors (the methodology takes 7/10 as 18-24).
ADULT_SHARE_OF_15_25 = 0.7
ADULT_AGE_BANDS = {  # adult band -> (CBS band, first age, last age)
    "18-24": ("k_15Tot25Jaar", 18, 24),
    "25-44": ("k_25Tot45Jaar", 25, 44),
    "45-64": ("k_45Tot65Jaar", 45, 64),
    "65+": ("k_65JaarOfOuder", 65, None),
}
MAX_AGE = 105
OLD_AGE_SCALE = 10.0  # years above 65 are ~exponential: about 37 % of the 65+ are 75+
OTHER_SEX_SHARE = 0.003  # answer 3 "anders"

# Household (2 paar zonder kinderen, 3 paar met kinderen, 4 eenoudergezin, 5 anders) by age,
# for those not living alone; young adults mostly live with their parents ("anders").
HOUSEHOLD_MIX_BY_AGE = (  # (up to age, weights of 2..5)
    (24, (0.10, 0.10, 0.05, 0.75)),
    (34, (0.35, 0.45, 0.06, 0.14)),
    (54, (0.15, 0.70, 0.10, 0.05)),
    (74, (0.70, 0.22, 0.05, 0.03)),
    (MAX_AGE, (0.85, 0.05, 0.05, 0.05)),
)
PAID_WORK_BY_AGE = ((24, 0.65), (54, 0.85), (64, 0.65), (74, 0.12), (MAX_AGE, 0.03))
# Education (ordered logit): the older and those in deprived buurten are lower educated, as in
# Brabant; with latent.PERSONAL_EDUCATION this makes the profiles' education gradient. The cuts
# give about a third laag, 40 % middelbaar and over a quarter hoog.
EDUCATION_AGE_SLOPE = -0.02  # logit per year from 45
EDUCATION_DEPRIVATION = -0.4  # logit per SD of the buurt's deprivation
EDUCATION_CUTS = (-0.85, 0.85)  # laag | middelbaar | hoog


def adult_band_counts(figures: pd.DataFrame) -> pd.DataFrame:
    """Adults per buurt and adult age band from the CBS age bands."""
    counts = {}
    for band, (cbs_band, _, _) in ADULT_AGE_BANDS.items():
        values = figures[cbs_band].to_numpy(dtype=np.int64)
        counts[band] = np.round(values * ADULT_SHARE_OF_15_25).astype(np.int64) if band == "18-24" else values
    return pd.DataFrame(counts, index=figures.index)


def _ages(band_of_person: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ages = np.empty(len(band_of_person), dtype=np.int64)
    for b, (_, first, last) in enumerate(ADULT_AGE_BANDS.values()):
        chosen = band_of_person == b
        if last is None:
            extra = np.floor(rng.exponential(OLD_AGE_SCALE, chosen.sum())).astype(np.int64)
            ages[chosen] = np.minimum(first + extra, MAX_AGE)
        else:
            ages[chosen] = rng.integers(first, last + 1, chosen.sum())
    return ages


def _by_age(age: np.ndarray, table) -> np.ndarray:
    """Look up a per-age-group value in a ((up to age, value), ...) table."""
    limits = np.array([limit for limit, _ in table])
    values = np.array([value for _, value in table])
    return values[np.searchsorted(limits, age)]


def _education(age, deprivation, rng) -> np.ndarray:
    """1 laag, 2 middelbaar, 3 hoog: ordered logit, older and deprived -> lower."""
    latent = EDUCATION_AGE_SLOPE * (age - 45) + EDUCATION_DEPRIVATION * deprivation + rng.logistic(0, 1, len(age))
    low, high = EDUCATION_CUTS
    return 1 + (latent > low).astype(np.int64) + (latent > high).astype(np.int64)


def _household(age, single_share, rng) -> np.ndarray:
    """1 alleenstaand .. 5 anders: living alone follows the buurt's share of one-person
    households and is more common among the very old and the young."""
    p_alone = np.clip(0.55 * single_share + 0.12 * (age >= 75) + 0.08 * (age < 30), 0.03, 0.8)
    mix = _by_age(age, HOUSEHOLD_MIX_BY_AGE)
    cumulative = np.column_stack([p_alone, p_alone[:, None] + (1 - p_alone)[:, None] * np.cumsum(mix, axis=1)])
    return 1 + (rng.random(len(age))[:, None] > cumulative).sum(axis=1)


def _paid_work(age, education, rng) -> np.ndarray:
    """1 yes, 2 no: by age, lower for low education during working life."""
    by_education = np.select([education == 1, education == 3], [-0.12, 0.06], 0.0)
    p = _by_age(age, PAID_WORK_BY_AGE) + np.where(age < 65, by_education, 0.0)
    return np.where(rng.random(len(age)) < p, 1, 2)


def simulate_adults(
    buurt_figures: pd.DataFrame, traits: pd.DataFrame, population_fraction: float, rng: np.random.Generator
) -> pd.DataFrame:
    """One row per simulated adult: buurt (row index into the buurt tables), gemeente, age,
    sex, education, household, paid_work. Columns are named like the codebook's background
    columns so the survey can copy them."""
    bands = adult_band_counts(buurt_figures).to_numpy()
    simulated = rng.binomial(bands, population_fraction)  # exact when the fraction is 1
    buurt_of_person = np.repeat(np.repeat(np.arange(len(bands)), bands.shape[1]), simulated.ravel())
    band_of_person = np.tile(np.arange(bands.shape[1]), len(bands)).repeat(simulated.ravel())
    age = _ages(band_of_person, rng)
    n = len(age)

    inhabitants = buurt_figures["AantalInwoners"].to_numpy(dtype=float)
    male_share = np.divide(buurt_figures["Mannen"].to_numpy(dtype=float), inhabitants,
                           out=np.full(len(inhabitants), 0.5), where=inhabitants > 0)
    households = buurt_figures["HuishoudensTotaal"].to_numpy(dtype=float)
    single_share = np.divide(buurt_figures["Eenpersoonshuishoudens"].to_numpy(dtype=float), households,
                             out=np.full(len(households), 0.3), where=households > 0)
    deprivation = traits["deprivation"].to_numpy()[buurt_of_person]

    draw = rng.random(n)
    sex = np.where(draw < OTHER_SEX_SHARE, 3, np.where(draw < OTHER_SEX_SHARE + male_share[buurt_of_person], 1, 2))
    education = _education(age, deprivation, rng)
    household = _household(age, single_share[buurt_of_person], rng)
    paid_work = _paid_work(age, education, rng)
    return pd.DataFrame(
        {
            "buurt": buurt_of_person,
            "gemeente_code": buurt_figures["gemeente_code"].to_numpy()[buurt_of_person],
            "age": age,
            "sex": sex,
            "education": education,
            "household": household,
            "paid_work": paid_work,
        }
    )
