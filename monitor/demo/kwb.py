"""Simulated CBS key figures (Kerncijfers wijken en buurten) for the demo layout.

Every buurt (an area that persists across editions) gets two hidden traits, `urbanity` (0 rural .. 1 city centre, mostly set by the
size of its gemeente) and `deprivation` (standard-normal-ish, higher in urban buurten), and
every variable of kwb_variables.yaml is drawn from them, so the covariates hang together the
way they do in Brabant: city buurten are denser, have more single-person households, more
non-western migration background, lower incomes, more low-income households and bijstand.
Wijk and gemeente rows aggregate their buurten the way CBS does (counts summed, the rest
inhabitant-weighted); then CBS secrecy blanks out figures of areas with few inhabitants.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from monitor.cbs.statline import SOORT_REGIO, kwb_spec
from monitor.demo.layout import BASE_EDITION, Layout, build_base_layout

AGE_BANDS = ("k_0Tot15Jaar", "k_15Tot25Jaar", "k_25Tot45Jaar", "k_45Tot65Jaar", "k_65JaarOfOuder")
# Published for every area, however small (CBS rounds them, we need them exact for weighting).
ALWAYS_PUBLISHED = {"AantalInwoners", "Mannen", "Vrouwen", *AGE_BANDS}
INCOME_VARIABLES = {
    "GemiddeldInkomenPerInwoner",
    "k_40PersonenMetLaagsteInkomen",
    "HuishoudensMetEenLaagInkomen",
    "PersonenPerSoortUitkeringBijstand",
}
SECRET_BELOW = 50  # inhabitants: most figures are secret
INCOME_SECRET_BELOW = 200  # inhabitants: income and benefit figures are secret
ONE_DECIMAL = {
    "GemiddeldeHuishoudensgrootte",
    "GemiddeldInkomenPerInwoner",
    "k_40PersonenMetLaagsteInkomen",
    "HuishoudensMetEenLaagInkomen",
}
TRAITS_STREAM, FIGURES_STREAM = 1, 2  # persistent random streams (seed, stream) of the base areas
INCOME_GROWTH = 0.015  # per year: incomes rise a little every edition
HOUSE_PRICE_GROWTH = 0.04  # per year
# CBS classes urbanity by the address density around an address (addresses per km2).
STEDELIJKHEID_BOUNDS = (2500, 1500, 1000, 500)  # >= 2500: 1 zeer sterk .. < 500: 5 niet


def kwb_variable_kinds() -> dict[str, str]:
    """Variable base name -> kind (count, percentage, average, code), in file order."""
    return {v["name"]: v["kind"] for v in kwb_spec()["variables"]}


@cache
def area_traits(seed: int) -> pd.DataFrame:
    """Hidden urbanity and deprivation per area of the base layout (not published; they drive
    everything). Persistent: the same for every edition of a seed."""
    base = build_base_layout(seed)
    rng = np.random.default_rng(np.random.SeedSequence([seed, TRAITS_STREAM]))
    gemeente_inhabitants = base.buurten.gemeente_code.map(
        base.gemeenten.set_index("gemeente_code")["inhabitants"]).to_numpy()
    # 6,600 inhabitants -> ~0 (village), 227,000 -> ~0.9 (Eindhoven)
    gemeente_urbanity = np.clip((np.log10(gemeente_inhabitants) - 3.8) / 1.7, 0, 1)
    urbanity = np.clip(gemeente_urbanity + rng.normal(0, 0.2, len(base.buurten)), 0, 1)
    # tiny buurten are industrial estates and rural outskirts
    urbanity = np.where(base.buurten.inhabitants.to_numpy() < SECRET_BELOW, urbanity * 0.4, urbanity)
    deprivation = 1.4 * (urbanity - 0.4) + rng.normal(0, 0.8, len(base.buurten))
    return pd.DataFrame({"urbanity": urbanity, "deprivation": deprivation})


def buurt_traits(layout: Layout, seed: int) -> pd.DataFrame:
    """The edition's buurten (codes, inhabitants) with their persistent hidden traits."""
    return layout.buurten[["buurt_code", "wijk_code", "gemeente_code", "inhabitants"]].assign(
        **area_traits(seed)
    )


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _age_bands(n: np.ndarray, u: np.ndarray, persistent, rng) -> dict[str, np.ndarray]:
    """Counts per CBS age band adding up to the inhabitants: cities have more people of
    15-45, villages more children and elderly; Dirichlet noise (persistent) makes some buurten grey."""
    mean = np.column_stack([0.17 - 0.04 * u, 0.11 + 0.06 * u, 0.23 + 0.08 * u, 0.29 - 0.05 * u])
    mean = np.column_stack([mean, 1 - mean.sum(axis=1)])
    gamma = persistent.gamma(60 * mean)
    shares = gamma / gamma.sum(axis=1, keepdims=True)
    counts = rng.multinomial(n, shares)
    return dict(zip(AGE_BANDS, counts.T))


