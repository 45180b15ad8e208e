"""Generate one demo edition: CBS key figures, the raw survey and the truth behind them.

Steps: layout -> CBS figures per buurt -> simulated adults -> latents -> complete answers of
everybody (the truth) -> weak buurten planted -> sample and response -> survey with gaps.
Each step draws from its own random stream (spawned from seed and edition), so the same
arguments give byte-identical files and changing one step leaves the others' draws alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from monitor import settings
from monitor.cbs.statline import write_statline_csv
from monitor.codebook import Codebook, load_codebook
from monitor.demo import items as item_model
from monitor.demo.kwb import buurt_traits, simulate_buurt_figures, statline_frame
from monitor.demo.latent import Latents, simulate_latents
from monitor.demo.layout import LAYOUT_FILES, build_layout
from monitor.demo.population import simulate_adults
from monitor.demo.sampling import Sample, draw_sample
from monitor.demo.survey import survey_frame, write_survey_csv
from monitor.demo.truth import (
    area_truth,
    choose_weak_buurten,
    records,
    write_truth_json,
)

GENERATOR_VERSION = "1.0.0"
STREAMS = ("layout", "kwb", "population", "latents", "items", "planting", "sampling", "survey")
WEAK_BUURT_SHIFT = 0.53  # SD of the coping latent: about -1 point on veerkracht_score


@dataclass(frozen=True)
class DemoEdition:
    edition: int
    kwb_path: Path
    survey_path: Path
    truth_path: Path
    summary: dict = field(default_factory=dict)


def _check_arguments(edition: int, n_respondents: int, population_fraction: float) -> None:
    if edition not in LAYOUT_FILES:
        raise ValueError(f"the demo generator has layouts for editions {sorted(LAYOUT_FILES)}, not {edition}")
    if not 0 < population_fraction <= 1:
        raise ValueError(f"population_fraction must be in (0, 1], got {population_fraction}")
    if n_respondents < 100:
        raise ValueError(f"n_respondents must be at least 100, got {n_respondents}")


def _refuse_overwrite(paths: list[Path], overwrite: bool) -> None:
    if overwrite:
        return
    for path in paths:
        if path.exists():
            raise FileExistsError(f"{path} exists; pass overwrite=True to replace the demo edition")


def _answer(models, latents: Latents, rows: np.ndarray | None, rng) -> dict[str, np.ndarray]:
    """Complete answer ranks for the items whose latent is a resource scale, for `rows`."""
    out = {}
    for m in models:
        latent = latents.scales[m.source] if rows is None else latents.scales[m.source][rows]
        out[m.item.name] = m.ranks(latent, rng.normal(0, 1, len(latent)))
    return out


def _outcome_answers(models, latents: Latents, persons: pd.DataFrame, figures: pd.DataFrame,
                     codebook: Codebook, rng) -> tuple[dict, list[str], float]:
    """Coping and change answers of every simulated adult, with the weak buurten planted.
    Returns the ranks, the weak buurt codes and the realised effect of planting (points)."""
    source = {"coping": latents.coping, "change": latents.change}
    noise = {m.item.name: rng.normal(0, 1, len(persons)) for m in models}
    ranks = {m.item.name: m.ranks(source[m.source], noise[m.item.name]) for m in models}
    score, _ = item_model.coping_truth(models, ranks, codebook)

    gemeente_scores = pd.Series(score).groupby(persons["gemeente_code"].to_numpy()).mean()
    buurt_scores = pd.Series(score).groupby(persons["buurt"].to_numpy()).mean()
    buurten = figures[["buurt_code", "gemeente_code"]].assign(
        inhabitants=figures["AantalInwoners"],
        gemeente_inhabitants=figures.groupby("gemeente_code")["AantalInwoners"].transform("sum"),
        score=buurt_scores.reindex(range(len(figures))).to_numpy(),
    )
    weak = choose_weak_buurten(buurten, gemeente_scores, score.mean(), rng)
    in_weak = np.isin(persons["buurt"].to_numpy(), np.flatnonzero(figures["buurt_code"].isin(weak)))
    for m in models:
        if m.source == "coping":
            shifted = latents.coping[in_weak] - WEAK_BUURT_SHIFT  # same noise: only the shift differs
            ranks[m.item.name][in_weak] = m.ranks(shifted, noise[m.item.name][in_weak])
    planted_score, _ = item_model.coping_truth(models, ranks, codebook)
    effect = float(planted_score[in_weak].mean() - score[in_weak].mean()) if in_weak.any() else float("nan")
    return ranks, weak, effect


def _codes(models, ranks: dict[str, np.ndarray], rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Answer codes (as the codebook writes them) from ranks."""
    by_name = {m.item.name: m for m in models}
    return {
        name: by_name[name].answer_by_rank[r if rows is None else r[rows]] for name, r in ranks.items()
    }


