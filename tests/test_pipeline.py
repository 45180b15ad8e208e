"""The whole pipeline on a small demo edition: land -> validate -> stage -> model -> publish.
Figures are compared with the generator's truth file, not with the pipeline's own output."""

import pandas as pd
import pytest

from monitor.codebook import load_codebook

pytestmark = pytest.mark.pipeline


def test_refresh_succeeds_with_every_check_passing(built_demo):
    report = built_demo.report
    assert report.ok, report.error or [c.detail for c in report.failed_checks]
    names = {c.name for c in report.checks}
    assert "raw/survey_responses:raw_survey_responses_contract" in names
    assert "raw/kwb_key_figures:raw_kwb_key_figures_contract" in names
    assert len(report.checks) > 20  # the dbt tests ran as asset checks too


def test_area_estimates_grain_covers_every_area_and_indicator(built_demo):
    estimates = built_demo.query("select * from monitor.monitor_area_estimates")
    key = ["edition", "area_level", "area_code", "indicator"]
    assert not estimates.duplicated(key).any()
    per_level = estimates.groupby("area_level")["area_code"].nunique().to_dict()
    assert per_level == {"provincie": 1, "regio": 4, "grootteklasse": 3, "regio_grootteklasse": 12, "gemeente": 64}
    assert set(estimates["indicator"]) == set(load_codebook().indicators)
    # every area has every indicator
    assert (estimates.groupby(["area_level", "area_code"]).size() == len(load_codebook().indicators)).all()


def test_estimates_lie_in_their_ranges_and_inside_their_intervals(built_demo):
    estimates = built_demo.query("select * from monitor.monitor_area_estimates where not suppressed")
    share = estimates["indicator"] == "pct_veerkrachtig"
    assert estimates.loc[share, "estimate"].between(0, 100).all()
    assert estimates.loc[~share, "estimate"].between(0, 10).all()
    assert (estimates["ci_lower"] <= estimates["estimate"]).all()
    assert (estimates["estimate"] <= estimates["ci_upper"]).all()
    assert (estimates["n_respondents"] >= 10).all()


def test_small_cells_are_suppressed_with_a_reason(built_demo):
    estimates = built_demo.query("select * from monitor.monitor_area_estimates")
    small = estimates[estimates["n_respondents"] < 10]
    assert small["suppressed"].all()
    assert small["estimate"].isna().all() and small["ci_lower"].isna().all()
    assert small["suppression_reason"].notna().all()


def test_province_headline_is_close_to_the_population_truth(built_demo):
    province = built_demo.query(
        "select indicator, estimate, ci_lower, ci_upper from monitor.monitor_area_estimates "
        "where area_level = 'provincie'"
    ).set_index("indicator")
    truth = built_demo.truth["province"]
    # calibration-weighted: within sampling noise of the population value (SE about 0.03 / 0.6)
    assert province.loc["veerkracht_score", "estimate"] == pytest.approx(truth["veerkracht_score"], abs=0.12)
    assert province.loc["pct_veerkrachtig", "estimate"] == pytest.approx(truth["pct_veerkrachtig"], abs=2.5)


def test_gemeente_estimates_track_the_truth(built_demo):
    estimates = built_demo.query(
        "select area_code, estimate, n_respondents from monitor.monitor_area_estimates "
        "where area_level = 'gemeente' and indicator = 'veerkracht_score' and not suppressed"
    )
    truth = pd.DataFrame(built_demo.truth["gemeenten"]).rename(columns={"code": "area_code"})
    merged = estimates.merge(truth[["area_code", "veerkracht_score"]], on="area_code")
    assert len(merged) >= 50
    # direct estimates on ~100-300 respondents are noisy, but must follow the planted differences
    assert merged["estimate"].corr(merged["veerkracht_score"]) > 0.5
    assert (merged["estimate"] - merged["veerkracht_score"]).abs().median() < 0.25


def _gemeenten_with_truth(built_demo) -> pd.DataFrame:
    """The demo's gemeenten with their population truth and the size class and regio the
    pipeline placed them in (the size class depends on the CBS inhabitants of the edition)."""
    placed = built_demo.query("select gemeente_code as code, size_class, corop_code from intermediate.int_gemeenten")
    truth = pd.DataFrame(built_demo.truth["gemeenten"]).drop(columns=["corop_code"])
    return truth.merge(placed, on="code", validate="one_to_one")


