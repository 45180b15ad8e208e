"""The rules of the monitor that more than one layer applies, from monitor/contract.yaml: the
disclosure thresholds, the weighting's pooling and trimming bounds, the n that a regression per
regio needs, the province, the schema names. dbt reads the same file's values as vars
(`dbt_vars()`, passed by every dbt invocation of the pipeline), so a rule lives in one place.

    python -m monitor.contract    # the vars as JSON, for a dbt command run by hand: --vars "$(...)"
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import yaml

CONTRACT_PATH = Path(__file__).with_name("contract.yaml")


@cache
def contract() -> dict:
    return yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))


_C = contract()
PROVINCE_CODE: str = _C["province"]["code"]
PROVINCE_NAME: str = _C["province"]["name"]
MIN_RESPONDENTS_PER_CELL: int = int(_C["disclosure"]["min_respondents_per_cell"])
MIN_INHABITANTS_PER_AREA: int = int(_C["disclosure"]["min_inhabitants_per_area"])
MIN_RESPONDENTS_PER_GEMEENTE: int = int(_C["weighting"]["min_respondents_per_gemeente"])
MAX_WEIGHT_RATIO: float = float(_C["weighting"]["max_weight_ratio"])
MIN_RESPONDENTS_PER_RESOURCE: int = int(_C["importance"]["min_respondents_per_resource"])
MIN_COVARIATE_COVERAGE: float = float(_C["small_area"]["min_covariate_coverage"])
SCHEMAS: dict[str, str] = dict(_C["schemas"])


def dbt_vars(edition: int | None = None) -> str:
    """--vars of every dbt invocation (JSON): the rules dbt's models read with var(), under the
    names of the SQL, and the edition being refreshed (dbt_project/macros/editions.sql)."""
    rules = {
        "provincie_code": PROVINCE_CODE,
        "provincie_name": PROVINCE_NAME,
        "min_respondents_per_cell": MIN_RESPONDENTS_PER_CELL,
        "min_inhabitants_per_area": MIN_INHABITANTS_PER_AREA,
        "min_covariate_coverage": MIN_COVARIATE_COVERAGE,
    }
    return json.dumps({**rules, **({"edition": int(edition)} if edition is not None else {})})


if __name__ == "__main__":
    print(dbt_vars())