def _truth(codebook, edition, seed, population_fraction, n_respondents, layout, figures, persons,
           models, ranks, sample: Sample, survey: pd.DataFrame, latents: Latents, weak, effect) -> dict:
    score, resilient = item_model.coping_truth(models, ranks, codebook)
    change = item_model.scale_score(models, ranks, codebook.typology["change_scale"])
    buurt_of_person = persons["buurt"].to_numpy()
    buurt_codes = figures["buurt_code"].to_numpy()[buurt_of_person]
    wijk_codes = figures["wijk_code"].to_numpy()[buurt_of_person]
    inhabitants = figures.set_index("buurt_code")["AantalInwoners"]

    def table(keys, respondents, extra: pd.DataFrame) -> pd.DataFrame:
        values = area_truth(keys, score, resilient, change, population_fraction)
        frame = extra.join(values, how="left").join(respondents.rename("respondents"), how="left")
        frame["adults"] = frame["adults"].fillna(0).astype(np.int64)
        frame["respondents"] = frame["respondents"].fillna(0).astype(np.int64)
        return frame.rename_axis("code").reset_index()

    gemeenten = layout.gemeenten.set_index("gemeente_code")[["gemeente_name", "inhabitants"]].rename(
        columns={"gemeente_name": "name"})
    wijk_of = figures.groupby("wijk_code")
    wijken = pd.DataFrame(
        {"gemeente_code": wijk_of["gemeente_code"].first(), "inhabitants": wijk_of["AantalInwoners"].sum()}
    )
    buurten = figures.set_index("buurt_code")[["gemeente_code"]].assign(inhabitants=inhabitants)
    reported_buurt = survey["buurt_code"].dropna()

    # What an unweighted mean of respondents would give on average (P(asked) x P(response)).
    w = sample.inclusion
    unweighted = {
        "veerkracht_score": np.average(score, weights=w),
        "pct_veerkrachtig": 100 * np.average(resilient, weights=w),
    }
    province = {
        "inhabitants": int(figures["AantalInwoners"].sum()),
        "adults": int(round(len(persons) / population_fraction)),
        "veerkracht_score": score.mean(),
        "pct_veerkrachtig": 100 * resilient.mean(),
        "veranderbereidheid": change.mean(),
        "respondents": len(survey),
        "unweighted_expected": unweighted,
        "unweighted_bias": {
            "veerkracht_score": unweighted["veerkracht_score"] - score.mean(),
            "pct_veerkrachtig": unweighted["pct_veerkrachtig"] - 100 * resilient.mean(),
        },
    }
    planted = dict(sorted(latents.planted_effects.items(), key=lambda kv: -kv[1]))
    groups = {g: sum(v for s, v in planted.items() if codebook.scales[s].group == g) for g in codebook.resource_groups}
    return {
        "edition": edition,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "codebook_version": codebook.version,
        "population_fraction": population_fraction,
        "n_respondents_target": n_respondents,
        "province": province,
        "resource_group_order": sorted(groups, key=lambda g: -groups[g]),
        "planted_group_effects": groups,
        "planted_effects": planted,
        "strongest_resources": list(planted)[:5],
        "weak_buurten": weak,
        "weak_buurt_effect": effect,
        "gemeenten": records(
            table(persons["gemeente_code"].to_numpy(), survey["gemeente_code"].value_counts(), gemeenten)
        ),
        "wijken": records(table(wijk_codes, ("WK" + reported_buurt.str[2:8]).value_counts(), wijken)),
        "buurten": records(table(buurt_codes, reported_buurt.value_counts(), buurten)),
    }


