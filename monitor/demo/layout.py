"""The area layouts of the demo editions: real gemeenten, synthetic wijken and buurten that
persist from edition to edition.

One *base* layout is built per seed from the bundled 2017/2018 layout (`brabant_layout_2017.csv`:
real gemeente codes, names, inhabitants and numbers of wijken and buurten; wijk and buurt codes
follow the CBS pattern, their sizes are simulated). Every buurt of it is one simulated area
(`area`, its row number) that exists in every edition; an edition's layout gives each area the
codes of that edition, applying the real municipal changes of `dbt_project/seeds/gemeente_changes.csv`:

- 2016: Meierijstad (GM1948, formed 2017) is still Schijndel (GM0844), Sint-Oedenrode (GM0846)
  and Veghel (GM0860). The base layout builds Meierijstad's wijken per predecessor (demo sizes
  in PREDECESSORS_OF_BASE), so in 2016 each predecessor has its own wijken and buurten, renumbered
  under its own gemeente digits (WK0844.., BU0844....).
- 2017, 2018: the base layout.
- 2019, 2020: Altena (GM1959, formed 2019) instead of Aalburg (GM0738), Werkendam (GM0870) and
  Woudrichem (GM0874); Altena's wijken are the predecessors' wijken in that order, renumbered
  WK195900.., their buurten keep their number within the wijk (BU1959wwbb).

Areas of an unchanged gemeente keep their codes in every edition. Inhabitants drift slowly:
every buurt has a persistent growth rate (its gemeente's plus its own), the base year 2018 has
the real 2017/2018 totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.reference import SEEDS

DEMO_DIR = Path(__file__).parent
BASE_LAYOUT_FILE = "brabant_layout_2017.csv"
BASE_LAYOUT_YEAR = 2017  # the bundled layout is that of 2017 (and, unchanged, 2018)
BASE_EDITION = 2018  # the edition whose inhabitants are the bundled (real) ones
EDITIONS = (2016, 2017, 2018, 2019, 2020)  # Haaren (split 2021) and the 2022 mergers are not simulated
GEMEENTE_CHANGES_FILE = SEEDS / "gemeente_changes.csv"
# Demo inhabitants of the predecessors of a gemeente formed in the bundled layout (the shares
# split the base gemeente's inhabitants; the predecessors' own wijken and buurten follow them).
PREDECESSORS_OF_BASE = {"GM1948": {"GM0844": 23_500, "GM0846": 18_000, "GM0860": 38_500}}

MAX_CODE_INDEX = 99  # two digits for the wijk within the gemeente, the buurt within the wijk
TINY_BUURT_SHARE = 0.04  # industrial estates, rural outskirts: 0-49 inhabitants
TINY_BUURT_MAX = 49
BUURT_SIZE_SIGMA = 0.8  # lognormal spread of buurt sizes: a few large buurten, many small ones
GROWTH_MEAN = 0.004  # per year, province: Brabant grew about 0.4 % a year
GROWTH_GEMEENTE_SD = 0.004  # per year, between gemeenten
GROWTH_BUURT_SD = 0.008  # per year, between buurten of a gemeente


@dataclass(frozen=True)
class BaseLayout:
    """The persistent areas: one row per buurt (`area` = row number), in base code order."""
    gemeenten: pd.DataFrame  # gemeente_code, gemeente_name, inhabitants, n_wijken, n_buurten
    buurten: pd.DataFrame  # buurt_code, wijk_code, gemeente_code, inhabitants, origin_code, growth


@dataclass(frozen=True)
class Layout:
    edition: int
    gemeenten: pd.DataFrame  # gemeente_code, gemeente_name, inhabitants, n_wijken, n_buurten
    wijken: pd.DataFrame  # wijk_code, gemeente_code
    buurten: pd.DataFrame  # buurt_code, wijk_code, gemeente_code, inhabitants, base_gemeente_code (one row per area)


def check_edition(edition: int) -> None:
    if edition not in EDITIONS:
        raise ValueError(
            f"the demo generator has the gemeente layouts of editions {', '.join(map(str, EDITIONS))}, not of {edition}; "
            f"give one of those with --edition (the demo's municipal changes end in {max(EDITIONS)}: {__name__})"
        )


@cache
def gemeente_changes() -> pd.DataFrame:
    """The municipal changes of Noord-Brabant (the dbt seed gemeente_changes, shared with the
    pipeline): from_code, from_name, to_code, to_name, change_year, kind (merger | split)."""
    return pd.read_csv(GEMEENTE_CHANGES_FILE, dtype={"from_code": str, "to_code": str})


def _mergers(first_year: int, last_year: int) -> pd.DataFrame:
    changes = gemeente_changes()
    return changes[(changes.kind == "merger") & changes.change_year.between(first_year, last_year)]


def _base_gemeenten() -> pd.DataFrame:
    frame = pd.read_csv(DEMO_DIR / BASE_LAYOUT_FILE, dtype={"gemeente_code": str, "gemeente_name": str})
    too_many = frame[(frame.n_wijken > MAX_CODE_INDEX + 1) | (frame.n_buurten < frame.n_wijken)]
    if len(too_many):
        raise ValueError(f"{BASE_LAYOUT_FILE}: impossible wijk/buurt counts for {list(too_many.gemeente_code)}")
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


def _largest_remainder(total: int, shares: np.ndarray, minimum: int) -> np.ndarray:
    counts = np.full(len(shares), minimum, dtype=np.int64)
    rest = total - counts.sum()
    if rest < 0:
        raise ValueError(f"cannot give {len(shares)} parts at least {minimum} of {total}")
    exact = rest * shares / shares.sum()
    counts += np.floor(exact).astype(np.int64)
    remainder = exact - np.floor(exact)
    counts[np.argsort(-remainder, kind="stable")[: total - counts.sum()]] += 1
    return counts


def _parts(gm) -> list[tuple[str, int, int, int]]:
    """(origin gemeente, inhabitants, wijken, buurten) of the parts of a base gemeente: the
    predecessors of a gemeente formed in the bundled layout, else the gemeente itself."""
    sizes = PREDECESSORS_OF_BASE.get(gm.gemeente_code)
    if sizes is None:
        return [(gm.gemeente_code, gm.inhabitants, gm.n_wijken, gm.n_buurten)]
    shares = np.array(list(sizes.values()), dtype=float)
    inhabitants = _largest_remainder(gm.inhabitants, shares, 0)
    wijken = _largest_remainder(gm.n_wijken, shares, 1)
    buurten = _largest_remainder(gm.n_buurten - gm.n_wijken, shares, 0) + wijken
    return list(zip(sizes, inhabitants, wijken, buurten))


@cache
def build_base_layout(seed: int) -> BaseLayout:
    """The persistent areas of a seed (cached: every edition of a seed starts from it)."""
    layout_rng, growth_rng = map(np.random.default_rng, np.random.SeedSequence([seed, 0]).spawn(2))
    gemeenten = _base_gemeenten()
    for code, sizes in PREDECESSORS_OF_BASE.items():
        expected = set(_mergers(BASE_LAYOUT_YEAR, BASE_LAYOUT_YEAR).query("to_code == @code").from_code)
        if expected != set(sizes):
            raise ValueError(f"{GEMEENTE_CHANGES_FILE.name} gives {sorted(expected)} as predecessors of {code}, "
                             f"PREDECESSORS_OF_BASE {sorted(sizes)}")
    rows = []
    for gm in gemeenten.itertuples(index=False):
        digits = gm.gemeente_code[2:]
        w_offset = 0
        for origin, total, n_wijken, n_buurten in _parts(gm):
            per_wijk = _buurten_per_wijk(n_wijken, n_buurten, layout_rng)
            inhabitants = iter(_buurt_inhabitants(total, n_buurten, layout_rng))
            for w, count in enumerate(per_wijk, start=w_offset):
                wijk_code = f"WK{digits}{w:02d}"
                for b in range(count):
                    rows.append((f"BU{digits}{w:02d}{b:02d}", wijk_code, gm.gemeente_code, next(inhabitants), origin))
            w_offset += n_wijken
    buurten = pd.DataFrame(rows, columns=["buurt_code", "wijk_code", "gemeente_code", "inhabitants", "origin_code"])
    gemeente_growth = pd.Series(
        growth_rng.normal(GROWTH_MEAN, GROWTH_GEMEENTE_SD, len(gemeenten)), index=gemeenten.gemeente_code
    )
    buurten["growth"] = buurten.gemeente_code.map(gemeente_growth).to_numpy() + growth_rng.normal(
        0, GROWTH_BUURT_SD, len(buurten)
    )
    return BaseLayout(gemeenten=gemeenten, buurten=buurten)


def _renumber(buurten: pd.DataFrame, members: pd.Series, new_code: str) -> None:
    """Give the areas in `members` (a boolean mask) the codes of gemeente `new_code`: wijken
    numbered 00.. in their current code order, buurten keep their number within the wijk."""
    wijken = sorted(buurten.loc[members, "wijk_code"].unique())
    if len(wijken) > MAX_CODE_INDEX + 1:
        raise ValueError(f"{new_code}: {len(wijken)} wijken do not fit two-digit wijk codes")
    digits = new_code[2:]
    new_wijk = {old: f"WK{digits}{i:02d}" for i, old in enumerate(wijken)}
    old = buurten.loc[members]
    buurten.loc[members, "wijk_code"] = old.wijk_code.map(new_wijk)
    buurten.loc[members, "buurt_code"] = "BU" + digits + old.wijk_code.map(new_wijk).str[6:8] + old.buurt_code.str[8:10]
    buurten.loc[members, "gemeente_code"] = new_code


def build_layout(edition: int, seed: int) -> Layout:
    """The layout of `edition`: the base areas under the edition's codes, with the edition's
    inhabitants. Rows of `buurten` are the areas in base order (row i = area i in every edition)."""
    check_edition(edition)
    base = build_base_layout(seed)
    buurten = base.buurten[["buurt_code", "wijk_code", "gemeente_code"]].copy()
    buurten["base_gemeente_code"] = base.buurten.gemeente_code
    names = dict(zip(base.gemeenten.gemeente_code, base.gemeenten.gemeente_name))
    changes = gemeente_changes()
    names |= dict(zip(changes.from_code, changes.from_name)) | dict(zip(changes.to_code, changes.to_name))

    if edition < BASE_LAYOUT_YEAR:  # undo the mergers since the edition
        for successor in _mergers(edition + 1, BASE_LAYOUT_YEAR).to_code.unique():
            origin = base.buurten.origin_code
            for predecessor in sorted(origin[base.buurten.gemeente_code == successor].unique()):
                _renumber(buurten, (origin == predecessor).to_numpy(), predecessor)
    else:  # apply the mergers since the bundled layout
        for successor, group in _mergers(BASE_LAYOUT_YEAR + 1, edition).groupby("to_code", sort=True):
            _renumber(buurten, buurten.gemeente_code.isin(group.from_code).to_numpy(), successor)

    years = edition - BASE_EDITION
    inhabitants = np.round(base.buurten.inhabitants.to_numpy() * np.exp(base.buurten.growth.to_numpy() * years))
    buurten.insert(3, "inhabitants", inhabitants.astype(np.int64))
    by_gemeente = buurten.groupby("gemeente_code", sort=True)
    gemeenten = pd.DataFrame(
        {
            "inhabitants": by_gemeente.inhabitants.sum(),
            "n_wijken": by_gemeente.wijk_code.nunique(),
            "n_buurten": by_gemeente.size(),
        }
    ).rename_axis("gemeente_code").reset_index()
    gemeenten.insert(1, "gemeente_name", gemeenten.gemeente_code.map(names))
    wijken = buurten[["wijk_code", "gemeente_code"]].drop_duplicates().sort_values("wijk_code", ignore_index=True)
    return Layout(edition=edition, gemeenten=gemeenten, wijken=wijken, buurten=buurten)


def read_gemeenten(edition: int, seed: int = 2018) -> pd.DataFrame:
    """The real gemeenten of the layout of `edition`: gemeente_code, gemeente_name, inhabitants
    (of the demo edition of `seed`; the real 2017 figures for 2017 and 2018), n_wijken, n_buurten."""
    return build_layout(edition, seed).gemeenten
