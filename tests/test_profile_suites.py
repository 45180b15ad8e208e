"""The blocking checks of the profiles (data_quality/suites/profile_contents.py and the
disclosure rules of published_marts.py) on the real candidate rows of the demo warehouse:
the rows the pipeline wrote pass, and each corruption a bug could cause fails the
expectation that guards against it."""

from __future__ import annotations

import pandas as pd
import pytest

from data_quality.runner import validate_frame
from data_quality.suites import profile_contents as pc
from data_quality.suites.mart_contents import indicator_ranges
from data_quality.suites.published_marts import DISCLOSED_TABLES, mart_suite
from monitor.codebook import load_codebook

pytestmark = pytest.mark.pipeline

CODEBOOK = load_codebook()
RANGES = indicator_ranges(CODEBOOK)
DISCLOSURE = {table.name: mart_suite(table) for table in DISCLOSED_TABLES}


@pytest.fixture(scope="module")
def profiles(built_demo) -> pd.DataFrame:
    return built_demo.query("select * from audit.monitor_profiles")


@pytest.fixture(scope="module")
def resources(built_demo) -> pd.DataFrame:
    return built_demo.query("select * from audit.monitor_resources_by_resilience")


def _contents(rows: pd.DataFrame):
    return validate_frame(pc.profiles_frame(rows), pc.SUITE_PROFILES, "test batch", pc.profiles_suite(CODEBOOK, RANGES))


def _failures(outcome, meaning: str) -> list:
    assert not outcome.success, "expected a failure"
    hits = [o for o in outcome.failures if meaning in o.meaning]
    assert hits, f"no failure about {meaning!r}; failures:\n{outcome.failure_text()}"
    return hits


def test_the_pipeline_rows_pass_contents_and_disclosure(profiles, resources):
    assert _contents(profiles).success, _contents(profiles).failure_text()
    suite = pc.resources_by_resilience_suite(CODEBOOK, RANGES)
    outcome = validate_frame(pc.resources_by_resilience_frame(resources), pc.SUITE_RESOURCES_BY_RESILIENCE, "test", suite)
    assert outcome.success, outcome.failure_text()
    for table, rows in (("monitor_profiles", profiles), ("monitor_resources_by_resilience", resources)):
        outcome = validate_frame(rows, "disclosure", "test", DISCLOSURE[table])
        assert outcome.success, outcome.failure_text()


def test_a_dropped_category_fails(profiles):
    dropped = profiles[~((profiles["characteristic"] == "education") & (profiles["category"] == "onbekend"))]
    _failures(_contents(dropped), "every expected category of a characteristic is present")


def test_a_composition_that_does_not_add_up_fails(profiles):
    broken = profiles.copy()
    row = (broken["characteristic"] == "age_band") & (broken["category"] == "65+")
    broken.loc[row, "share_among_resilient"] += 1.0
    _failures(_contents(broken), "add up to 100")


def test_an_estimate_outside_its_interval_fails(profiles):
    broken = profiles.copy()
    shown = broken.index[broken["suppressed"].eq(False) & broken["indicator"].eq("veerkracht_score")][:3]
    broken.loc[shown, "estimate"] = broken.loc[shown, "ci_upper"] + 0.01
    _failures(_contents(broken), "the interval contains its estimate")


def test_significance_must_follow_the_interval(profiles):
    broken = profiles.copy()
    shown = broken.index[broken["composition_suppressed"].eq(False)][:2]
    broken.loc[shown, "significant"] = ~broken.loc[shown, "significant"].astype(bool)
    _failures(_contents(broken), "significant exactly when")


def test_a_withheld_composition_that_shows_a_share_fails_disclosure(profiles):
    category = profiles.index[(profiles["characteristic"] == "sex") & (profiles["category"] == "1")]
    flagged = profiles.copy()
    flagged.loc[category, "composition_suppressed"] = True  # withheld, but the shares are still there
    outcome = validate_frame(flagged, "disclosure", "test", DISCLOSURE["monitor_profiles"])
    _failures(outcome, "share_among_resilient is not published where composition_suppressed is true")
    few = profiles.copy()
    few.loc[category, "n_less_resilient"] = 9  # too few, yet shown
    outcome = validate_frame(few, "disclosure", "test", DISCLOSURE["monitor_profiles"])
    _failures(outcome, "is not published on fewer than 10 respondents (n_less_resilient)")


def test_a_suppressed_resource_row_with_a_figure_fails_disclosure(resources):
    broken = resources.copy()
    broken.loc[broken.index[:1], "n_respondents"] = 5
    outcome = validate_frame(broken, "disclosure", "test", DISCLOSURE["monitor_resources_by_resilience"])
    _failures(outcome, "is not published on fewer than 10 respondents")