def generate_demo_edition(
    landing_dir: Path,
    edition: int = 2018,
    *,
    seed: int = 2018,
    n_respondents: int = 10_000,
    population_fraction: float = 1.0,
    truth_dir: Path | None = None,
    overwrite: bool = False,
) -> DemoEdition:
    """Write `<landing_dir>/<edition>/kwb.csv` (StatLine CSV), `<landing_dir>/<edition>/survey.csv`
    and `<truth_dir>/<edition>/truth.json` (truth_dir defaults to settings.demo_truth_dir)."""
    _check_arguments(edition, n_respondents, population_fraction)
    landing_dir = Path(landing_dir)
    truth_dir = Path(truth_dir) if truth_dir is not None else settings.demo_truth_dir(landing_dir)
    kwb_path = landing_dir / str(edition) / "kwb.csv"
    survey_path = landing_dir / str(edition) / "survey.csv"
    truth_path = truth_dir / str(edition) / "truth.json"
    _refuse_overwrite([kwb_path, survey_path, truth_path], overwrite)

    rng = dict(zip(STREAMS, map(np.random.default_rng, np.random.SeedSequence([seed, edition]).spawn(len(STREAMS)))))
    codebook = load_codebook()
    layout = build_layout(edition, rng["layout"])
    traits = buurt_traits(layout, rng["kwb"])
    figures = simulate_buurt_figures(traits, rng["kwb"])
    persons = simulate_adults(figures, traits, population_fraction, rng["population"])
    latents = simulate_latents(codebook, persons, traits, figures, rng["latents"])
    models = item_model.item_models(codebook, rng["items"])
    outcome_models = [m for m in models if m.source in ("coping", "change")]
    resource_models = [m for m in models if m.source not in ("coping", "change")]

    ranks, weak, effect = _outcome_answers(outcome_models, latents, persons, figures, codebook, rng["planting"])
    sample = draw_sample(persons, population_fraction, n_respondents, rng["sampling"])
    rows = sample.respondents
    resource_ranks = _answer(resource_models, latents, rows, rng["items"])  # respondents only: saves time
    answers = _codes(outcome_models, ranks, rows) | _codes(resource_models, resource_ranks)
    respondents = persons.iloc[rows].reset_index(drop=True).assign(
        buurt_code=figures["buurt_code"].to_numpy()[persons["buurt"].to_numpy()[rows]]
    )
    survey = survey_frame(codebook, edition, respondents, answers, sample.design_weight, rng["survey"])
    truth = _truth(codebook, edition, seed, population_fraction, n_respondents, layout, figures, persons,
                   models, ranks, sample, survey, latents, weak, effect)

    # write only when everything is computed, so a failure leaves no half-written edition
    write_statline_csv(statline_frame(layout, figures), kwb_path, edition)
    write_survey_csv(survey, survey_path)
    write_truth_json(truth, truth_path)
    summary = {
        "gemeenten": len(layout.gemeenten),
        "wijken": len(layout.wijken),
        "buurten": len(layout.buurten),
        "inhabitants": int(figures["AantalInwoners"].sum()),
        "adults": truth["province"]["adults"],
        "simulated_adults": len(persons),
        "respondents": len(survey),
    }
    return DemoEdition(edition, kwb_path, survey_path, truth_path, summary)
