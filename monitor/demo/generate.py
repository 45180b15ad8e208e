"""Generate one demo edition: CBS key figures, the raw survey and the truth behind them.

Steps: layout -> CBS figures per buurt -> simulated adults -> latents -> the edition's trend
planted -> complete answers of everybody (the truth) -> weak buurten planted -> sample and
response -> survey with gaps -> the profiles' truth (`profiles.py`; the resource answers of
those not asked from a stream of their own) -> the KWB file written with the edition's habits
(`habits.py`: a subset of columns, a damaged gemeente without respondents, `.` in whole
columns), or a real CBS export copied and the survey placed on its layout (`cbs_layout.py`) -> the
boundaries of the edition's areas (`boundaries.py`: synthetic shapes and wijk and buurt names,
on the real export's codes with `cbs_layout`).

What persists across the editions of a seed (streams spawned from the seed alone): the areas
(base layout, buurt sizes and their growth, hidden traits, the character of the CBS figures),
the gemeente effects (per gemeente of the base layout, so they follow an area through a
merger) and the questionnaire (item thresholds). What is the edition's own (streams spawned
from seed and edition): counts in the CBS figures, the simulated adults, their latents and
answers, the sample and the survey's gaps. So editions are the same population a few years on,
with independent samples. The same arguments give byte-identical files.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from monitor import settings
from monitor.codebook import Codebook, load_codebook
from monitor.demo import items as item_model
from monitor.demo import trend
from monitor.demo.boundaries import boundary_paths, edition_boundaries, real_layout_boundaries, write_boundaries
from monitor.demo.cbs_layout import RealLayout, read_real_layout
from monitor.demo.habits import CLEAN, KwbHabits, absent_variables, habits_of, write_kwb
from monitor.demo.kwb import buurt_traits, simulate_buurt_figures, statline_frame
from monitor.demo.latent import (
    GEMEENTE_EFFECT_SD,
    Latents,
    buurt_deprivation_composite,
    profile_effects,
    simulate_latents,
)
from monitor.demo.layout import (
    EDITIONS,
    GEMEENTE_CHANGES_FILE,
    Layout,
    build_base_layout,
    build_layout,
    check_edition,
)
from monitor.demo.population import simulate_adults
from monitor.demo.profiles import (
    person_categories,
    profile_truth,
    resource_scores,
    resources_by_resilience,
    size_class_of,
)
from monitor.demo.projects import write_demo_projects
from monitor.demo.sampling import Sample, allocate, draw_sample
from monitor.demo.survey import SURVEY_FORMATS, survey_frame, write_survey
from monitor.demo.truth import (
    area_truth,
    choose_hidden_weak_buurten,
    choose_weak_buurten,
    records,
    write_truth_json,
)
from monitor.reference import SEEDS

GENERATOR_VERSION = "2.4.0"
GEMEENTE_EFFECT_STREAM, ITEM_MODEL_STREAM = 3, 4  # persistent streams (seed, stream)
# The complete resource answers of the adults who were not asked (the profile truth of the
# resource groups needs everybody's): a stream of its own (seed, edition, stream), so that the
# edition's streams below keep every draw they made before profiles were recorded.
RESOURCE_TRUTH_STREAM = 5
# The edition's streams, spawned from (seed, edition). "layout" is no longer drawn from (the
# areas persist per seed, layout.py); it stays so that the other streams keep their position.
STREAMS = ("layout", "kwb", "population", "latents", "items", "planting", "sampling", "survey")
WEAK_BUURT_SHIFT = 0.53  # SD of the coping latent: about -1 point on veerkracht_score


@dataclass(frozen=True)
class DemoEdition:
    edition: int
    kwb_path: Path
    survey_path: Path
    truth_path: Path
    summary: dict = field(default_factory=dict)
    boundaries_dir: Path | None = None  # <landing>/<edition>/boundaries (monitor.geo)


def summary_text(summary: dict) -> str:
    """A written edition in a sentence for the terminal (the dict itself is for code and tests)."""
    parts = [
        f"{summary['gemeenten']} gemeenten, {summary['wijken']} wijken, {summary['buurten']:,} buurten",
        f"{summary['respondents']:,} respondents of {summary['adults']:,} adults",
    ]
    habits = summary.get("kwb_habits") or {}
    if habits.get("shape") and habits["shape"] != "odata":
        parts.append(f"kwb.csv shaped like the real {habits['shape'].replace('export_', '')} export")
    if summary.get("absent_variables"):
        parts.append(f"{len(summary['absent_variables'])} CBS variable(s) absent as in real exports")
    parts += [f"{text}" for text in (summary.get("damaged_gemeenten") or {}).values()]
    return "; ".join(parts)


def _check_arguments(edition: int, n_respondents: int, population_fraction: float, survey_format: str) -> None:
    check_edition(edition)
    if survey_format not in SURVEY_FORMATS:
        raise ValueError(f"survey_format must be one of {SURVEY_FORMATS}, got {survey_format!r}")
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


def _regions(layout: Layout) -> pd.Series:
    """COROP region of every gemeente of the layout (seed brabant_gemeenten)."""
    seed = pd.read_csv(SEEDS / "brabant_gemeenten.csv", dtype=str).drop_duplicates("gemeente_code")
    region = layout.gemeenten.gemeente_code.map(seed.set_index("gemeente_code")["corop_code"])
    if region.isna().any():
        missing = list(layout.gemeenten.gemeente_code[region.isna()])
        raise ValueError(f"dbt_project/seeds/brabant_gemeenten.csv has no COROP region for {missing}")
    return pd.Series(region.to_numpy(), index=layout.gemeenten.gemeente_code.to_numpy())


def _gemeente_effects(seed: int) -> np.ndarray:
    """Per area: the effect of its gemeente in the base layout (persistent)."""
    base = build_base_layout(seed)
    rng = np.random.default_rng(np.random.SeedSequence([seed, GEMEENTE_EFFECT_STREAM]))
    effect = pd.Series(rng.normal(0, GEMEENTE_EFFECT_SD, len(base.gemeenten)), index=base.gemeenten.gemeente_code)
    return base.buurten.gemeente_code.map(effect).to_numpy()


def _expected_respondents(persons: pd.DataFrame, n_respondents: int, population_fraction: float) -> np.ndarray:
    """Per buurt row: the respondents the sample design expects there (the gemeente's
    allocation spread over its buurten by adults)."""
    buurt = persons["buurt"].to_numpy()
    gemeente = persons["gemeente_code"].to_numpy()
    per_gemeente = allocate(pd.Series(gemeente).value_counts().sort_index() / population_fraction, n_respondents)
    adults = pd.Series(1.0, index=buurt).groupby(level=0).sum()
    gemeente_of = pd.Series(gemeente, index=buurt).groupby(level=0).first()
    share = adults / adults.groupby(gemeente_of).transform("sum")
    return (share * gemeente_of.map(per_gemeente)).to_dict()


def _outcome_answers(models, latents: Latents, persons: pd.DataFrame, figures: pd.DataFrame,
                     codebook: Codebook, rng, region: np.ndarray, edition: int,
                     expected: dict) -> tuple[dict, dict[str, list[str]], float, dict]:
    """Coping and change answers of every simulated adult, with the edition's trend and the
    weak buurten of both kinds planted (`truth.WEAK_KINDS`). Returns the ranks, the weak buurt
    codes per kind, the realised effect of planting weak buurten (points) and what the trend
    planted."""
    noise = {m.item.name: rng.normal(0, 1, len(persons)) for m in models}
    coping, planted_trend = trend.plant(models, latents.coping, noise, region, edition, codebook)
    latents.coping = coping
    source = {"coping": latents.coping, "change": latents.change}
    ranks = {m.item.name: m.ranks(source[m.source], noise[m.item.name]) for m in models}
    score, _ = item_model.coping_truth(models, ranks, codebook)

    gemeente_scores = pd.Series(score).groupby(persons["gemeente_code"].to_numpy()).mean()
    buurt_scores = pd.Series(score).groupby(persons["buurt"].to_numpy()).mean()
    buurten = figures[["buurt_code", "gemeente_code"]].assign(
        inhabitants=figures["AantalInwoners"],
        gemeente_inhabitants=figures.groupby("gemeente_code")["AantalInwoners"].transform("sum"),
        score=buurt_scores.reindex(range(len(figures))).to_numpy(),
        deprivation=buurt_deprivation_composite(figures),
        expected_respondents=pd.Series(expected).reindex(range(len(figures))).fillna(0.0).to_numpy(),
    )
    predicted = choose_weak_buurten(buurten, gemeente_scores, score.mean(), rng)
    taken = buurten.gemeente_code[buurten.buurt_code.isin(predicted)]
    weak = {"predicted": predicted,
            "hidden": choose_hidden_weak_buurten(buurten, gemeente_scores, score.mean(), taken, rng)}
    # the latent shift per buurt row: a hidden weak buurt is a larger part of its gemeente, whose
    # truth it pulls down too, so it gets WEAK_BUURT_SHIFT / (1 - share) to lie about one point
    # below its gemeente as a predicted one does
    share = (buurten.inhabitants / buurten.gemeente_inhabitants).to_numpy()
    buurt_shift = np.where(buurten.buurt_code.isin(weak["predicted"]), WEAK_BUURT_SHIFT, 0.0)
    buurt_shift = np.where(buurten.buurt_code.isin(weak["hidden"]), WEAK_BUURT_SHIFT / (1 - share), buurt_shift)
    person_shift = buurt_shift[persons["buurt"].to_numpy()]
    in_weak = person_shift > 0
    for m in models:
        if m.source == "coping":
            shifted = latents.coping[in_weak] - person_shift[in_weak]  # same noise: only the shift differs
            ranks[m.item.name][in_weak] = m.ranks(shifted, noise[m.item.name][in_weak])
    planted_score, _ = item_model.coping_truth(models, ranks, codebook)
    effect = float(planted_score[in_weak].mean() - score[in_weak].mean()) if in_weak.any() else float("nan")
    return ranks, weak, effect, planted_trend


def _codes(models, ranks: dict[str, np.ndarray], rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Answer codes (as the codebook writes them) from ranks."""
    by_name = {m.item.name: m for m in models}
    return {
        name: by_name[name].answer_by_rank[r if rows is None else r[rows]] for name, r in ranks.items()
    }


