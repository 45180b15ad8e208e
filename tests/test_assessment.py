"""The toetsingskader (methodology section 11, monitor/assessment): `monitor assess` on the
session's demo warehouse, checked against the published tables by a recomputation of its own
(ranks from the Shapley values, shares from R2, comparisons from the intervals), the bad inputs
it refuses, the importance per regio, and the Dagster asset that assesses the landing zone's
project files after each publication."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from conftest import EDITION, TINY_GEMEENTE, monitor_env
from test_factsheets import parse

from monitor.codebook import load_codebook
from monitor.settings import REPO_ROOT
from orchestration.cli import main

pytestmark = pytest.mark.pipeline
SEED = REPO_ROOT / "dbt_project" / "seeds" / "resource_steerability.csv"
RESOURCES = [s.name for g in load_codebook().resource_groups for s in load_codebook().scales_in_group(g)]


def _published(warehouse: Path, sql: str, params=None) -> pd.DataFrame:
    with duckdb.connect(str(warehouse / "published.duckdb"), read_only=True) as conn:
        return conn.execute(sql, params or []).df()


def _project(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _assess(built, capsys, *args: str) -> tuple[int, str, str]:
    with monitor_env(built.landing, built.warehouse):
        code = main(["assess", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


# -- the whole province: every gemeente, regio and size class in its regio on every resource ----


@pytest.fixture(scope="module")
def everything(built_demo, tmp_path_factory):
    """An assessment of every area a project may name on every resource (so that every kind of
    comparison occurs), written by `monitor assess`, with the published rows to check it by."""
    areas = _published(built_demo.warehouse, """
        select distinct area_code from monitor.monitor_area_estimates
        where edition = ? and area_level in ('gemeente', 'regio', 'regio_grootteklasse') order by 1""", [EDITION])
    root = tmp_path_factory.mktemp("assess")
    project = _project(root / "projects", "alles.yaml", f"name: Alles\nedition: {EDITION}\n"
                       f"areas: [{', '.join(areas['area_code'])}]\nresources: [{', '.join(RESOURCES)}]\n")  # fmt: skip
    out = root / "out"
    with monitor_env(built_demo.landing, built_demo.warehouse):
        assert main(["assess", str(project), "--out", str(out)]) == 0
    return json.loads((out / "alles.json").read_text(encoding="utf-8")), out / "alles.html", list(areas["area_code"])


def test_ranks_and_shares_are_those_the_shapley_values_give(everything, built_demo):
    result, _, _ = everything
    rows = _published(built_demo.warehouse, """select resource, resource_group, shapley_r2, r2_total from
        monitor.monitor_resource_importance where edition = ? and level = 'resource'""", [EDITION])
    rows = rows.sort_values("shapley_r2", ascending=False).reset_index(drop=True)
    rank = {r: i + 1 for i, r in enumerate(rows["resource"])}  # 1 = the largest Shapley R2
    share = dict(zip(rows["resource"], rows["shapley_r2"] / rows["r2_total"] * 100))
    assert [r["resource"] for r in result["resources"]] == RESOURCES  # as the project lists them
    for r in result["resources"]:
        assert r["rank"] == rank[r["resource"]]
        assert r["importance_share"] == pytest.approx(share[r["resource"]], abs=1e-9)
        assert r["resource_group"] == rows.set_index("resource").loc[r["resource"], "resource_group"]
    assert result["explained_share"] == pytest.approx(100.0, abs=1e-6)  # every resource: all of it
    assert result["edition"] == EDITION and result["resource_count"] == 14


def test_every_comparison_follows_the_interval_against_the_province(everything, built_demo):
    result, _, codes = everything
    rows = _published(built_demo.warehouse, """select area_level, area_code, area_name, indicator, estimate, ci_lower,
        ci_upper, suppressed from monitor.monitor_area_estimates where edition = ?""", [EDITION])
    province = rows[rows["area_level"] == "provincie"].set_index("indicator")["estimate"]
    cells = rows.set_index(["area_code", "indicator"])
    seen = set()
    for r in result["resources"]:
        assert [a["area_code"] for a in r["areas"]] == codes == result["areas"]
        lower = False
        for a in r["areas"]:
            cell = cells.loc[(a["area_code"], r["resource"])]
            assert a["area_name"] == cell["area_name"] and a["province_estimate"] == pytest.approx(province[r["resource"]])
            if cell["suppressed"]:
                expected = "suppressed"
                assert a["estimate"] is None and a["ci_lower"] is None and a["ci_upper"] is None
            else:
                expected = ("lower" if cell["ci_upper"] < province[r["resource"]]
                            else "higher" if cell["ci_lower"] > province[r["resource"]] else "similar")  # fmt: skip
                assert (a["estimate"], a["ci_lower"], a["ci_upper"]) == pytest.approx((cell["estimate"], cell["ci_lower"], cell["ci_upper"]))
            assert a["comparison"] == expected, (r["resource"], a["area_code"])
            seen.add(expected)
            lower |= expected == "lower"
        assert (r["resource"] in result["behind"]) == lower
    assert seen == {"lower", "similar", "higher", "suppressed"}  # the demo has every kind, the tiny gemeente suppressed
    tiny = next(a for a in result["resources"][0]["areas"] if a["area_code"] == TINY_GEMEENTE)
    assert tiny["comparison"] == "suppressed" and tiny["suppression_reason"]


def test_steerability_is_the_seed_and_regio_importance_the_published_one(everything, built_demo):
    result, _, _ = everything
    with SEED.open(encoding="utf-8") as handle:
        seed = {row["resource"]: row for row in csv.DictReader(handle)}
    assert set(seed) == set(RESOURCES)
    regio = _published(built_demo.warehouse, """select regio_code, resource, shapley_r2, r2_total, suppressed
        from monitor.monitor_resource_importance_regio where edition = ? and level = 'resource'""", [EDITION])
    for r in result["resources"]:
        assert (r["steerability"], r["steerability_reason"]) == (seed[r["resource"]]["steerability"], seed[r["resource"]]["reason"])
        mine = regio[regio["resource"] == r["resource"]].set_index("regio_code")
        assert [g["regio_code"] for g in r["regio_importance"]] == sorted(mine.index)  # the areas span all four regios
        for g in r["regio_importance"]:
            assert not g["suppressed"]  # 10,000 respondents: every regio has n enough
            assert g["importance_share"] == pytest.approx(mine.loc[g["regio_code"], "shapley_r2"] / mine.loc[g["regio_code"], "r2_total"] * 100)
    defaults = {r: seed[r]["steerability"] for r in seed}
    assert {r for r, s in defaults.items() if s == "short"} >= {"digital_skills", "contact_digital", "volunteering", "facilities"}
    assert {r for r, s in defaults.items() if s == "long"} >= {"happiness", "health", "trust", "buurtbinding"}


def test_the_page_shows_each_resource_and_area_as_the_json_says(everything):
    result, html_path, _ = everything
    html = html_path.read_text(encoding="utf-8")
    doc = parse(html_path)
    assert not doc.find_all("script") and not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert doc.find("html").attrs.get("lang") == "nl" and doc.by_id("project-naam").clean() == "Alles"
    for r in result["resources"]:
        section = doc.by_id(f"hulpbron-{r['resource']}")
        assert section is not None and section.find("svg") is not None  # the chart, inline
        drawn = {tr.attrs["data-area-code"]: tr.attrs["data-comparison"] for tr in section.find_all("tr") if "data-area-code" in tr.attrs}
        assert drawn == {a["area_code"]: a["comparison"] for a in r["areas"]}
        row = doc.by_id("hulpbronnen").find("tr", data_resource=r["resource"])
        assert row.find("td", class_="rank").clean() == f"{r['rank']} van 14"
    assert len(doc.by_id("belang-grafiek").find("svg").find_all("text", class_="row-label")) == 14


# -- the asset in the refresh, and a bad file beside good ones ----------------------------------


def test_the_refresh_assessed_the_demo_projects(built_demo):
    folder = built_demo.warehouse / "assessments" / str(EDITION)
    projects = sorted(p.stem for p in (built_demo.landing / "projects").glob("*.yaml"))
    assert projects and sorted(p.stem for p in folder.glob("*.json")) == projects
    assert sorted(p.stem for p in folder.glob("*.html")) == projects
    check = next(c for c in built_demo.report.checks if c.name.endswith("assessment_project_files"))
    assert check.passed and not check.blocking
    demo = json.loads((folder / "sterke_buurten.json").read_text(encoding="utf-8"))
    assert demo["edition"] == EDITION and demo["areas"] == ["GM0855", "GM0772"]


def test_a_bad_project_file_fails_only_its_own_assessment(built_demo, tmp_path):
    from dagster import DagsterInstance, materialize
    from dagster_duckdb import DuckDBResource

    from orchestration.assets.assessments import ASSESSMENTS_KEY, PROJECT_FILES_CHECK, assessments_projects
    from orchestration.partitions import EDITION_PARTITIONS_NAME
    from orchestration.resources import LandingZone

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    shutil.copytree(built_demo.landing / "projects", landing / "projects")
    _project(landing / "projects", "kapot.yaml", "name: Kapot\nareas: [GM0855]\nresources: [geluk]\n")
    _project(landing / "projects", "ouder.yaml", "name: Ouder\nedition: 2016\nareas: [GM0855]\nresources: [trust]\n")
    warehouse.mkdir()
    shutil.copy(built_demo.duckdb_path, warehouse / "warehouse.duckdb")
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(EDITION_PARTITIONS_NAME, [str(EDITION)])
    with monitor_env(landing, warehouse):
        result = materialize(
            [assessments_projects], partition_key=str(EDITION), instance=instance, raise_on_error=False,
            resources={"warehouse": DuckDBResource(database=str(warehouse / "warehouse.duckdb")),
                       "landing": LandingZone(path=str(landing))},
        )  # fmt: skip
    assert result.success  # the good ones are written; nothing upstream waits for it
    written = sorted(p.name for p in (warehouse / "assessments" / str(EDITION)).iterdir())
    assert written == ["digitaal_meedoen.html", "digitaal_meedoen.json", "sterke_buurten.html", "sterke_buurten.json"]
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.asset_check_key.name == PROJECT_FILES_CHECK and not evaluation.passed
    assert evaluation.severity.value == "WARN"
    summary = evaluation.metadata["failure_summary"].value
    assert "kapot.yaml, key 'resources': geluk is not a resource scale" in summary and "did you mean happiness" in summary
    (event,) = result.get_asset_materialization_events()
    meta = event.materialization.metadata
    assert event.materialization.asset_key == ASSESSMENTS_KEY and meta["assessed"].value == 2 and meta["failed"].value == 1
    assert meta["other_editions"].value == {"ouder.yaml": 2016}  # assessed when 2016 is refreshed, not now


# -- bad input: exit 2, the file, the key and the valid values, nothing written ---------------


BAD = {
    "unknown_resource": ("name: X\nareas: [GM0855]\nresources: [buurtbinding, volunteerng]\n",
                         ["key 'resources'", "volunteerng is not a resource scale", "did you mean volunteering",
                          "valid resources: buurtbinding, contact_digital"]),
    "unknown_area": ("name: X\nareas: [GM0855, GM9999]\nresources: [trust]\n",
                     ["key 'areas'", "GM9999 is not a gemeente, regio or regio_grootteklasse code of edition 2018",
                      "valid codes: gemeente: GM0738", "regio: CR33, CR34, CR35, CR36", "CR35_middelgroot"]),
    "unpublished_edition": ("name: X\nedition: 2014\nareas: [GM0855]\nresources: [trust]\n",
                            ["key 'edition'", "2014 is not published; published editions: 2018"]),
    "malformed_yaml": ("name: X\nareas: [GM0855\nresources: [trust]\n", ["not valid YAML at line 3", "expected keys like"]),
    "empty_resources": ("name: X\nareas: [GM0855]\nresources: []\n", ["key 'resources'", "expected a non-empty list of resource names"]),
    "unknown_key": ("name: X\nareas: [GM0855]\nresources: [trust]\ngebied: Tilburg\n",
                    ["key 'gebied'", "unknown key; valid keys are name, areas, resources, edition, description"]),
    "missing_areas": ("name: X\nresources: [trust]\n", ["key 'areas'", "missing"]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_naming_file_key_and_valid_values(built_demo, tmp_path, capsys, case):
    text, said = BAD[case]
    path = _project(tmp_path, f"{case}.yaml", text)
    out = tmp_path / "out"
    code, stdout, stderr = _assess(built_demo, capsys, str(path), "--out", str(out))
    assert code == 2 and not stdout
    assert stderr.startswith(f"monitor assess: {path}") and stderr.rstrip().endswith("nothing written.")
    for part in said:
        assert part in stderr, (part, stderr)
    assert not out.exists()


def test_an_edition_given_on_the_command_line_must_be_published(built_demo, tmp_path, capsys):
    path = _project(tmp_path, "p.yaml", "name: X\nareas: [gm0855]\nresources: [trust]\n")
    code, _, stderr = _assess(built_demo, capsys, str(path), "--edition", "2020", "--out", str(tmp_path / "out"))
    assert code == 2 and "key 'edition (--edition)': 2020 is not published" in stderr
    code, stdout, _ = _assess(built_demo, capsys, str(path), "--out", str(tmp_path / "out"))  # gm0855: GM0855
    assert code == 0 and "Tilburg" in stdout and (tmp_path / "out" / "p.json").exists()


# -- importance per regio ----------------------------------------------------------------------


def test_regio_importance_is_the_regression_on_each_regio_alone(built_demo):
    regio = built_demo.query("""select regio_code, level, resource, rank, shapley_r2, importance_share, r2_total,
        n_respondents, n_excluded, suppressed from monitor.monitor_resource_importance_regio where edition = ?""", [EDITION])
    province = built_demo.query("""select n_respondents, n_excluded from monitor.monitor_resource_importance
        where edition = ? limit 1""", [EDITION]).iloc[0]
    fits = regio.drop_duplicates("regio_code").set_index("regio_code")
    assert sorted(fits.index) == ["CR33", "CR34", "CR35", "CR36"] and not fits["suppressed"].any()
    # listwise deletion does not depend on the regio: the regios' respondents add up to the province's
    assert fits["n_respondents"].sum() == province["n_respondents"] and fits["n_excluded"].sum() == province["n_excluded"]
    for _, rows in regio.groupby(["regio_code", "level"]):
        assert rows["importance_share"].sum() == pytest.approx(100.0)
        assert list(rows.sort_values("rank")["shapley_r2"]) == sorted(rows["shapley_r2"], reverse=True)
    # R2 of each regio by a plain weighted least squares of its own complete respondents
    wide = built_demo.query(f"""
        select s.resp_id, any_value(w.calibration_weight) as w, any_value(r.area_code) as regio,
            {', '.join(f"max(case when s.scale = '{n}' then s.score end) as {n}" for n in ['veerkracht_score', *RESOURCES])}
        from intermediate.int_respondent_scale_scores as s
        join weighting.respondent_weights as w using (edition, resp_id)
        join intermediate.int_respondent_areas as r on r.edition = s.edition and r.resp_id = s.resp_id and r.area_level = 'regio'
        where s.edition = ? group by s.resp_id""", [EDITION]).dropna()
    for code, part in wide.groupby("regio"):
        fit = sm.WLS(part["veerkracht_score"], sm.add_constant(part[RESOURCES]), weights=part["w"]).fit()
        assert len(part) == fits.loc[code, "n_respondents"]
        assert fit.rsquared == pytest.approx(fits.loc[code, "r2_total"], abs=1e-9)


def test_a_regio_without_n_enough_is_suppressed_and_said(small_site, tmp_path, capsys):
    """The small site (2,000 respondents): no regio has 700 complete respondents (50 per resource)."""
    regio = _published(small_site.warehouse, "select * from monitor.monitor_resource_importance_regio where edition = ?", [EDITION])
    assert regio["suppressed"].all() and (regio["n_respondents"] < 700).all()
    assert regio[["importance_share", "shapley_r2", "rank", "std_coefficient", "r2_total"]].isna().all().all()
    assert set(regio["suppression_reason"]) == {"fewer than 700 complete respondents (50 per resource) for the regression"}
    path = _project(tmp_path, "p.yaml", "name: Klein\nareas: [GM0855]\nresources: [trust]\n")
    with monitor_env(small_site.landing, small_site.warehouse):
        assert main(["assess", str(path), "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    (resource,) = json.loads((tmp_path / "out" / "p.json").read_text(encoding="utf-8"))["resources"]
    (g,) = resource["regio_importance"]
    assert g["suppressed"] and g["importance_share"] is None and g["rank"] is None
    page = (tmp_path / "out" / "p.html").read_text(encoding="utf-8")
    assert "niet te bepalen (minder dan 700 respondenten met alle hulpbronnen ingevuld (50 per hulpbron) voor de regressie)" in page


def test_too_few_respondents_in_every_regio_keeps_every_row(tmp_path):
    """The model's function on made-up respondents: a regio of 100 complete respondents keeps its
    rows without figures, one of 1,000 gets the regression of its own rows."""
    from monitor.statistics.importance import resource_importance
    from monitor.statistics.tables import OUTCOME, regio_importance

    groups = {"a": "g1", "b": "g1", "c": "g2"}
    rng = np.random.default_rng(3)
    n = 1_100
    x = rng.normal(size=(n, 3))
    wide = pd.DataFrame(x, columns=list(groups)).assign(
        **{OUTCOME: x @ [0.5, 0.3, 0.2] + rng.normal(size=n), "calibration_weight": rng.uniform(0.5, 2, n),
           "regio_code": ["R1"] * 1_000 + ["R2"] * 100})  # fmt: skip
    table = regio_importance(wide, groups, {"R1": "Een", "R2": "Twee"})
    small = table[table["regio_code"] == "R2"]
    assert len(small) == 5 and small["suppressed"].all() and small["importance_share"].isna().all()
    assert small["suppression_reason"].iloc[0] == "fewer than 150 complete respondents (50 per resource) for the regression"
    big = table[table["regio_code"] == "R1"].set_index(["level", "resource"])
    alone = resource_importance(wide.iloc[:1_000][[OUTCOME, *groups]], wide.iloc[:1_000]["calibration_weight"], OUTCOME, groups)
    expected = alone.table.set_index(["level", "resource"])
    assert np.allclose(big.loc[expected.index, "importance_share"], expected["importance_share"])
    assert not big["suppressed"].any() and (big["regio_name"] == "Een").all()
