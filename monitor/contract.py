"""The rules of the monitor that more than one layer applies, from monitor/contract.yaml: the
disclosure thresholds, the weighting's pooling and trimming bounds, the n that a regression per
regio needs, the province, the layers (schema and group names), the published tables and their figures. dbt reads the same file's values as vars
(`dbt_vars()`, passed by every dbt invocation of the pipeline), so a rule lives in one place.

    python -m monitor.contract    # the vars as JSON, for a dbt command run by hand: --vars "$(...)"
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
LAYERS: dict[str, str] = dict(_C["layers"])  # name -> what it holds; the name is schema, group and folder
FILES_ONLY_LAYERS = ("share",)  # layers that write files, no schema


def layer(name: str) -> str:
    """The name of a layer of the contract (its schema and its Dagster group), refused when the
    contract has no such layer: a typo is an error here, not a new schema."""
    if name not in LAYERS:
        raise KeyError(f"{CONTRACT_PATH}: no layer {name!r}; the layers are {', '.join(LAYERS)}")
    return name


SCHEMAS: tuple[str, ...] = tuple(name for name in LAYERS if name not in FILES_ONLY_LAYERS)


@dataclass(frozen=True)
class WithheldFigures:
    """Figures of a published table that rest on other respondents than its n_column (e.g. the
    composition of monitor_profiles: the category among the resilient and among the less
    resilient), withheld on their own flag."""

    n_columns: tuple[str, ...]  # each counts respondents these figures rest on
    figure_columns: tuple[str, ...]
    flag: str  # boolean column, true when the figures are withheld


@dataclass(frozen=True)
class Disclosure:
    """What disclosure control checks in a published table (methodology section 6)."""

    n_column: str  # respondents the figures rest on
    figure_columns: tuple[str, ...]  # published figures that must be NULL on too few respondents
    has_suppressed_flag: bool = True
    withheld: tuple[WithheldFigures, ...] = ()


@dataclass(frozen=True)
class PublishedTable:
    name: str  # monitor.<name>
    about: str
    per_edition: bool  # one set of rows per edition (False: compares editions, no edition column)
    disclosure: Disclosure | None  # None: no figure rests on respondents counted in the table


def _published_table(name: str, entry: dict) -> PublishedTable:
    rule = entry.get("disclosure")
    disclosure = rule and Disclosure(
        rule["n_column"],
        tuple(rule["figures"]),
        bool(rule.get("suppressed_flag", True)),
        tuple(WithheldFigures(tuple(w["n_columns"]), tuple(w["figures"]), w["flag"]) for w in rule.get("withheld", [])),
    )
    per = entry.get("per", "edition")
    if per not in ("edition", "editions"):
        raise ValueError(f"{CONTRACT_PATH}: published.{name}.per is {per!r}; expected edition or editions")
    return PublishedTable(name, entry["about"], per == "edition", disclosure)


PUBLISHED_TABLES: dict[str, PublishedTable] = {
    name: _published_table(name, entry) for name, entry in _C["published"].items()
}


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