def test_size_classes_within_regions_hold_their_gemeenten_and_cover_the_truth(built_demo):
    """Methodology section 10: every size class of every regio is an area of its own, its
    respondents are those of its gemeenten, and its interval covers the population truth
    (the adult-weighted mean of its gemeenten's truths)."""
    estimates = built_demo.query(
        "select area_level, area_code, area_name, indicator, estimate, ci_lower, ci_upper, n_respondents "
        "from monitor.monitor_area_estimates where area_level in ('regio_grootteklasse', 'gemeente')"
    )
    gemeenten = _gemeenten_with_truth(built_demo)
    gemeenten["area_code"] = gemeenten["corop_code"] + "_" + gemeenten["size_class"]
    cells = estimates[estimates["area_level"] == "regio_grootteklasse"].set_index(["area_code", "indicator"])
    assert set(cells.index.get_level_values("area_code")) == set(gemeenten["area_code"])
    assert cells.loc[("CR35_middelgroot", "persoonlijk"), "area_name"] == "Noordoost-Noord-Brabant, middelgrote gemeenten"

    per_gemeente = estimates[estimates["area_level"] == "gemeente"].merge(
        gemeenten[["code", "area_code"]].rename(columns={"code": "gemeente", "area_code": "group"}),
        left_on="area_code", right_on="gemeente",
    )
    published = built_demo.query(
        "select distinct area_code as code, regio_grootteklasse_code from monitor.monitor_area_estimates where area_level = 'gemeente'"
    ).merge(gemeenten[["code", "area_code"]], on="code")
    assert (published["regio_grootteklasse_code"] == published["area_code"]).all()  # each gemeente names its own
    summed = per_gemeente.groupby(["group", "indicator"])["n_respondents"].sum()
    assert (summed.sort_index() == cells["n_respondents"].rename_axis(["group", "indicator"]).sort_index()).all()

    covered = []
    for indicator in ("veerkracht_score", "pct_veerkrachtig"):
        truth = gemeenten.groupby("area_code").apply(
            lambda g, i=indicator: (g[i] * g["adults"]).sum() / g["adults"].sum(), include_groups=False
        )
        for code, value in truth.items():
            cell = cells.loc[(code, indicator)]
            covered.append(cell["ci_lower"] <= value <= cell["ci_upper"])
    # 24 intervals of 95 %: 20 or fewer covering would be a 1-in-100 event for correct intervals
    assert sum(covered) >= 21, f"{sum(covered)} of {len(covered)} intervals cover the truth"


def test_no_respondent_level_column_reaches_a_mart(built_demo):
    columns = built_demo.query(
        "select table_name, column_name from information_schema.columns where table_schema = 'monitor'"
    )
    private = set(load_codebook().private_columns) | {"resp_id"}
    assert not set(columns["column_name"]) & private


def test_raw_tables_keep_every_delivered_row(built_demo):
    survey_rows = sum(1 for _ in open(built_demo.landing / "2018" / "survey.csv", encoding="utf-8")) - 1
    raw = built_demo.query("select count(*) as n from raw.survey_responses")["n"].iloc[0]
    staged = built_demo.query("select count(*) as n from staging.stg_survey__respondents")["n"].iloc[0]
    assert raw == staged == survey_rows


def test_every_check_result_comes_after_what_it_checks(built_demo):
    """In the run's event log (and so in the UI), no check of an asset is evaluated before that
    asset's materialization in the same run: dbt tests included, whose results come from the same
    step as their model."""
    from dagster import DagsterEventType

    (run_id,) = built_demo.report.run_ids
    materialized, checks = {}, []
    for entry in built_demo.instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialized.setdefault(event.asset_key, entry.timestamp)
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            checks.append((event.event_specific_data.asset_check_key, entry.timestamp))
    checked = [(key, at) for key, at in checks if key.asset_key in materialized]
    assert len(checked) > 100
    early = [key.to_user_string() for key, at in checked if at < materialized[key.asset_key]]
    assert early == []
