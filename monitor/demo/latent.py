"""The latent model behind the answers: resources -> social resilience.

Per resource group (persoonlijk, sociaal, omgeving) a group factor, driven by person traits
and by the buurt; every resource scale of the codebook is that factor plus its own part.
Coping (the veerkracht_score items) = the planted effects of the resource scales (personal
strongest, then social, then environmental, with a clear gap) + a slow decline with age and a
dip from 75 + a buurt effect tied to the published CBS income/benefit figures + a small
gemeente effect + noise. Weak buurten get an
extra negative shift. Veranderbereidheid is more open among the young and the educated.
Who is resilient (the profiles) follows from the person traits: see "Profile effects" below.
Every latent is standardized over the simulated population (mean 0, SD 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitor.codebook import Codebook
from monitor.demo import population, survey

GROUP_EFFECTS = {"persoonlijk": 0.60, "sociaal": 0.36, "omgeving": 0.14}  # sums of planted betas
# How the group's effect is split over its scales (relative weights; a scale the codebook adds
# later gets weight 1). Mastery and happiness lead, support is the strongest social resource.
SCALE_EMPHASIS = {
    "mastery": 2.0, "happiness": 1.6, "health": 1.0, "makes_ends_meet": 0.9, "digital_skills": 0.5,
    "support": 1.6, "trust": 1.0, "buurtbinding": 0.9, "contact_social": 0.8, "volunteering": 0.5,
    "contact_digital": 0.4,
    "housing": 1.2, "safety": 1.0, "facilities": 0.6,
}
SCALE_LOADING = 0.6  # correlation of a resource scale with its group factor
COPING_R2 = 0.45  # share of coping variance explained by the resource scales
BUURT_EFFECT = 0.12  # coping SD per SD of the buurt's CBS deprivation composite
# Direct age effects on coping, on top of lower personal resources: resilience declines
# slowly with age and clearly from 75. Response rises with age, so this biases unweighted means.
AGE_SLOPE = -0.008  # per year
OLD_AGE_EFFECT = -0.10  # 75+
GEMEENTE_EFFECT_SD = 0.06
# Profile effects (methodology section 9: who is resilient). Education works on coping through
# the personal resources only, and those differ by education within every age (PERSONAL_
# EDUCATION); the lower educated are also older (population.EDUCATION_AGE_SLOPE), so coping
# rises clearly from laag to middelbaar to hoog (about 1.1 points of veerkracht_score from laag
# to hoog, half its SD; 0.7-1.0 within an age band), which ~10,000 respondents show at
# province level with intervals far apart.
# Age: coping declines with age directly (AGE_SLOPE, OLD_AGE_EFFECT) and through lower personal
# resources (PERSONAL_AGE_SLOPE, PERSONAL_OLD_AGE) and less paid work: 18-24 is the most and
# 65+ the least resilient band, monotone in between. Constants in SD of the personal factor
# before standardizing, per unit: education (code - 2), paid work, age (per year from 45), 75+
# and living alone.
PERSONAL_EDUCATION = 0.30
PERSONAL_WORK = 0.25
PERSONAL_AGE_SLOPE = -0.012
PERSONAL_OLD_AGE = -0.40
PERSONAL_ALONE = -0.20


@dataclass
class Latents:
    scales: dict[str, np.ndarray]  # resource scale -> latent per person
    coping: np.ndarray
    change: np.ndarray
    planted_effects: dict[str, float]  # resource scale -> standardized effect on coping
    coping_sd_raw: float


def standardize(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def planted_betas(codebook: Codebook) -> dict[str, float]:
    """Resource scale -> raw effect on coping, in codebook scale order."""
    betas = {}
    for group in codebook.resource_groups:
        if group not in GROUP_EFFECTS:
            raise NotImplementedError(f"codebook resource group {group!r} has no planted effect in {__name__}")
        scales = [s.name for s in codebook.scales_in_group(group)]
        emphasis = np.array([SCALE_EMPHASIS.get(s, 1.0) for s in scales])
        betas.update(zip(scales, GROUP_EFFECTS[group] * emphasis / emphasis.sum()))
    return betas


def buurt_deprivation_composite(buurt_figures: pd.DataFrame) -> np.ndarray:
    """Deprivation as the pipeline can see it: low income, many low-income households, many
    on bijstand (from the published CBS variables), inhabitant-weighted z-scores."""
    w = buurt_figures["AantalInwoners"].to_numpy(dtype=float)
    inhabitants = np.maximum(w, 1)
    parts = [
        -buurt_figures["GemiddeldInkomenPerInwoner"].to_numpy(dtype=float),
        buurt_figures["HuishoudensMetEenLaagInkomen"].to_numpy(dtype=float),
        buurt_figures["PersonenPerSoortUitkeringBijstand"].to_numpy(dtype=float) / inhabitants,
    ]

    def z(x):
        mean = np.average(x, weights=w)
        return (x - mean) / np.sqrt(np.average((x - mean) ** 2, weights=w))

    return z(sum(z(p) for p in parts))


def group_factors(persons: pd.DataFrame, traits: pd.DataFrame, deprivation: np.ndarray, rng) -> dict[str, np.ndarray]:
    """Persoonlijk: education, work, age (75+ clearly lower), living alone, the buurt.
    Sociaal: partly personal, living alone, village cohesion. Omgeving: the buurt itself."""
    age = persons["age"].to_numpy()
    educ = persons["education"].to_numpy() - 2.0
    works = (persons["paid_work"].to_numpy() == 1).astype(float)
    alone = (persons["household"].to_numpy() == 1).astype(float)
    buurt = persons["buurt"].to_numpy()
    dep = deprivation[buurt]
    urban = traits["urbanity"].to_numpy()[buurt]
    n = len(age)
    personal = standardize(
        PERSONAL_EDUCATION * educ + PERSONAL_WORK * works + PERSONAL_AGE_SLOPE * (age - 45)
        + PERSONAL_OLD_AGE * (age >= 75) + PERSONAL_ALONE * alone - 0.30 * dep + rng.normal(0, 1, n)
    )
    social = standardize(0.40 * personal - 0.25 * alone + 0.20 * (1 - urban) + 0.10 * educ + rng.normal(0, 0.85, n))
    environment = standardize(0.30 * personal - 0.40 * dep - 0.20 * urban + 0.10 * (age >= 65) + rng.normal(0, 0.85, n))
    return {"persoonlijk": personal, "sociaal": social, "omgeving": environment}


def simulate_latents(codebook: Codebook, persons: pd.DataFrame, traits: pd.DataFrame,
                     buurt_figures: pd.DataFrame, rng: np.random.Generator,
                     area_gemeente_effect: np.ndarray | None = None) -> Latents:
    """`area_gemeente_effect` (per buurt row) is the gemeente effect of each area; the
    generator draws it per gemeente of the base layout so it persists across editions and
    municipal changes. Without it, an effect is drawn here per gemeente of the edition."""
    deprivation = buurt_deprivation_composite(buurt_figures)
    factors = group_factors(persons, traits, deprivation, rng)
    betas = planted_betas(codebook)
    n = len(persons)
    unique = np.sqrt(1 - SCALE_LOADING**2)
    scales = {
        name: SCALE_LOADING * factors[codebook.scales[name].group] + unique * rng.normal(0, 1, n)
        for name in betas
    }
    signal = sum(beta * scales[name] for name, beta in betas.items())
    noise_sd = np.sqrt(signal.var() * (1 - COPING_R2) / COPING_R2)
    if area_gemeente_effect is None:
        gemeenten, gemeente_index = np.unique(persons["gemeente_code"].to_numpy(), return_inverse=True)
        gemeente_effect = rng.normal(0, GEMEENTE_EFFECT_SD, len(gemeenten))[gemeente_index]
    else:
        gemeente_effect = np.asarray(area_gemeente_effect)[persons["buurt"].to_numpy()]
    age = persons["age"].to_numpy()
    raw = (signal + AGE_SLOPE * (age - 45) + OLD_AGE_EFFECT * (age >= 75)
           - BUURT_EFFECT * deprivation[persons["buurt"].to_numpy()]
           + gemeente_effect + rng.normal(0, noise_sd, n))
    coping_sd = raw.std()

    educ = persons["education"].to_numpy() - 2.0
    change = standardize(-0.30 * (age - 50) / 15 + 0.25 * educ + 0.20 * standardize(raw) + rng.normal(0, 1, n))
    return Latents(
        scales=scales,
        coping=standardize(raw),
        change=change,
        planted_effects={name: beta / coping_sd for name, beta in betas.items()},
        coping_sd_raw=float(coping_sd),
    )


def profile_effects() -> dict:
    """The planted effects behind the profiles and the order they give (lowest mean coping
    first), for the truth file; tests check the recorded truth follows that order."""
    return {
        "education": {
            "personal_resources_per_level": PERSONAL_EDUCATION,
            "education_logit_per_year_of_age": population.EDUCATION_AGE_SLOPE,
            "education_logit_per_sd_deprivation": population.EDUCATION_DEPRIVATION,
            "order": ["1", "2", "3"],  # laag < middelbaar < hoog
        },
        "age_band": {
            "coping_per_year": AGE_SLOPE,
            "coping_75_plus": OLD_AGE_EFFECT,
            "personal_resources_per_year": PERSONAL_AGE_SLOPE,
            "personal_resources_75_plus": PERSONAL_OLD_AGE,
            "order": ["65+", "45-64", "25-44", "18-24"],  # 65+ lowest, 18-24 highest
        },
        "paid_work": {"personal_resources": PERSONAL_WORK, "order": ["2", "1"]},
        "living_alone": {"personal_resources": PERSONAL_ALONE},
        "background_nonresponse": {
            "share": survey.BACKGROUND_MISSING_SHARE,
            "mechanism": "missing completely at random per coded background column (survey.py)",
        },
    }
