"""Monitor statistics against the demo generator's truth (methodology sections 2-4, 6):
weights reproduce the CBS margins, weighting removes the planted age bias, the confidence
intervals cover the truth about as often as they claim, the planted order of resources is
recovered, and tiny cells are suppressed. Compared with the truth file, never with the
pipeline's own output."""

import numpy as np
import pandas as pd
import pytest

from tests.conftest import TINY_GEMEENTE

pytestmark = pytest.mark.pipeline
INDICATORS = ("veerkracht_score", "pct_veerkrachtig")


@pytest.fixture(scope="module")
def gemeenten(built_demo) -> pd.DataFrame:
    """Published gemeente estimates beside the population truth."""
    estimates = built_demo.query(
        "select area_code as code, indicator, estimate, unweighted_estimate, ci_lower, ci_upper, n_respondents "
        "from monitor.monitor_area_estimates where area_level = 'gemeente' and not suppressed "
        "and indicator in ('veerkracht_score', 'pct_veerkrachtig')"
    )
    truth = pd.DataFrame(built_demo.truth["gemeenten"]).melt(
        id_vars="code", value_vars=list(INDICATORS), var_name="indicator", value_name="truth"
    )
    return estimates.merge(truth, on=["code", "indicator"], validate="one_to_one")


def test_weights_reproduce_every_margin_within_a_tenth_of_a_percent(built_demo):
    margins = built_demo.query("select * from weighting.raking_margins")
    assert len(margins) > 0
    assert margins["relative_difference"].abs().max() < 0.001
    targets = built_demo.query("select sum(target_total) as total from intermediate.int_weighting_targets where margin = 'sex'")
    weights = built_demo.query("select sum(calibration_weight) as total from weighting.respondent_weights")
    assert weights["total"].iloc[0] == pytest.approx(targets["total"].iloc[0], rel=0.001)


def test_trimming_bound_holds_and_small_gemeenten_are_raked_in_their_region(built_demo):
    weights = built_demo.query("select weight_ratio from weighting.respondent_weights")
    assert weights["weight_ratio"].max() <= 5.0 + 1e-6
    gemeenten = built_demo.query("select * from weighting.gemeente_weights").set_index("gemeente_code")
    small = gemeenten["n_respondents"] < 100
    assert (gemeenten.loc[small, "raking_level"] == "regio").all()
    assert (gemeenten.loc[~small, "raking_level"] == "gemeente").all()
    assert gemeenten.loc[TINY_GEMEENTE, "raking_level"] == "regio"
    assert (gemeenten["kish_deff"].dropna() >= 1.0 - 1e-9).all()


@pytest.mark.parametrize("indicator", INDICATORS)
def test_weighting_removes_the_planted_age_bias(gemeenten, built_demo, indicator):
    rows = gemeenten[gemeenten["indicator"] == indicator]
    weighted_bias = (rows["estimate"] - rows["truth"]).mean()
    unweighted_bias = (rows["unweighted_estimate"] - rows["truth"]).mean()
    # the generator plants lower resilience among the old, who answer more often
    assert abs(weighted_bias) < abs(unweighted_bias)
    province = built_demo.query(
        "select estimate, unweighted_estimate from monitor.monitor_area_estimates "
        f"where area_level = 'provincie' and indicator = '{indicator}'"
    ).iloc[0]
    truth = built_demo.truth["province"][indicator]
    assert abs(province["estimate"] - truth) < abs(province["unweighted_estimate"] - truth)


@pytest.mark.parametrize("indicator", INDICATORS)
def test_weighted_gemeente_estimates_are_closer_to_the_truth(gemeenten, indicator):
    rows = gemeenten[gemeenten["indicator"] == indicator]
    rmse = lambda column: float(np.sqrt(((rows[column] - rows["truth"]) ** 2).mean()))  # noqa: E731
    assert rmse("estimate") < rmse("unweighted_estimate")


def test_about_95_percent_of_gemeente_intervals_contain_the_truth(gemeenten):
    covered = (gemeenten["ci_lower"] <= gemeenten["truth"]) & (gemeenten["truth"] <= gemeenten["ci_upper"])
    assert len(gemeenten) >= 120  # ~63 gemeenten x 2 indicators
    # binomial sd of a 95 % coverage on ~126 intervals is about 2 points
    assert 0.89 <= covered.mean() <= 0.995, f"coverage {covered.mean():.3f}"


def test_the_planted_order_of_resource_groups_is_recovered(built_demo):
    table = built_demo.query("select * from monitor.monitor_resource_importance")
    groups = table[table["level"] == "group"].sort_values("rank")
    assert groups["resource"].tolist() == built_demo.truth["resource_group_order"]
    assert groups["importance_share"].sum() == pytest.approx(100.0)


def test_the_strongest_planted_resources_rank_in_the_top_10(built_demo):
    table = built_demo.query("select * from monitor.monitor_resource_importance where level = 'resource'")
    top10 = set(table.loc[table["top10"], "resource"])
    assert len(top10) == 10
    assert set(built_demo.truth["strongest_resources"]) <= top10
    assert table.sort_values("rank")["resource"].iloc[0] == built_demo.truth["strongest_resources"][0]


def test_a_gemeente_with_3_respondents_is_suppressed_not_published(built_demo):
    cells = built_demo.query(
        "select * from monitor.monitor_area_estimates where area_level = 'gemeente' and area_code = ?",
        [TINY_GEMEENTE],
    )
    assert (cells["n_respondents"] <= 3).all()
    assert cells["suppressed"].all()
    assert cells[["estimate", "ci_lower", "ci_upper", "unweighted_estimate"]].isna().all().all()
    assert cells["suppression_reason"].str.contains("fewer than 10").all()
    typology = built_demo.query(
        "select * from monitor.monitor_typology where area_code = ?", [TINY_GEMEENTE]
    )
    assert typology["suppressed"].all() and typology["share"].isna().all()


def test_typology_shares_add_up_per_area(built_demo):
    shares = built_demo.query(
        "select area_level, area_code, sum(share) as total from monitor.monitor_typology "
        "where not suppressed group by all"
    )
    assert np.allclose(shares["total"], 100.0)


def test_scale_reliability_is_reported_for_every_multi_item_scale(built_demo):
    reliability = built_demo.query("select * from monitor.monitor_scale_reliability").set_index("scale")
    assert set(reliability.index) == {"mastery", "buurtbinding", "veerkracht_score", "veranderbereidheid"}
    assert reliability["cronbach_alpha"].between(0.5, 0.99).all()  # items of a latent trait cohere
    assert (reliability["n_valid"] > 1000).all()


def test_disclosure_checks_guard_every_mart(built_demo):
    names = {c.name for c in built_demo.report.checks if c.passed}
    from orchestration.keys import audit_key

    for mart in ("monitor_area_estimates", "monitor_typology", "monitor_scale_reliability", "monitor_resource_importance"):
        asset = audit_key(mart).to_user_string()  # audit/area_estimates, ...
        assert f"{asset}:{mart}_disclosure_control" in names
        assert f"{asset}:{mart}_contents" in names
    assert "weighting/respondent_weights:calibration_weights_contract" in names
