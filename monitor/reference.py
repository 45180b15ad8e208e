"""Reference data the pipeline and the checks share: the dbt seeds are the single copy."""

from __future__ import annotations

from functools import cache

import pandas as pd

from monitor.codebook import Codebook
from monitor.codebook.tables import profile_category_table
from monitor.settings import DBT_PROJECT_DIR

SEEDS = DBT_PROJECT_DIR / "seeds"


@cache
def _brabant_gemeenten() -> pd.DataFrame:
    return pd.read_csv(SEEDS / "brabant_gemeenten.csv", dtype={"gemeente_code": str})


def brabant_gemeenten(edition: int) -> pd.DataFrame:
    """The gemeenten of Noord-Brabant that exist in `edition` (seed brabant_gemeenten)."""
    seed = _brabant_gemeenten()
    first = seed["first_edition"].fillna(0)
    last = seed["last_edition"].fillna(9999)
    return seed[(first <= edition) & (edition <= last)].reset_index(drop=True)


@cache
def size_classes() -> pd.DataFrame:
    """The municipality size classes in reporting order (seed size_classes)."""
    return pd.read_csv(SEEDS / "size_classes.csv").sort_values("sort_order").reset_index(drop=True)


def profile_categories(codebook: Codebook, edition: int | None = None) -> dict[str, list[str]]:
    """Every category monitor_profiles must have per characteristic in `edition`
    (methodology section 9): the codebook's codes with the unknown category and its age
    bands, every size class of the seed, the COROP regions of the edition's gemeenten (of
    every edition when None). The same sources as dbt's int_profile_categories, read
    independently for the checks."""
    categories = profile_category_table(codebook).groupby("characteristic", sort=False)["category"].apply(list).to_dict()
    for name, spec in codebook.profiles["characteristics"].items():
        if spec["from"] == "size_class":
            categories[name] = list(size_classes()["size_class"])
        elif spec["from"] == "regio":
            gemeenten = _brabant_gemeenten() if edition is None else brabant_gemeenten(edition)
            categories[name] = sorted(gemeenten["corop_code"].unique())
    return {name: categories[name] for name in codebook.profiles["characteristics"]}
