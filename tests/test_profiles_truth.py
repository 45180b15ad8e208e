"""Who is resilient (methodology section 9) against the demo generator's truth: the profiles'
confidence intervals cover the population values about as often as they claim, the planted
education gradient and age pattern (monitor/demo/latent.py, "Profile effects") are recovered,
the composition of the resilient and the less resilient is close to the truth, and the
resources of both groups differ as planted. Compared with truth.json (`profiles`,
`resources_by_resilience`, `profile_effects`), never with the pipeline's own output.

The truth is per true category; "no answer" on a background question is drawn completely at
random (monitor/demo/survey.py), so 'onbekend' has no truth row, and an estimated composition
share of a known category is compared within the known categories (the share of 'onbekend'
taken out). Thresholds are ones a wrong truth fails: the coverage of a truth 0.3 points off,
of education levels swapped or of the resilient and less resilient composition swapped falls
far below them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitor.codebook import load_codebook

pytestmark = pytest.mark.pipeline
MEANS = ("veerkracht_score", "pct_veerkrachtig")  # the indicators the truth has per category
MIN_COVERAGE = 0.85  # of nominal 95 % intervals
MIN_PUBLISHED_CATEGORIES = 20  # of the 24 known categories: the coverage is not of a few cells
MAX_COMPOSITION_ERROR = 3.0  # points, any known category (about 3 SE of a less resilient share)
MAX_MEAN_COMPOSITION_ERROR = 1.0  # points, mean over the known categories
# The resources of the resilient and the less resilient: their truth classifies on complete
# answers, the survey on the valid ones (methodology section 1: a resilient answer on 3 of the
# valid coping items), so someone with 3 resilient answers of whom one is missing counts as
# less resilient: about 1 point of pct_veerkrachtig on the demo, and the less resilient's
# resources a little above their truth (within 0.2 points). Their 17 intervals share that
# bias and their respondents, so "mostly" is 3 of 4; the estimated difference must also lie
# within MAX_RESOURCE_DIFFERENCE_ERROR of the true one on every resource.
MIN_RESOURCE_COVERAGE = 0.75
MAX_RESOURCE_DIFFERENCE_ERROR = 0.25  # points; the true differences are 0.7-1.6
UNKNOWN = load_codebook().profiles["unknown_category"]["code"]


def profiles_beside_truth(profiles: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """monitor_profiles rows of the truth's indicators and true categories, with the truth
    (`truth_*` columns). Every true category must have its rows: one missing fails here."""
    true = pd.DataFrame(truth["profiles"])
    long = true.melt(id_vars=["characteristic", "category"], value_vars=list(MEANS),
                     var_name="indicator", value_name="truth")
    composition = true[["characteristic", "category", "share_among_resilient", "share_among_less_resilient",
                        "difference"]].add_prefix("truth_").rename(
        columns={"truth_characteristic": "characteristic", "truth_category": "category"})
    rows = profiles[profiles["indicator"].isin(MEANS)]
    merged = long.merge(rows, on=["characteristic", "category", "indicator"], how="left", validate="one_to_one",
                        indicator="found").merge(composition, on=["characteristic", "category"])
    missing = merged.loc[merged["found"] != "both", ["characteristic", "category", "indicator"]]
    assert missing.empty, f"monitor.monitor_profiles lacks rows of true categories:\n{missing.to_string()}"
    return merged.drop(columns="found")


def coverage(rows: pd.DataFrame, truth: str = "truth", lower: str = "ci_lower", upper: str = "ci_upper") -> float:
    """Share of the rows whose interval holds the truth."""
    return float(((rows[lower] <= rows[truth]) & (rows[truth] <= rows[upper])).mean())


def known_composition(profiles: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """Per true category (composition published): the estimated shares among the resilient
    and the less resilient rescaled to the known categories of the characteristic, beside
    the truth."""
    cells = profiles.drop_duplicates(["characteristic", "category"])
    cells = cells[~cells["composition_suppressed"]]
    columns = ["share_among_resilient", "share_among_less_resilient"]
    unknown = cells[cells["category"] == UNKNOWN].set_index("characteristic")[columns]
    known = cells[cells["category"] != UNKNOWN].copy()
    for column in columns:
        known[column] = 100 * known[column] / (100 - known["characteristic"].map(unknown[column]).fillna(0.0))
    true = pd.DataFrame(truth["profiles"])[["characteristic", "category", *columns]]
    return known[["characteristic", "category", *columns]].merge(
        true, on=["characteristic", "category"], suffixes=("", "_truth"), validate="one_to_one")


def resources_beside_truth(resources: pd.DataFrame, truth: dict) -> pd.DataFrame:
    true = pd.DataFrame(truth["resources_by_resilience"])[
        ["indicator", "estimate_resilient", "estimate_less_resilient", "difference"]]
    return resources.merge(true, on="indicator", suffixes=("", "_truth"), validate="one_to_one")


@pytest.fixture(scope="module")
def profiles(built_demo) -> pd.DataFrame:
    return built_demo.query("select * from monitor.monitor_profiles")


@pytest.fixture(scope="module")
def beside(profiles, built_demo) -> pd.DataFrame:
    return profiles_beside_truth(profiles, built_demo.truth)


def _published(beside: pd.DataFrame, indicator: str) -> pd.DataFrame:
    return beside[(beside["indicator"] == indicator) & ~beside["suppressed"]]


def _by_category(beside: pd.DataFrame, characteristic: str, indicator: str) -> pd.DataFrame:
    rows = beside[(beside["characteristic"] == characteristic) & (beside["indicator"] == indicator)]
    assert not rows["suppressed"].any(), f"{characteristic} {indicator}: a category is suppressed"
    return rows.set_index("category")


@pytest.mark.parametrize("indicator", MEANS)
def test_profile_cis_cover_the_truth_in_a_nominal_share_of_the_known_categories(beside, indicator):
    rows = _published(beside, indicator)
    assert len(rows) >= MIN_PUBLISHED_CATEGORIES
    share = coverage(rows)
    print(f"{indicator}: {share:.0%} of {len(rows)} known categories covered")
    assert share >= MIN_COVERAGE, rows.loc[~rows.eval("ci_lower <= truth <= ci_upper"),
                                           ["characteristic", "category", "estimate", "ci_lower", "ci_upper", "truth"]]


@pytest.mark.parametrize("indicator", MEANS)
def test_the_planted_education_gradient_is_recovered(beside, built_demo, indicator):
    """laag < middelbaar < hoog as planted, hoog and laag with intervals apart, the estimated
    gap within its margin of the true one, and the composition difference (share among the
    resilient minus among the less resilient) significantly negative for laag and positive
    for hoog, as in the truth."""
    order = built_demo.truth["profile_effects"]["education"]["order"]
    rows = _by_category(beside, "education", indicator).loc[order]
    assert rows["estimate"].is_monotonic_increasing and rows["estimate"].is_unique
    low, high = rows.iloc[0], rows.iloc[-1]
    assert high["ci_lower"] > low["ci_upper"]
    gap, true_gap = high["estimate"] - low["estimate"], high["truth"] - low["truth"]
    margin = np.hypot(high["ci_upper"] - high["ci_lower"], low["ci_upper"] - low["ci_lower"]) / 2
    print(f"{indicator}: hoog - laag estimated {gap:.2f} (margin {margin:.2f}), true {true_gap:.2f}")
    assert abs(gap - true_gap) < margin
    for category, sign in ((low, -1), (high, 1)):
        assert category["significant"] and np.sign(category["difference"]) == sign == np.sign(category["truth_difference"])


@pytest.mark.parametrize("indicator", MEANS)
def test_the_planted_age_pattern_is_recovered(beside, built_demo, indicator):
    """The bands in the planted order (65+ lowest, 18-24 highest): the lowest and the highest
    band with intervals apart, no neighbouring pair significantly out of order, and on
    veerkracht_score the whole order."""
    order = built_demo.truth["profile_effects"]["age_band"]["order"]
    rows = _by_category(beside, "age_band", indicator).loc[order]
    print(f"{indicator}: " + ", ".join(f"{b} {e:.2f} (true {t:.2f})" for b, e, t in
                                      zip(order, rows["estimate"], rows["truth"])))
    assert rows["truth"].is_monotonic_increasing
    assert rows["ci_lower"].iloc[-1] > rows["ci_upper"].iloc[0]
    assert rows["estimate"].idxmin() == order[0] and rows["estimate"].idxmax() == order[-1]
    for below, above in zip(order, order[1:]):
        assert rows.loc[above, "ci_upper"] > rows.loc[below, "ci_lower"], (below, above)
    if indicator == "veerkracht_score":
        assert rows["estimate"].is_monotonic_increasing


def test_the_composition_of_the_resilient_and_less_resilient_is_close_to_the_truth(profiles, beside, built_demo):
    """Within the known categories each share is within MAX_COMPOSITION_ERROR points of the
    truth and on average within MAX_MEAN_COMPOSITION_ERROR; the difference's 95 % CI covers the
    true difference in a nominal share of the categories (no answer adds a share of ~1 % to
    both sides, so the difference needs no rescaling); a published composition adds up to 100."""
    composition = known_composition(profiles, built_demo.truth)
    assert len(composition) >= MIN_PUBLISHED_CATEGORIES
    errors = pd.concat([composition[c] - composition[f"{c}_truth"]
                        for c in ("share_among_resilient", "share_among_less_resilient")]).abs()
    print(f"composition: mean error {errors.mean():.2f}, max {errors.max():.2f} points")
    assert errors.max() < MAX_COMPOSITION_ERROR and errors.mean() < MAX_MEAN_COMPOSITION_ERROR
    cells = beside.drop_duplicates(["characteristic", "category"])
    cells = cells[~cells["composition_suppressed"]]
    share = coverage(cells, "truth_difference", "difference_ci_lower", "difference_ci_upper")
    print(f"composition difference: {share:.0%} of {len(cells)} categories covered")
    assert share >= MIN_COVERAGE
    whole = profiles.drop_duplicates(["characteristic", "category"]).groupby("characteristic")
    for name, rows in whole:
        if not rows["composition_suppressed"].any():
            assert rows["share_among_resilient"].sum() == pytest.approx(100, abs=0.1), name
            assert rows["share_among_less_resilient"].sum() == pytest.approx(100, abs=0.1), name


def test_no_answer_is_a_small_category_near_the_province(profiles, built_demo):
    """'onbekend' is a random ~1 % (survey.BACKGROUND_MISSING_SHARE) of the respondents on every
    coded background characteristic: a small share on both sides, its own row never dropped."""
    missing_share = 100 * built_demo.truth["profile_effects"]["background_nonresponse"]["share"]
    unknown = profiles[(profiles["category"] == UNKNOWN) & (profiles["indicator"] == "veerkracht_score")]
    assert set(unknown["characteristic"]) == {"sex", "education", "household", "paid_work"}
    published = unknown[~unknown["composition_suppressed"]]
    for column in ("share_among_resilient", "share_among_less_resilient"):
        assert published[column].between(0, 3 * missing_share).all(), published[["characteristic", column]]


def test_resources_by_resilience_have_the_true_sign_and_cover_the_truth(built_demo):
    """Every resource scale and group: the resilient have significantly more (as in the truth),
    the difference is close to the true one, and the 95 % intervals of both groups' means and
    of the difference mostly cover the truth (MIN_RESOURCE_COVERAGE: why not nominal)."""
    resources = built_demo.query("select * from monitor.monitor_resources_by_resilience")
    rows = resources_beside_truth(resources, built_demo.truth)
    assert len(rows) == len(built_demo.truth["resources_by_resilience"]) and not rows["suppressed"].any()
    assert (np.sign(rows["difference"]) == np.sign(rows["difference_truth"])).all()
    assert rows["significant"].all()
    shares = {
        "resilient": coverage(rows, "estimate_resilient_truth", "ci_lower_resilient", "ci_upper_resilient"),
        "less resilient": coverage(rows, "estimate_less_resilient_truth", "ci_lower_less_resilient",
                                   "ci_upper_less_resilient"),
        "difference": coverage(rows, "difference_truth"),
    }
    errors = (rows["difference"] - rows["difference_truth"]).abs()
    print("resources by resilience covered: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items())
          + f"; difference error mean {errors.mean():.2f}, max {errors.max():.2f} points")
    assert min(shares.values()) >= MIN_RESOURCE_COVERAGE, shares
    assert errors.max() < MAX_RESOURCE_DIFFERENCE_ERROR, rows.loc[errors.idxmax()]