def _planted_change(edition: int, region_adults: pd.Series) -> dict:
    """The planted change of the trend indicator since the previous edition: per region the
    difference of the planted levels, for the province their mean weighted by this edition's
    adults per region."""
    previous = trend.previous_edition(edition)
    now = trend.levels(edition)
    before = trend.levels(previous) if previous is not None else now
    regions = {r: now[r] - before[r] for r in trend.REGIONS}
    share = region_adults / region_adults.sum()
    return {
        "indicator": trend.INDICATOR,
        "from_edition": previous,
        "to_edition": edition,
        "province": float(sum(share.get(r, 0.0) * v for r, v in regions.items())),
        "regions": regions,
        "levels": {str(e): trend.levels(e) for e in EDITIONS},
    }


def _truth(codebook, edition, seed, population_fraction, n_respondents, layout, figures, persons,
           models, ranks, sample: Sample, survey: pd.DataFrame, latents: Latents, weak, effect,
           regions: pd.Series, planted_trend: dict) -> dict:
    score, resilient = item_model.coping_truth(models, ranks, codebook)
    change = item_model.scale_score(models, ranks, codebook.typology["change_scale"])
    buurt_of_person = persons["buurt"].to_numpy()
    buurt_codes = figures["buurt_code"].to_numpy()[buurt_of_person]
    wijk_codes = figures["wijk_code"].to_numpy()[buurt_of_person]
    region_of_person = regions.reindex(persons["gemeente_code"].to_numpy()).to_numpy()

    def table(keys, respondents, extra: pd.DataFrame) -> pd.DataFrame:
        values = area_truth(keys, score, resilient, change, population_fraction)
        frame = extra.join(values, how="left").join(respondents.rename("respondents"), how="left")
        frame["adults"] = frame["adults"].fillna(0).astype(np.int64)
        frame["respondents"] = frame["respondents"].fillna(0).astype(np.int64)
        return frame.rename_axis("code").reset_index()

    gemeenten = layout.gemeenten.set_index("gemeente_code")[["gemeente_name", "inhabitants"]].rename(
        columns={"gemeente_name": "name"}).assign(corop_code=regions)
    wijk_of = figures.groupby("wijk_code")
    wijken = pd.DataFrame(
        {"gemeente_code": wijk_of["gemeente_code"].first(), "inhabitants": wijk_of["AantalInwoners"].sum()}
    )
    # grouped, not indexed: on a real layout (cbs_layout) neighbouring buurten may share a code
    buurten = figures.groupby("buurt_code", sort=False).agg(
        gemeente_code=("gemeente_code", "first"), inhabitants=("AantalInwoners", "sum"))
    region_table = (
        layout.gemeenten.assign(corop_code=layout.gemeenten.gemeente_code.map(regions))
        .groupby("corop_code")[["inhabitants"]].sum()
    )
    reported_buurt = survey["buurt_code"].dropna()
    region_truth = table(region_of_person, survey["gemeente_code"].map(regions).value_counts(), region_table)

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
    region_adults = region_truth.set_index("code")["adults"]
    realised = planted_trend["realised"]
    realised_province = {
        k: float(sum(region_adults.get(r, 0) * v[k] for r, v in realised.items()) / region_adults.sum())
        for k in ("veerkracht_score", "pct_veerkrachtig")
    }
    return {
        "edition": edition,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "codebook_version": codebook.version,
        "population_fraction": population_fraction,
        "n_respondents_target": n_respondents,
        "layout": {
            "layout_year": layout_year(edition),
            "gemeenten": len(layout.gemeenten),
            "wijken": len(layout.wijken),
            "buurten": len(layout.buurten),
            "gemeente_changes": "dbt_project/seeds/gemeente_changes.csv",
        },
        "province": province,
        "planted_change": _planted_change(edition, region_adults),
        "trend_level": {
            "indicator": trend.INDICATOR,
            "planted": planted_trend["levels"],
            "latent_shifts": planted_trend["latent_shifts"],
            "realised": {"province": realised_province, "regions": realised},
        },
        "resource_group_order": sorted(groups, key=lambda g: -groups[g]),
        "planted_group_effects": groups,
        "planted_effects": planted,
        "strongest_resources": list(planted)[:5],
        # both kinds (the flag must find them all); per kind: "predicted" lie where the CBS
        # deprivation figures point, "hidden" look average on every CBS figure
        "weak_buurten": sorted(weak["predicted"] + weak["hidden"]),
        "weak_buurten_by_kind": weak,
        "weak_buurt_effect": effect,
        "regions": records(region_truth),
        "gemeenten": records(
            table(persons["gemeente_code"].to_numpy(), survey["gemeente_code"].value_counts(), gemeenten)
        ),
        "wijken": records(table(wijk_codes, ("WK" + reported_buurt.str[2:8]).value_counts(), wijken)),
        "buurten": records(table(buurt_codes, reported_buurt.value_counts(), buurten)),
    }