def simulate_buurt_figures(traits: pd.DataFrame, rng: np.random.Generator, *, seed: int = 0,
                           edition: int = BASE_EDITION) -> pd.DataFrame:
    """True (unrounded, unsuppressed) figures of every variable for every buurt. The
    continuous parts (shares, incomes, densities) come from a persistent stream of `seed`, so
    an area keeps its character from edition to edition; counts are drawn from `rng` (the
    edition's); incomes and house values rise a little per year after BASE_EDITION."""
    persistent = np.random.default_rng(np.random.SeedSequence([seed, FIGURES_STREAM]))
    n = traits.inhabitants.to_numpy()
    u = traits.urbanity.to_numpy()
    d = traits.deprivation.to_numpy()
    years = edition - BASE_EDITION

    def noise(sd=1.0):
        return persistent.normal(0, sd, len(n))

    figures = {"AantalInwoners": n}
    figures["Mannen"] = rng.binomial(n, 0.495)
    figures["Vrouwen"] = n - figures["Mannen"]
    figures.update(_age_bands(n, u, persistent, rng))
    figures["WestersTotaal"] = rng.binomial(n, np.clip(0.06 + 0.05 * u + noise(0.015), 0.01, 0.3))
    figures["NietWestersTotaal"] = rng.binomial(n, _sigmoid(-3.0 + 2.0 * u + 0.6 * d + noise(0.3)))
    household_size = np.clip(2.65 - 0.9 * u - 0.1 * d + noise(0.1), 1.3, 3.3)
    households = np.round(n / household_size).astype(np.int64)
    figures["HuishoudensTotaal"] = households
    single_share = np.clip(0.12 + 0.45 * u + 0.05 * d + noise(0.05), 0.05, 0.85)
    figures["Eenpersoonshuishoudens"] = np.round(households * single_share).astype(np.int64)
    figures["GemiddeldeHuishoudensgrootte"] = np.where(households > 0, n / np.maximum(households, 1), np.nan)
    address_density = np.exp(np.log(150) + 3.6 * u + noise(0.3))
    figures["Bevolkingsdichtheid"] = address_density * np.exp(0.3 + noise(0.3))
    figures["GemiddeldeWoningwaarde"] = np.clip(260 - 45 * d + 20 * (1 - u) + noise(25), 90, 900) * (
        1 + HOUSE_PRICE_GROWTH) ** years
    figures["Koopwoningen"] = np.clip(75 - 18 * d - 20 * u + noise(8), 3, 99)
    figures["GemiddeldInkomenPerInwoner"] = np.clip(29 - 4.5 * d + noise(1.3), 14, 60) * (1 + INCOME_GROWTH) ** years
    figures["k_40PersonenMetLaagsteInkomen"] = np.clip(38 + 9 * d + noise(3), 10, 80)
    figures["HuishoudensMetEenLaagInkomen"] = np.clip(7 * np.exp(0.45 * d + noise(0.15)), 1, 40)
    figures["PersonenPerSoortUitkeringBijstand"] = rng.binomial(
        n, np.clip(0.013 * np.exp(0.75 * d + noise(0.2)), 0, 0.2)
    )
    figures["Omgevingsadressendichtheid"] = address_density
    figures["MateVanStedelijkheid"] = stedelijkheid(address_density)

    kinds = kwb_variable_kinds()
    unknown = [name for name in kinds if name not in figures]
    if unknown:
        raise NotImplementedError(
            f"kwb_variables.yaml lists {unknown}, which the demo generator does not simulate yet; "
            "add a line for each to monitor/demo/kwb.py:simulate_buurt_figures"
        )
    frame = pd.DataFrame({name: figures[name] for name in kinds})
    return pd.concat([traits[["buurt_code", "wijk_code", "gemeente_code"]].reset_index(drop=True), frame], axis=1)


