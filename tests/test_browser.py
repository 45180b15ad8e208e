"""What an auditor and a researcher see, in a real browser (Playwright driving Debian's
chromium, no browser download): the Dagster UI served on 127.0.0.1 over the demo warehouse
shows the lineage from the raw files through staging, the model and the audit candidates to the
published tables, and the result of an asset check; a gemeente factsheet opens from disk with
its key elements. Screenshots go to tests/output/browser/ to be looked at."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from monitor.settings import REPO_ROOT
from tests.conftest import EDITION

pytestmark = pytest.mark.pipeline

SCREENSHOTS = REPO_ROOT / "tests" / "output" / "browser"
WEBSERVER = str(Path(sys.executable).with_name("dagster-webserver"))
VIEWPORT = {"width": 1600, "height": 1000}


def _chromium() -> str | None:
    """Debian's chromium (`.ci/run` installs it when missing), or PLAYWRIGHT_CHROMIUM."""
    return os.environ.get("PLAYWRIGHT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_served(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dagster-webserver exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"dagster-webserver did not answer on {url} within {seconds} s")


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        pytest.skip("no chromium on this machine: install Debian's chromium package (.ci/run does) or set PLAYWRIGHT_CHROMIUM")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency of pyproject.toml")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where chromium refuses its sandbox
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def dagster_ui(built_demo):
    """dagster-webserver on 127.0.0.1 over the demo warehouse and its Dagster instance."""
    port = _free_port()
    env = {
        **os.environ,
        "MONITOR_LANDING": str(built_demo.landing),
        "MONITOR_WAREHOUSE": str(built_demo.warehouse),
        "DAGSTER_HOME": str(built_demo.warehouse / "dagster_home"),
    }
    env.pop("MONITOR_DUCKDB_PATH", None)
    # Dagster's "Join the community" dialog would cover the pages looked at: it stays away once
    # the instance records it as seen (dagster/_core/nux.py)
    nux = built_demo.warehouse / "dagster_home" / ".nux"
    nux.mkdir(exist_ok=True)
    (nux / "nux.yaml").write_text("seen: 1\n", encoding="utf-8")
    process = subprocess.Popen(
        [WEBSERVER, "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_served(f"{base}/server_info", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _open(browser, url: str, ready: str):
    """Open a page of the UI and wait for the element `ready` (a CSS selector)."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(url)
    page.locator(ready).first.wait_for(timeout=60_000)
    return page


def test_asset_lineage_runs_from_raw_files_to_published_tables(browser, dagster_ui):
    page = _open(
        browser,
        f"{dagster_ui}/assets/monitor/area_estimates?view=lineage&lineageScope=upstream&lineageDepth=20",
        "svg foreignObject >> text=survey_responses",
    )
    page.wait_for_timeout(1500)  # let the graph finish its layout before the screenshot
    page.screenshot(path=SCREENSHOTS / "lineage_upstream_of_monitor_area_estimates.png")
    graph = page.locator("svg:has(foreignObject)").first
    # each group box and asset node is a foreignObject with its name; each lineage edge a path
    labels = graph.evaluate("svg => Array.from(svg.querySelectorAll('foreignObject')).map(f => f.textContent.trim()).filter(t => t)")
    edges = graph.evaluate("svg => svg.querySelectorAll(':scope > path').length")
    groups = ("raw", "staging", "intermediate", "weighting", "audit", "monitor")  # the layers upstream
    for group in groups:
        assert group in labels, (group, labels)
    for asset in ("survey_responses", "kwb_key_figures", "respondent_weights", "int_indicators", "codebook_items"):
        assert asset in labels, (asset, labels)  # upstream of the published table, so linked to it by edges
    assets = [label for label in labels if label not in (*groups, "reference")]
    assert len(assets) >= 20 and edges >= len(assets) - 1, (len(assets), edges)  # n connected nodes: >= n-1 edges
    page.close()


def test_an_asset_check_result_is_visible(browser, dagster_ui):
    check = "[title='monitor_area_estimates_disclosure_control']"  # the UI truncates long names in the middle
    page = _open(browser, f"{dagster_ui}/assets/audit/area_estimates?view=checks", check)
    page.locator(check).first.click()
    page.get_by_text("expectations_evaluated").first.wait_for(timeout=30_000)
    page.screenshot(path=SCREENSHOTS / "check_monitor_area_estimates_disclosure_control.png", full_page=True)
    body = page.inner_text("body")
    assert "This is a blocking asset check." in body
    assert "Passed" in body and "audit (before publishing)" in body  # the result and the stage it guards
    assert "data_quality" in body and "index.html" in body  # the run's GX Data Docs
    page.get_by_text("[Show Markdown]").first.click()  # every expectation with what was observed
    page.get_by_text("published_mart_disclosure on audit.monitor_area_estimates").first.wait_for(timeout=30_000)
    page.wait_for_timeout(800)  # the dialog fades in
    page.screenshot(path=SCREENSHOTS / "check_result_markdown.png")
    assert "expectations met" in page.inner_text("body")
    page.close()


def test_an_asset_page_shows_its_rows_columns_and_where_each_column_comes_from(browser, dagster_ui, built_demo):
    """What an auditor sees of a dbt model: the row count, every column with its type and the
    description of the YAML, and (in the materialization's metadata) each column's lineage."""
    page = _open(browser, f"{dagster_ui}/assets/audit/area_estimates?partition={EDITION}", "text=Row count")
    rows = built_demo.query("select count(*) as n from audit.monitor_area_estimates")["n"].iloc[0]
    status = page.locator("text=Row count").locator("xpath=..").inner_text()
    assert f"{rows:,}" in status, status
    estimate = page.locator("tr", has_text="Calibration-weighted mean").first
    assert "estimate" in estimate.inner_text() and "double" in estimate.inner_text()
    page.screenshot(path=SCREENSHOTS / "asset_audit_area_estimates.png", full_page=True)
    page.goto(f"{dagster_ui}/assets/monitor/area_estimates?view=events&partition={EDITION}")
    page.get_by_text("dagster/row_count").first.wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert "dagster/partition_row_count" in body and "monitor.monitor_area_estimates" in body
    lineage = page.locator("tr", has_text="column_lineage (where each column comes from)").first
    lineage.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "asset_monitor_area_estimates_column_lineage.png", full_page=True)
    assert "audit/area_estimates.estimate" in lineage.inner_text()  # published as checked in audit
    page.close()


def test_a_data_quality_report_opens_offline(browser, built_demo):
    """The run's data-quality report from disk with every network request refused: the index
    lists the run's validations and a validation page shows each expectation's result."""
    (run_id,) = built_demo.report.run_ids
    index = built_demo.warehouse / "data_quality" / run_id / "index.html"
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    outside: list[str] = []

    def refuse(route):
        if not route.request.url.startswith("file:"):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", refuse)
    page.goto(index.as_uri())
    links = page.locator("a[href*='validations/']")
    assert links.count() >= 10, page.inner_text("body")[:2000]
    page.screenshot(path=SCREENSHOTS / "data_quality_index_offline.png", full_page=True)
    links.first.click()
    page.wait_for_load_state()
    assert "passed" in page.inner_text("body")
    page.screenshot(path=SCREENSHOTS / "data_quality_validation_offline.png", full_page=True)
    assert outside == []
    page.close()


def test_a_gemeente_factsheet_opens_from_disk(browser, built_demo):
    folder = built_demo.warehouse / "factsheets" / str(EDITION)
    page = browser.new_page(viewport={"width": 1366, "height": 768})  # a laptop screen
    page.goto((folder / "index.html").as_uri())
    page.locator("#gemeenten").wait_for()
    page.screenshot(path=SCREENSHOTS / "factsheets_index.png", full_page=True)
    page.get_by_role("link", name="Eindhoven").first.click()
    page.locator("#gemeente-naam").wait_for()
    assert "Eindhoven" in page.locator("#gemeente-naam").inner_text()
    for section in ("veerkracht", "hulpbronnen", "typologie", "trend", "onder-gemeente"):
        assert page.locator(f"#{section}").count() == 1, section
    assert page.locator("#veerkracht svg").count() >= 1  # charts render inline
    page.screenshot(path=SCREENSHOTS / "factsheet_eindhoven.png", full_page=True)
    page.close()


def _map_facts(page, selector: str) -> dict:
    """What the browser drew of one map: its shapes (with their drawn size), legend entries and
    the smallest text on screen (font size times the SVG's scale on the page)."""
    return page.locator(selector).evaluate(
        """svg => {
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            const shapes = Array.from(svg.querySelectorAll('path[data-code]'));
            return {
                width: svg.getBoundingClientRect().width,
                shapes: shapes.map(p => ({code: p.dataset.code, title: p.querySelector('title').textContent,
                                          area: p.getBBox().width * p.getBBox().height})),
                classes: svg.querySelectorAll('g.legend g.legend-class').length,
                legend_visible: svg.querySelector('g.legend').getBoundingClientRect().height > 0,
                marker: (svg.querySelector('g.legend-marker') || {textContent: ''}).textContent,
                smallest_text: Math.min(...Array.from(svg.querySelectorAll('text'))
                                        .map(t => parseFloat(t.getAttribute('font-size')) * scale)),
            };
        }"""
    )


def test_the_maps_show_every_area_with_a_legend(browser, built_demo):
    folder = built_demo.warehouse / "factsheets" / str(EDITION)
    gemeenten = built_demo.query(
        "select count(*) as n from monitor.monitor_area_boundaries where edition = ? and area_level = 'gemeente'",
        [EDITION],
    )["n"].iloc[0]
    page = browser.new_page(viewport={"width": 1366, "height": 768})  # a laptop screen
    page.goto((folder / "index.html").as_uri())
    page.locator("#kaarten svg.map").first.wait_for()
    page.locator("#kaarten").screenshot(path=SCREENSHOTS / "map_province.png")
    for indicator in ("veerkracht_score", "pct_veerkrachtig"):
        facts = _map_facts(page, f"#kaart-provincie-{indicator} svg")
        assert len(facts["shapes"]) == gemeenten > 60
        assert all(s["area"] > 0 for s in facts["shapes"])  # every gemeente drawn, none collapsed
        assert all(": " in s["title"] for s in facts["shapes"])  # name and figure on hover
        assert facts["legend_visible"] and facts["classes"] == 5 and facts["marker"].startswith("Noord-Brabant")
        assert facts["smallest_text"] >= 11, facts["smallest_text"]
    page.get_by_role("link", name="Eindhoven").first.click()
    page.locator("#kaart-buurten svg").wait_for()
    page.locator("#kaarten").screenshot(path=SCREENSHOTS / "map_eindhoven_buurten_wijken.png")
    buurten = built_demo.query(
        "select area_code, area_name from monitor.monitor_area_boundaries where edition = ? and area_level = 'buurt' "
        "and gemeente_code = 'GM0772'",
        [EDITION],
    )
    facts = _map_facts(page, "#kaart-buurten svg")
    assert {s["code"] for s in facts["shapes"]} == set(buurten["area_code"])
    assert all(s["area"] > 0 for s in facts["shapes"])
    assert facts["legend_visible"] and facts["classes"] >= 3 and facts["marker"].startswith("gemeente")
    assert facts["smallest_text"] >= 11, facts["smallest_text"]
    wijken = _map_facts(page, "#kaart-wijken svg")
    assert len(wijken["shapes"]) > 5 and wijken["legend_visible"]
    names = buurten.set_index("area_code")["area_name"]
    assert all(s["title"].startswith(f"{names[s['code']]}: ") for s in facts["shapes"])  # the name on hover
    page.close()
