"""The input scales of the pipeline benchmark, and their landing files (generated once, cached).

    .venv/bin/python bench/scales.py SCALE LANDING_DIR     write the landing zone of a scale

Scales (one edition, 2018, demo seed 2018):

- brabant     the demo edition as `make demo` writes it: 64 gemeenten, 441 wijken, 1,895 buurten,
              10,000 respondents, the whole simulated population (population_fraction 1.0).
- brabant_x5  the same layout, 50,000 respondents.
- national    a synthetic layout of national size that the pipeline accepts: Brabant's 64
              gemeenten (the pipeline keeps only the gemeenten of the reference seed
              brabant_gemeenten), each with 7x the buurten (~13,300), 7x the wijken (at most
              100 per gemeente: CBS codes have two digits; ~2,600) and 7x the inhabitants
              (~17.6 million, as the Netherlands), 500,000 respondents. What is NOT national is
              the number of gemeenten (64, not ~340): raking domains, the gemeente fixed effects
              of the small-area model and the gemeente rows of the marts stay at Brabant's count
              (bench/bench_small_area.py and bench/bench_weighting.py time those two steps with
              350 gemeenten). 25 % of the adults are simulated (population_fraction 0.25),
              which changes the truth file's precision, not the landing files' shape.

The national layout replaces the bundled base layout (monitor/demo/layout.py:_base_gemeenten)
in the generating process only; nothing under monitor/ is changed.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

EDITION = 2018
SEED = 2018
MAX_WIJKEN_PER_GEMEENTE = 100  # two-digit wijk codes


@dataclass(frozen=True)
class Scale:
    name: str
    n_respondents: int
    population_fraction: float
    area_factor: int  # buurten, wijken and inhabitants per gemeente x this
    description: str


SCALES = {
    s.name: s
    for s in [
        Scale("brabant", 10_000, 1.0, 1, "Brabant demo edition: 64 gemeenten, 1,895 buurten, 10,000 respondents"),
        Scale("brabant_x5", 50_000, 1.0, 1, "Brabant layout, 5x the respondents (50,000)"),
        Scale(
            "national",
            500_000,
            0.25,
            7,
            "synthetic national size: 64 gemeenten with 7x the wijken, buurten and inhabitants "
            "(~13,300 buurten, ~17.6 M inhabitants), 500,000 respondents",
        ),
    ]
}


def use_scaled_layout(factor: int) -> None:
    """Make the demo generator (in this process) build its base layout from the bundled 2017
    layout with `factor` x the inhabitants, wijken and buurten of every gemeente."""
    if factor == 1:
        return
    from monitor.demo import kwb, layout

    original = layout._base_gemeenten

    def scaled():
        frame = original().copy()
        frame["inhabitants"] = frame["inhabitants"] * factor
        frame["n_wijken"] = (frame["n_wijken"] * factor).clip(upper=MAX_WIJKEN_PER_GEMEENTE)
        frame["n_buurten"] = frame["n_buurten"] * factor
        # gemeenten that merge in a later edition share the two-digit wijk codes of their
        # successor (the demo boundaries draw every edition's layout): their wijken together fit
        later = layout._mergers(layout.BASE_LAYOUT_YEAR + 1, max(layout.EDITIONS))
        for _, members in later.groupby("to_code").from_code:
            rows = frame["gemeente_code"].isin(members)
            total = frame.loc[rows, "n_wijken"].sum()
            if total > MAX_WIJKEN_PER_GEMEENTE:
                frame.loc[rows, "n_wijken"] = (frame.loc[rows, "n_wijken"] * MAX_WIJKEN_PER_GEMEENTE // total).clip(lower=1)
        return frame

    layout._base_gemeenten = scaled
    layout.build_base_layout.cache_clear()
    kwb.area_traits.cache_clear()


def stamp(scale: Scale) -> dict:
    from monitor.demo import GENERATOR_VERSION

    return {**asdict(scale), "edition": EDITION, "seed": SEED, "generator_version": GENERATOR_VERSION}


def ensure_inputs(scale: Scale, landing: Path) -> dict:
    """Write the landing zone of `scale` unless the same inputs are there already. Returns the
    generator's summary (gemeenten, wijken, buurten, inhabitants, respondents)."""
    marker = landing / "bench_inputs.json"
    wanted = stamp(scale)
    if marker.exists():
        written = json.loads(marker.read_text())
        if written.get("stamp") == wanted:
            return written["summary"]
    from monitor.demo import generate_demo_edition

    use_scaled_layout(scale.area_factor)
    started = time.perf_counter()
    edition = generate_demo_edition(
        landing,
        EDITION,
        seed=SEED,
        n_respondents=scale.n_respondents,
        population_fraction=scale.population_fraction,
        truth_dir=landing.parent / "demo_truth",
        overwrite=True,
    )
    summary = {**edition.summary, "generate_seconds": round(time.perf_counter() - started, 1)}
    summary["survey_mb"] = round(edition.survey_path.stat().st_size / 2**20, 1)
    summary["kwb_mb"] = round(edition.kwb_path.stat().st_size / 2**20, 1)
    marker.write_text(json.dumps({"stamp": wanted, "summary": summary}, indent=2))
    return summary


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in SCALES:
        raise SystemExit(f"usage: {sys.argv[0]} {{{','.join(SCALES)}}} LANDING_DIR")
    summary = ensure_inputs(SCALES[sys.argv[1]], Path(sys.argv[2]))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