def stedelijkheid(address_density) -> np.ndarray:
    """CBS urbanity class 1 (zeer sterk stedelijk) .. 5 (niet stedelijk)."""
    density = np.asarray(address_density, dtype=float)
    return 1 + sum((density < bound).astype(np.int64) for bound in STEDELIJKHEID_BOUNDS)


def aggregate(buurt_figures: pd.DataFrame, by: str) -> pd.DataFrame:
    """Wijk or gemeente figures from their buurten: counts summed, the other kinds
    inhabitant-weighted over the buurten where the figure is known."""
    kinds = kwb_variable_kinds()
    weights = buurt_figures["AantalInwoners"].astype(float)
    columns = {}
    for name, kind in kinds.items():
        values = buurt_figures[name].astype(float)
        if kind == "count":
            columns[name] = values.groupby(buurt_figures[by]).sum()
        else:
            known = values.notna() & (weights > 0)
            num = (values * weights).where(known, 0.0).groupby(buurt_figures[by]).sum()
            den = weights.where(known, 0.0).groupby(buurt_figures[by]).sum()
            columns[name] = num / den.replace(0.0, np.nan)
    frame = pd.DataFrame(columns)
    if "MateVanStedelijkheid" in frame:  # a code: the class of the area's own density
        frame["MateVanStedelijkheid"] = stedelijkheid(frame["Omgevingsadressendichtheid"])
    return frame.rename_axis("code").reset_index()


def publishable(figures: pd.DataFrame) -> pd.DataFrame:
    """Round like CBS (one decimal or whole numbers) and blank out secret figures."""
    inhabitants = figures["AantalInwoners"]
    out = figures.copy()
    for name in kwb_variable_kinds():
        values = figures[name].astype(float)
        if name not in ALWAYS_PUBLISHED:
            limit = INCOME_SECRET_BELOW if name in INCOME_VARIABLES else SECRET_BELOW
            values = values.where(inhabitants >= limit)
        if name in ONE_DECIMAL:
            out[name] = values.round(1)
        else:
            out[name] = values.round(0).astype("Int64")
    return out


def statline_frame(layout: Layout, buurt_figures: pd.DataFrame) -> pd.DataFrame:
    """Gemeente, wijk and buurt rows in CBS order (each gemeente, then each wijk followed by
    its buurten), with the identification columns write_statline_csv expects."""
    levels = [
        publishable(aggregate(buurt_figures, "gemeente_code")).assign(gemeente_code=lambda f: f.code, wijk_code=""),
        publishable(aggregate(buurt_figures, "wijk_code")).assign(gemeente_code=lambda f: "GM" + f.code.str[2:6],
                                                                  wijk_code=lambda f: f.code),
        publishable(buurt_figures.rename(columns={"buurt_code": "code"})),
    ]
    rows = pd.concat(levels, ignore_index=True)
    rows["wijk_code"] = rows["wijk_code"].fillna("")
    rows["sort_buurt"] = np.where(rows.code.str.startswith("BU"), rows.code, "")
    rows = rows.sort_values(["gemeente_code", "wijk_code", "sort_buurt"], ignore_index=True)
    names = layout.gemeenten.set_index("gemeente_code")["gemeente_name"]
    identification = pd.DataFrame(
        {
            "ID": np.arange(1, len(rows) + 1),
            "WijkenEnBuurten": rows.code,
            "Gemeentenaam": rows.gemeente_code.map(names),
            "SoortRegio": rows.code.str[:2].map(SOORT_REGIO),
            "Codering": rows.code,
            "IndelingswijzigingWijkenEnBuurten": np.where(rows.code.str.startswith("GM"), None, "1"),
        }
    )
    return pd.concat([identification, rows[list(kwb_variable_kinds())]], axis=1)