def _complete_resource_ranks(models, latents: Latents, rows: np.ndarray, respondent_ranks: dict[str, np.ndarray],
                             rng) -> dict[str, np.ndarray]:
    """Complete resource answers of every simulated adult: the respondents' own answers, the
    others' drawn from `rng` on the same item models."""
    complete = _answer(models, latents, None, rng)
    for name, ranks in respondent_ranks.items():
        complete[name][rows] = ranks
    return complete


def _profiles(codebook: Codebook, persons: pd.DataFrame, figures: pd.DataFrame, regions: pd.Series,
              outcome_models, outcome_ranks, resource_models, resource_ranks, population_fraction: float) -> dict:
    """The truth of monitor_profiles and monitor_resources_by_resilience (`profiles.py`) and
    the profile effects planted (`latent.profile_effects`)."""
    score, resilient = item_model.coping_truth(outcome_models, outcome_ranks, codebook)
    scores = resource_scores(codebook, resource_models, resource_ranks)
    size_class = size_class_of(figures.groupby("gemeente_code")["AantalInwoners"].sum())
    categories = person_categories(codebook, persons, regions, size_class)
    indicators = {"veerkracht_score": score} | {g: scores[g] for g in codebook.resource_groups} | {
        "veranderbereidheid": item_model.scale_score(outcome_models, outcome_ranks, codebook.typology["change_scale"])}
    return {
        "profile_effects": profile_effects(),
        "profiles": records(profile_truth(categories, indicators, resilient, population_fraction)),
        "resources_by_resilience": records(resources_by_resilience(codebook, scores, resilient)),
    }


