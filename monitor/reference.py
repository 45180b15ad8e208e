"""Reference data the pipeline and the checks share: the dbt seeds are the single copy."""

from __future__ import annotations

from functools import cache

import pandas as pd
import yaml

from monitor.settings import DBT_PROJECT_DIR, REPO_ROOT

SEEDS = DBT_PROJECT_DIR / "seeds"
KWB_SPEC_PATH = REPO_ROOT / "monitor" / "cbs" / "kwb_variables.yaml"


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
def kwb_spec() -> dict:
    return yaml.safe_load(KWB_SPEC_PATH.read_text(encoding="utf-8"))


def kwb_variables(required_for: str | None = None) -> list[str]:
    """Base names of the CBS variables the project uses (optionally: those a stage needs)."""
    return [
        v["name"]
        for v in kwb_spec()["variables"]
        if required_for is None or required_for in v["required_for"]
    ]
