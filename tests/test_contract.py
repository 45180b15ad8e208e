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
    assert (PUBLISHED_SCHEMA, AUDIT) == ("monitor", "audit") and {"monitor", "audit"} <= set(rules["layers"])


def _audit_models() -> dict[str, dict]:
    """The dbt models built into schema audit (the candidates of the published tables), by name."""
    models = {}
    for folder in ("audit",):
        for path in (DBT_PROJECT_DIR / "models" / folder).rglob("*.yml"):
            models |= {m["name"]: m for m in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]}
    return models


def test_the_published_tables_are_the_audited_models_with_their_figures():
    models = _audit_models()
    assert set(contract.PUBLISHED_TABLES) == set(models), "monitor/contract.yaml `published` and dbt's audit models differ"
    for table in contract.PUBLISHED_TABLES.values():
        model = models[table.name]
        columns = {c["name"] for c in model["columns"]}
        if list((DBT_PROJECT_DIR / "models").rglob(f"{table.name}.sql")):
            assert model["config"]["contract"]["enforced"], f"{table.name} is public: its dbt contract is enforced"
        else:  # dbt enforces no contract on a Python model: its YAML still types every column
            assert all(c.get("data_type") for c in model["columns"]), f"{table.name}: a data_type for every column"
        assert ("edition" in columns) == table.per_edition, f"{table.name}: `per` in the contract and its edition column"
        if table.disclosure:
            d = table.disclosure
            named = {d.n_column, *d.figure_columns, *(["suppressed"] if d.has_suppressed_flag else [])}
            for group in d.withheld:
                named |= {*group.n_columns, *group.figure_columns, group.flag}
            assert named <= columns, f"{table.name}: the contract names columns its model lacks: {named - columns}"


def test_the_publish_step_and_the_checks_publish_the_contracts_tables():
    from data_quality.suites.published_marts import DISCLOSED_TABLES
    from orchestration.assets.publish import EDITION_TABLES, WHOLE_TABLES

    assert {*EDITION_TABLES, *WHOLE_TABLES} == set(contract.PUBLISHED_TABLES)
    assert {t.name for t in DISCLOSED_TABLES} == {n for n, t in contract.PUBLISHED_TABLES.items() if t.disclosure}
