"""The area layout of a demo edition: real gemeenten, synthetic wijken and buurten.

Gemeente codes, names, inhabitants and the number of wijken and buurten are real (CBS layout
of the edition). Wijk and buurt codes follow the CBS pattern, their sizes are simulated.
Only the 2017/2018 layout is bundled; another layout (2016 with Schijndel, Sint-Oedenrode and
Veghel, 2020 with Altena) is one more CSV in `LAYOUT_FILES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DEMO_DIR = Path(__file__).parent
LAYOUT_FILES = {2017: "brabant_layout_2017.csv", 2018: "brabant_layout_2017.csv"}

MAX_CODE_INDEX = 99  # two digits for the wijk within the gemeente, the buurt within the wijk
TINY_BUURT_SHARE = 0.04  # industrial estates, rural outskirts: 0-49 inhabitants
TINY_BUURT_MAX = 49
BUURT_SIZE_SIGMA = 0.8  # lognormal spread of buurt sizes: a few large buurten, many small ones


@dataclass(frozen=True)
class Layout:
    edition: int
    gemeenten: pd.DataFrame  # gemeente_code, gemeente_name, inhabitants, n_wijken, n_buurten
    wijken: pd.DataFrame  # wijk_code, gemeente_code
    buurten: pd.DataFrame  # buurt_code, wijk_code, gemeente_code, inhabitants


def read_gemeenten(edition: int) -> pd.DataFrame:
    """The real gemeenten of the layout of `edition`."""
    if edition not in LAYOUT_FILES:
        raise ValueError(
            f"no demo layout for edition {edition}; available: {sorted(LAYOUT_FILES)} "
            f"(add a layout CSV to {DEMO_DIR} and LAYOUT_FILES for another year)"
        )
    frame = pd.read_csv(
        DEMO_DIR / LAYOUT_FILES[edition],
        dtype={"gemeente_code": str, "gemeente_name": str},
    )
    too_many = frame[(frame.n_wijken > MAX_CODE_INDEX + 1) | (frame.n_buurten < frame.n_wijken)]
    if len(too_many):
        raise ValueError(f"{LAYOUT_FILES[edition]}: impossible wijk/buurt counts for {list(too_many.gemeente_code)}")
    return frame.sort_values("gemeente_code", ignore_index=True)


def _buurten_per_wijk(n_wijken: int, n_buurten: int, rng: np.random.Generator) -> np.ndarray:
    """Every wijk gets one buurt, the rest is spread unevenly (some wijken are a single buurt)."""
    shares = rng.dirichlet(np.full(n_wijken, 2.0))
    counts = 1 + rng.multinomial(n_buurten - n_wijken, shares)
    if counts.max() > MAX_CODE_INDEX + 1:  # cannot happen with the real counts; guard the codes
        raise ValueError(f"{counts.max()} buurten in one wijk do not fit two-digit buurt codes")
    return counts


def _buurt_inhabitants(total: int, n_buurten: int, rng: np.random.Generator) -> np.ndarray:
    """Skewed buurt sizes adding up to the gemeente's inhabitants exactly."""
    tiny = rng.random(n_buurten) < TINY_BUURT_SHARE
    if tiny.all():
        tiny[0] = False
    sizes = np.zeros(n_buurten, dtype=np.int64)
    sizes[tiny] = rng.integers(0, TINY_BUURT_MAX + 1, tiny.sum())
    weights = rng.lognormal(0.0, BUURT_SIZE_SIGMA, (~tiny).sum())
    sizes[~tiny] = rng.multinomial(total - sizes[tiny].sum(), weights / weights.sum())
    return sizes


def build_layout(edition: int, rng: np.random.Generator) -> Layout:
    gemeenten = read_gemeenten(edition)
    wijk_rows, buurt_rows = [], []
    for gm in gemeenten.itertuples(index=False):
        digits = gm.gemeente_code[2:]
        per_wijk = _buurten_per_wijk(gm.n_wijken, gm.n_buurten, rng)
        inhabitants = iter(_buurt_inhabitants(gm.inhabitants, gm.n_buurten, rng))
        for w, n_buurten in enumerate(per_wijk):
            wijk_code = f"WK{digits}{w:02d}"
            wijk_rows.append((wijk_code, gm.gemeente_code))
            for b in range(n_buurten):
                buurt_rows.append((f"BU{digits}{w:02d}{b:02d}", wijk_code, gm.gemeente_code, next(inhabitants)))
    wijken = pd.DataFrame(wijk_rows, columns=["wijk_code", "gemeente_code"])
    buurten = pd.DataFrame(buurt_rows, columns=["buurt_code", "wijk_code", "gemeente_code", "inhabitants"])
    return Layout(edition=edition, gemeenten=gemeenten, wijken=wijken, buurten=buurten)
