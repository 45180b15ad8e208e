"""`monitor docs` writes the dbt docs as one static HTML file under the warehouse, with the model
and column descriptions of the YAML beside the models."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.pipeline
MONITOR = str(Path(sys.executable).with_name("monitor"))


def test_dbt_docs_carry_the_yaml_descriptions(built_demo, built_demo_docs):
    result = built_demo_docs  # `monitor docs` on the demo warehouse
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    page = built_demo.warehouse / "dbt_docs" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert str(page) in result.stdout
    # a model description and a column description from models/marts/_marts.yml
    assert "Direct estimates per edition, area level" in html
    assert "provincie, regio (COROP), grootteklasse, regio_grootteklasse (size class within a regio) or gemeente." in html
    assert "stg_survey__item_answers" in html and "monitor_trend" in html


def test_dbt_docs_without_a_warehouse_say_what_to_do(tmp_path):
    env = {**os.environ, "MONITOR_LANDING": str(tmp_path / "landing"), "MONITOR_WAREHOUSE": str(tmp_path / "wh")}
    env.pop("MONITOR_DUCKDB_PATH", None)
    result = subprocess.run([MONITOR, "docs"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "run `monitor refresh` first" in result.stderr
