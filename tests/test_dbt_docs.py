"""`monitor docs` writes the dbt docs as one static HTML file under the warehouse, with the model
and column descriptions of the YAML beside the models.

What auditors read there is checked on the manifest and the catalog that `dbt docs generate
--static` inlines into that page (the manifest: the project as dbt parsed it, descriptions and
declared types included; the catalog: the columns and types of the built warehouse): every column
of every model is documented with its real type, the public SQL models (models/audit,
models/audit/trend) have enforced contracts, the project's overview is the front page and no description shows
unrendered Jinja."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.pipeline
MONITOR = str(Path(sys.executable).with_name("monitor"))
PUBLIC_FOLDERS = ("models/audit/",)
RAW_JINJA = ("var(", "{{", "{%")


def _inlined(html: str, artifact: str) -> dict:
    """The manifest or catalog JSON that `dbt docs generate --static` writes into the page."""
    start = html.index('{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/' + artifact + "/")
    return json.JSONDecoder().raw_decode(html, start)[0]


@pytest.fixture(scope="module")
def docs_artifacts(built_demo, built_demo_docs) -> tuple[str, dict, dict]:
    """(page, manifest, catalog) of the docs `monitor docs` wrote for the demo warehouse."""
    assert built_demo_docs.returncode == 0, built_demo_docs.stdout[-2000:] + built_demo_docs.stderr[-2000:]
    html = (built_demo.warehouse / "dbt_docs" / "index.html").read_text(encoding="utf-8")
    return html, _inlined(html, "manifest"), _inlined(html, "catalog")


def _models(manifest: dict) -> dict:
    return {key: node for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}


def test_dbt_docs_carry_the_yaml_descriptions(built_demo, built_demo_docs):
    result = built_demo_docs  # `monitor docs` on the demo warehouse
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    page = built_demo.warehouse / "dbt_docs" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert str(page) in result.stdout
    # a model description and a column description from models/audit/_audit.yml
    assert "Direct estimates per edition, area level" in html
    assert "provincie, regio (COROP), grootteklasse, regio_grootteklasse (size class within a regio) or gemeente." in html
    assert "stg_survey__item_answers" in html and "monitor_trend" in html


def test_dbt_docs_without_a_warehouse_say_what_to_do(tmp_path):
    env = {**os.environ, "MONITOR_LANDING": str(tmp_path / "landing"), "MONITOR_WAREHOUSE": str(tmp_path / "wh")}
    env.pop("MONITOR_DUCKDB_PATH", None)
    result = subprocess.run([MONITOR, "docs"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "run `monitor refresh` first" in result.stderr


def test_every_model_column_has_its_type_and_a_description(docs_artifacts):
    """Every column a model has in the built warehouse (catalog) is in its YAML (manifest) with a
    description and the type DuckDB reports, in the order of the table; the YAML lists no column
    the table lacks. The seeds' columns likewise."""
    _, manifest, catalog = docs_artifacts
    seeds = {key: node for key, node in manifest["nodes"].items() if node["resource_type"] == "seed"}
    assert len(_models(manifest)) >= 26 and len(seeds) >= 5
    problems, columns = [], 0
    for key, node in {**_models(manifest), **seeds}.items():
        assert key in catalog["nodes"], f"{key} is not in the warehouse the docs were generated from"
        built = sorted(catalog["nodes"][key]["columns"].values(), key=lambda column: column["index"])
        declared = node["columns"]
        for column in built:
            yaml = declared.get(column["name"]) or declared.get(column["name"].lower())
            if yaml is None:
                problems.append(f"{node['name']}.{column['name']}: not in the YAML")
                continue
            if not (yaml.get("description") or "").strip():
                problems.append(f"{node['name']}.{column['name']}: no description")
            if (yaml.get("data_type") or "").lower() != column["type"].lower():
                problems.append(f"{node['name']}.{column['name']}: data_type {yaml.get('data_type')!r}, the table has {column['type'].lower()!r}")
        if [c["name"].lower() for c in built] != [name.lower() for name in declared]:
            problems.append(f"{node['name']}: YAML columns {list(declared)} differ from the table's {[c['name'] for c in built]}")
        columns += len(built) if node["resource_type"] == "model" else 0
    assert not problems, "\n".join(problems)
    assert columns >= 280


def test_every_public_model_has_an_enforced_contract(docs_artifacts):
    """The models published into schema `monitor` (models/audit, models/audit/trend) enforce their
    contract: dbt checks every column's name and type at each build."""
    _, manifest, _ = docs_artifacts
    public = {node["name"]: node for node in _models(manifest).values() if node["original_file_path"].startswith(PUBLIC_FOLDERS)}
    assert {"monitor_area_estimates", "monitor_typology", "monitor_profiles", "monitor_resources_by_resilience",
            "monitor_scale_reliability", "monitor_area_boundaries", "monitor_resource_steerability", "monitor_trend"} <= set(public)
    # dbt enforces contracts on SQL models only; the Python models (the statistics) are held to
    # their YAML types by test_every_column_is_documented_with_its_real_type
    unenforced = [name for name, node in public.items()
                  if node["language"] == "sql" and not node["config"]["contract"]["enforced"]]  # fmt: skip
    assert not unenforced, f"public models without an enforced contract: {unenforced}"
    assert {name for name, node in public.items() if node["language"] == "python"} == {
        "monitor_resource_importance", "monitor_resource_importance_regio", "monitor_small_area_estimates",
        "monitor_small_area_validation",
    }
    for name, node in public.items():
        assert node["columns"] and all(column.get("data_type") for column in node["columns"].values()), name


def test_the_overview_is_the_front_page(docs_artifacts):
    """The project's own `__overview__` docs block replaces dbt's generic "Welcome!" page."""
    html, manifest, _ = docs_artifacts
    project = next(iter(_models(manifest).values()))["package_name"]
    overview = manifest["docs"].get(f"doc.{project}.__overview__")
    assert overview is not None, "no {% docs __overview__ %} block in the project"
    # dbt docs shows the __overview__ of any package but dbt's own: there must be just this one
    assert [doc for doc in manifest["docs"].values() if doc["name"] == "__overview__" and doc["package_name"] != "dbt"] == [overview]
    text = overview["block_contents"]
    for part in ("Monitor Sociale Veerkracht", "## Layers", "published", "## Where the Python statistics sit",
                 "## Editions", "## Disclosure control", "## Where to find things"):
        assert part in text, part
    assert "Welcome!" not in text
    assert json.dumps(text)[1:-1] in html  # inlined into the page readers open


def test_no_description_shows_raw_jinja(docs_artifacts):
    """Descriptions are shown as written: a `var('...')` or `{{ ... }}` left in one would reach
    the reader as code, so a value is written in words (e.g. "10 respondents (var
    min_respondents_per_cell)")."""
    _, manifest, _ = docs_artifacts
    texts = []
    for group in ("nodes", "sources", "macros", "exposures"):
        for key, item in manifest.get(group, {}).items():
            texts.append((key, item.get("description") or ""))
            texts += [(f"{key}.{name}", column.get("description") or "") for name, column in item.get("columns", {}).items()]
    texts += [(key, doc["block_contents"]) for key, doc in manifest["docs"].items() if not key.startswith("doc.dbt.")]
    shown = [f"{key}: {text[:120]!r}" for key, text in texts if any(code in text for code in RAW_JINJA)]
    assert not shown, "descriptions with unrendered Jinja:\n" + "\n".join(shown)