def layout_year(edition: int) -> int:
    """The first year of the municipal layout an edition uses (2016, 2017 or 2019)."""
    changes = pd.read_csv(GEMEENTE_CHANGES_FILE)
    years = [y for y in sorted(changes.change_year.unique()) if y <= edition]
    return max(years) if years else min(EDITIONS)


def _drop_gemeenten(sample: Sample, persons: pd.DataFrame, codes: list[str]) -> tuple[Sample, dict[str, int]]:
    """The sample without the respondents of `codes` (they were asked, none is delivered),
    and how many respondents each of them lost."""
    gemeente = persons["gemeente_code"].to_numpy()
    dropped = np.isin(gemeente, codes)
    counts = pd.Series(gemeente[sample.respondents[dropped[sample.respondents]]]).value_counts()
    keep = ~dropped[sample.respondents]
    expected = sample.expected_respondents.where(~sample.expected_respondents.index.isin(codes), 0.0)
    sample = replace(sample, respondents=sample.respondents[keep], design_weight=sample.design_weight[keep],
                     expected_respondents=expected, inclusion=np.where(dropped, 0.0, sample.inclusion))
    return sample, {code: int(counts.get(code, 0)) for code in codes}


def _on_real_layout(figures: pd.DataFrame, real: RealLayout | None) -> pd.DataFrame:
    """The buurt figures under the real export's codes (unmapped buurten keep theirs)."""
    if real is None:
        return figures
    buurt = figures["buurt_code"].map(real.buurt_map).fillna(figures["buurt_code"])
    return figures.assign(buurt_code=buurt, wijk_code="WK" + buurt.str[2:8])


