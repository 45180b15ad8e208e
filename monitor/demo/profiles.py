"""The truth of the profiles (methodology section 9): who is resilient, and which resources
go with it, on the simulated adult population.

Truth is computed as the area truths are (`truth.area_truth`): over every simulated adult,
from the codebook scores of his complete answers, counts scaled back by the population
fraction. Per characteristic of the codebook's `profiles` section and per *true* category:
the mean veerkracht_score, pct_veerkrachtig, the resource group scores and veranderbereidheid,
and the composition (share of the category among the resilient and among the less resilient,
each adding up to 100 over the characteristic's categories). Per resource scale and group:
the mean among the resilient and among the less resilient.

No answer on a background question is a response artefact, not a category of the population:
`survey.py` blanks each coded background column for BACKGROUND_MISSING_SHARE of the
respondents at random, independently of everything else (missing completely at random). So
the survey's 'onbekend' category is a random ~1 % of the respondents (its expected mean is the
province's), the known categories keep their expected means, and their estimated composition
shares are the true ones times about (1 - BACKGROUND_MISSING_SHARE): the truth has no
'onbekend' rows, and a test of the composition compares within the known categories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitor.codebook import Codebook
from monitor.demo import items as item_model
from monitor.reference import SEEDS, size_classes


def size_class_of(gemeente_inhabitants: pd.Series) -> pd.Series:
    """Size class per gemeente code as the pipeline assigns it (dbt int_gemeenten): a gemeente
    named in seed size_class_gemeenten has its class, otherwise the class of the largest
    min_inhabitants of seed size_classes it reaches."""
    named = pd.read_csv(SEEDS / "size_class_gemeenten.csv", dtype=str).set_index("gemeente_code")["size_class"]
    thresholds = size_classes().dropna(subset=["min_inhabitants"]).sort_values("min_inhabitants")
    limits = thresholds["min_inhabitants"].to_numpy(dtype=float)
    reached = np.searchsorted(limits, gemeente_inhabitants.to_numpy(dtype=float), side="right") - 1
    if (reached < 0).any():
        low = list(gemeente_inhabitants.index[reached < 0])
        raise ValueError(f"dbt_project/seeds/size_classes.csv: no size class for the inhabitants of {low}; "
                         "the smallest min_inhabitants must be 0")
    by_threshold = pd.Series(thresholds["size_class"].to_numpy()[reached], index=gemeente_inhabitants.index)
    return named.reindex(gemeente_inhabitants.index).fillna(by_threshold)


def age_band_of(age: np.ndarray, codebook: Codebook) -> np.ndarray:
    """The codebook's age band of every age (bands are [lowest, highest] with an open last)."""
    band = np.full(len(age), None, dtype=object)
    for name, (low, high) in codebook.age_bands.items():
        band[(age >= low) & ((age <= high) if high is not None else True)] = name
    if (band == None).any():  # noqa: E711 - elementwise on an object array
        raise ValueError(f"ages {sorted(set(age[band == None]))[:5]} fall in no age band of the codebook")  # noqa: E711
    return band


def person_categories(codebook: Codebook, persons: pd.DataFrame, region: pd.Series,
                      size_class: pd.Series) -> pd.DataFrame:
    """One column per profile characteristic (codebook order): every simulated adult's true
    category as monitor_profiles names it (codes as text, age band, size class, COROP code)."""
    gemeente = persons["gemeente_code"].to_numpy()
    columns = {}
    for name, spec in codebook.profiles["characteristics"].items():
        source = spec["from"]
        if source == "background":
            columns[name] = persons[name].astype(str).to_numpy()
        elif source == "age_band":
            columns[name] = age_band_of(persons["age"].to_numpy(), codebook)
        elif source == "size_class":
            columns[name] = size_class.reindex(gemeente).to_numpy()
        elif source == "regio":
            columns[name] = region.reindex(gemeente).to_numpy()
        else:
            raise NotImplementedError(f"profile characteristic {name!r}: source {source!r} is not simulated")
        if pd.isna(columns[name]).any():
            raise ValueError(f"profile characteristic {name!r}: some simulated adults have no category")
    return pd.DataFrame(columns)


def resource_scores(codebook: Codebook, models, ranks: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every resource scale's score and every resource group's score (mean of its scale
    scores) per person, from complete answers, in codebook order (scales, then groups)."""
    scores, groups = {}, {}
    for group in codebook.resource_groups:
        scales = [s.name for s in codebook.scales_in_group(group)]
        for scale in scales:
            scores[scale] = item_model.scale_score(models, ranks, scale)
        groups[group] = np.mean([scores[s] for s in scales], axis=0)
    return scores | groups


def profile_truth(categories: pd.DataFrame, indicators: dict[str, np.ndarray], resilient: np.ndarray,
                  population_fraction: float) -> pd.DataFrame:
    """Per characteristic and true category: adults, the mean of every indicator
    (`indicators`: name -> value per person; pct_veerkrachtig is added here) and the
    composition: the category's share (0..100) among the resilient and among the less
    resilient, and their difference."""
    values = pd.DataFrame(indicators).assign(pct_veerkrachtig=100.0 * resilient)
    resilient = pd.Series(resilient, dtype=bool)
    rows = []
    for characteristic in categories.columns:
        category = categories[characteristic]
        grouped = values.groupby(category, sort=True)
        frame = grouped.mean()
        frame.insert(0, "adults", (grouped.size() / population_fraction).round().astype(np.int64))
        frame["share_among_resilient"] = 100 * category[resilient].value_counts(normalize=True)
        frame["share_among_less_resilient"] = 100 * category[~resilient].value_counts(normalize=True)
        frame[["share_among_resilient", "share_among_less_resilient"]] = frame[
            ["share_among_resilient", "share_among_less_resilient"]].fillna(0.0)
        frame["difference"] = frame["share_among_resilient"] - frame["share_among_less_resilient"]
        rows.append(frame.rename_axis("category").reset_index().assign(characteristic=characteristic))
    out = pd.concat(rows, ignore_index=True)
    return out[["characteristic", *[c for c in out.columns if c != "characteristic"]]]


def resources_by_resilience(codebook: Codebook, scores: dict[str, np.ndarray], resilient: np.ndarray) -> pd.DataFrame:
    """Per resource scale and resource group: the population mean among the resilient and
    among the less resilient, and the difference (resilient minus less resilient)."""
    group_of = {name: scale.group for name, scale in codebook.scales.items()}
    return pd.DataFrame(
        [
            {
                "indicator": name,
                "resource_group": group_of.get(name, name),
                "indicator_kind": "scale" if name in group_of else "resource_group",
                "estimate_resilient": values[resilient].mean(),
                "estimate_less_resilient": values[~resilient].mean(),
                "difference": values[resilient].mean() - values[~resilient].mean(),
            }
            for name, values in scores.items()
        ]
    )
