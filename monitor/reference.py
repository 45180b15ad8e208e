"""Reference data the pipeline and the checks share: the dbt seeds are the single copy."""

from __future__ import annotations

from functools import cache

import pandas as pd

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
