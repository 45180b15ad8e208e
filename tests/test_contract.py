"""One contract (monitor/contract.yaml) for the rules more than one layer applies: dbt reads them
as vars that the pipeline passes, Python imports them; no second copy in dbt_project.yml or the
SQL."""

from __future__ import annotations

import json
import re

import yaml

from monitor import contract
from monitor.settings import DBT_PROJECT_DIR


def test_dbt_project_holds_no_copy_of_the_rules():
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert "vars" not in project, "the rules are monitor/contract.yaml's; dbt gets them with --vars"


def test_every_var_the_sql_reads_comes_from_the_contract_or_is_the_edition():
    used = set()
    for path in [*DBT_PROJECT_DIR.glob("models/**/*.sql"), *DBT_PROJECT_DIR.glob("macros/**/*.sql"),
                 *DBT_PROJECT_DIR.glob("tests/**/*.sql"), DBT_PROJECT_DIR / "dbt_project.yml"]:  # fmt: skip
        used |= set(re.findall(r"""var\(\s*['"](\w+)['"]""", path.read_text(encoding="utf-8")))
    passed = set(json.loads(contract.dbt_vars(2018)))
    assert used <= passed, used - passed
    assert {"min_respondents_per_cell", "min_inhabitants_per_area", "provincie_code", "edition"} <= used


def test_the_python_layers_read_the_same_rules():
    from data_quality.suites.published_marts import MIN_RESPONDENTS
    from monitor.presentation.labels import MIN_RESPONDENTS_TEXT, SUPPRESSED_EXPLANATION
    from monitor.settings import PUBLISHED_SCHEMA
    from monitor.statistics.importance import MIN_RESPONDENTS_PER_RESOURCE
    from monitor.statistics.weighting import MAX_WEIGHT_RATIO
    from monitor.statistics.weighting import MIN_RESPONDENTS as POOL_BELOW
    from orchestration.warehouse import AUDIT

    rules = contract.contract()
    assert MIN_RESPONDENTS == rules["disclosure"]["min_respondents_per_cell"]
    assert f"minder dan {MIN_RESPONDENTS} respondenten" in MIN_RESPONDENTS_TEXT
    assert f"minder dan {rules['disclosure']['min_inhabitants_per_area']} inwoners" in SUPPRESSED_EXPLANATION
    assert (MAX_WEIGHT_RATIO, POOL_BELOW) == (rules["weighting"]["max_weight_ratio"], rules["weighting"]["min_respondents_per_gemeente"])
    assert MIN_RESPONDENTS_PER_RESOURCE == rules["importance"]["min_respondents_per_resource"]
    assert (PUBLISHED_SCHEMA, AUDIT) == (rules["schemas"]["publish"], rules["schemas"]["audit"])