def _damaged(habits: KwbHabits, layout: Layout, survey: pd.DataFrame, dropped: dict[str, int]) -> list[dict]:
    names = layout.gemeenten.set_index("gemeente_code")["gemeente_name"]
    return [
        {"code": code, "name": names[code], "respondents": int((survey["gemeente_code"] == code).sum()),
         "dropped_respondents": dropped[code],
         "kwb_rows": "as the real 2017 export's Nuenen rows: name cut at its comma, Codering, SoortRegio "
                     "and every value empty"}
        for code in habits.damaged_gemeenten
    ]


def _kwb_record(habits: KwbHabits, real: RealLayout | None, keep_unusable: bool, survey: pd.DataFrame,
                dropped: dict[str, int]) -> dict:
    """What the truth file and the summary say about the KWB file and the gemeenten without respondents."""
    if real is not None:
        unusable = real.unusable["gemeente_code"]
        count = int(survey["gemeente_code"].isin(unusable).sum()) if keep_unusable else sum(dropped[c] for c in unusable)
        return {"kwb_file": f"copy of {real.source.name}", "cbs_layout": real.describe(keep_unusable, count)}
    return {"kwb_file": "demo", "kwb_habits": habits.describe(), "absent_variables": absent_variables(habits)}


def generate_demo_edition(
    landing_dir: Path,
    edition: int = 2018,
    *,
    seed: int = 2018,
    n_respondents: int = 10_000,
    population_fraction: float = 1.0,
    truth_dir: Path | None = None,
    overwrite: bool = False,
    survey_format: str = "csv",
    kwb_habits: bool = True,
    cbs_layout: Path | None = None,
    keep_unusable_respondents: bool = False,
) -> DemoEdition:
    """Write `<landing_dir>/<edition>/kwb.csv` (StatLine CSV), `<landing_dir>/<edition>/survey.<format>`
    (csv, sav or parquet), the edition's boundaries, the example project files
    `<landing_dir>/projects/*.yaml` where absent (monitor.demo.projects) and
    `<truth_dir>/<edition>/truth.json` (truth_dir defaults to settings.demo_truth_dir). Editions 2016-2020 (2016, 2018 and 2020 are the monitor's).

    kwb.csv has the edition's habits of real CBS exports (`habits.EDITION_HABITS`; 2018 none)
    unless `kwb_habits=False`. With `cbs_layout` (a real CBS CSV export of the edition) kwb.csv
    is a byte-identical copy of that file and the survey and the truth are on its buurt codes
    (`cbs_layout.py`); respondents of a gemeente whose rows there are unusable are dropped, or
    with `keep_unusable_respondents` kept on their synthetic codes (the pipeline must block them)."""
    _check_arguments(edition, n_respondents, population_fraction, survey_format)
    landing_dir = Path(landing_dir)
    truth_dir = Path(truth_dir) if truth_dir is not None else settings.demo_truth_dir(landing_dir)
    kwb_path = landing_dir / str(edition) / "kwb.csv"
    survey_path = landing_dir / str(edition) / f"survey.{survey_format}"
    truth_path = truth_dir / str(edition) / "truth.json"
    others = [survey_path.with_suffix(f".{f}") for f in SURVEY_FORMATS if f != survey_format]
    boundaries_paths = boundary_paths(kwb_path.parent)
    _refuse_overwrite([kwb_path, survey_path, truth_path, *boundaries_paths.values()], overwrite)
    present = [path for path in others if path.exists()]
    if present:  # two survey files would make the landing folder ambiguous
        raise FileExistsError(f"{present[0]} exists; remove it before writing the survey as {survey_format}")

    rng = dict(zip(STREAMS, map(np.random.default_rng, np.random.SeedSequence([seed, edition]).spawn(len(STREAMS)))))
    codebook = load_codebook()
    layout = build_layout(edition, seed)
    real = read_real_layout(cbs_layout, edition, layout) if cbs_layout is not None else None
    habits = habits_of(edition) if kwb_habits and real is None else CLEAN  # a real file has its own habits
    # synthetic shapes on the codes of kwb.csv (boundaries.py; their own random streams)
    boundaries = real_layout_boundaries(layout, seed, list(real.codes)) if real is not None \
        else edition_boundaries(layout, seed)
    without_respondents = list(habits.damaged_gemeenten)
    if real is not None and not keep_unusable_respondents:
        without_respondents += list(real.unusable["gemeente_code"])
    regions = _regions(layout)
    traits = buurt_traits(layout, seed)
    figures = simulate_buurt_figures(traits, rng["kwb"], seed=seed, edition=edition)
    persons = simulate_adults(figures, traits, population_fraction, rng["population"])
    latents = simulate_latents(codebook, persons, traits, figures, rng["latents"],
                               area_gemeente_effect=_gemeente_effects(seed))
    models = item_model.item_models(codebook, np.random.default_rng(np.random.SeedSequence([seed, ITEM_MODEL_STREAM])))
    outcome_models = [m for m in models if m.source in ("coping", "change")]
    resource_models = [m for m in models if m.source not in ("coping", "change")]

    region_of_person = regions.reindex(persons["gemeente_code"].to_numpy()).to_numpy()
    ranks, weak, effect, planted_trend = _outcome_answers(
        outcome_models, latents, persons, figures, codebook, rng["planting"], region_of_person, edition,
        _expected_respondents(persons, n_respondents, population_fraction))
    sample = draw_sample(persons, population_fraction, n_respondents, rng["sampling"])
    sample, dropped = _drop_gemeenten(sample, persons, without_respondents)
    rows = sample.respondents
    resource_ranks = _answer(resource_models, latents, rows, rng["items"])  # respondents only: saves time
    answers = _codes(outcome_models, ranks, rows) | _codes(resource_models, resource_ranks)
    placed = _on_real_layout(figures, real)
    respondents = persons.iloc[rows].reset_index(drop=True).assign(
        buurt_code=placed["buurt_code"].to_numpy()[persons["buurt"].to_numpy()[rows]]
    )
    if real is not None:
        weak = {kind: sorted(set(placed["buurt_code"][figures["buurt_code"].isin(codes)]))
                for kind, codes in weak.items()}
    survey = survey_frame(codebook, edition, respondents, answers, sample.design_weight, rng["survey"])
    truth = _truth(codebook, edition, seed, population_fraction, n_respondents, layout, placed, persons,
                   models, ranks, sample, survey, latents, weak, effect, regions, planted_trend)
    complete = _complete_resource_ranks(
        resource_models, latents, rows, resource_ranks,
        np.random.default_rng(np.random.SeedSequence([seed, edition, RESOURCE_TRUTH_STREAM])))
    truth |= _profiles(codebook, persons, placed, regions, outcome_models, ranks, resource_models, complete,
                       population_fraction)
    kwb_record = _kwb_record(habits, real, keep_unusable_respondents, survey, dropped)
    truth |= kwb_record | {"damaged_gemeenten": _damaged(habits, layout, survey, dropped)}

    # write only when everything is computed, so a failure leaves no half-written edition
    survey_path.parent.mkdir(parents=True, exist_ok=True)
    if real is not None:  # a delivery: the landing zone gets the file as CBS delivered it
        shutil.copyfile(real.source, kwb_path)
    else:
        write_kwb(statline_frame(layout, figures), kwb_path, edition, habits)
    write_survey(survey, survey_path, survey_format, codebook, edition)
    write_boundaries(boundaries, kwb_path.parent)
    write_demo_projects(landing_dir)
    write_truth_json(truth, truth_path)
    summary = {
        "gemeenten": len(layout.gemeenten),
        "wijken": len(layout.wijken),
        "buurten": len(layout.buurten),
        "inhabitants": int(figures["AantalInwoners"].sum()),
        "adults": truth["province"]["adults"],
        "simulated_adults": len(persons),
        "respondents": len(survey),
        "boundaries": {level: len(frame) for level, frame in boundaries.levels().items()},
        **kwb_record,
        "damaged_gemeenten": {g["code"]: f"{g['name']}: {g['respondents']} respondents "
                              f"({g['dropped_respondents']} dropped)" for g in truth["damaged_gemeenten"]},
    }
    return DemoEdition(edition, kwb_path, survey_path, truth_path, summary,
                       boundaries_dir=boundaries_paths["gemeente"].parent)
