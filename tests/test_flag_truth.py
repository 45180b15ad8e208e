""""Goed, maar niet overal" against demo truths of both kinds, over three demo seeds (issue 15).

Each demo edition plants weak buurten of two kinds (monitor/demo/truth.py): *predicted* ones
where the CBS deprivation figures point, and *hidden* ones that look average on every CBS
figure and have enough respondents to be findable. Every seed's edition goes through the whole
refresh; the published `below_gemeente` flags are scored with monitor/demo/evaluate.py (the
scoring the comparison in bench/compare_small_area_models.py uses) against the truth, and
against the model-only rule of issue 5 run on the same warehouse's inputs.

Seeds: 7 (conftest's `built_demo`) and the generator's default 2018 and 11, fixed before the
results were seen; bench/compare_small_area_models.py reports seed 3 as well.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from monitor.demo import generate_demo_edition
from monitor.demo.evaluate import accuracy, flag_quality, good_gemeenten
from monitor.statistics.small_area import INDICATORS, Options, small_area_estimates
from monitor.statistics.tables import warehouse_small_area_inputs
from tests.conftest import DEMO, EDITION, refresh_in_child
from tests.lanes import LANE

pytestmark = pytest.mark.pipeline
MORE_SEEDS = (2018, 11)  # besides conftest's seed 7
MAX_FALSE_FLAG_SHARE = 0.02  # of all buurten (issue 15)


@dataclass
class Scored:
    seed: int
    published: dict  # flag_quality of the published flags
    model_only: dict  # flag_quality of the model-only rule on the same inputs
    accuracy: pd.DataFrame  # per indicator and level: rmse_ratio, coverage
    truth: dict


def _score(seed: int, duckdb_path: Path, truth: dict) -> Scored:
    with duckdb.connect(str(duckdb_path), read_only=True) as conn:
        published = conn.execute("select * from monitor.monitor_small_area_estimates where edition = ?",
                                 [EDITION]).df()
        respondents, areas, direct = warehouse_small_area_inputs(conn, EDITION)
    issue_5 = Options(flag_rule="model", relevant_gap=0.75)  # the model-only rule as it was
    model_only = small_area_estimates(respondents, areas, direct, options=issue_5).estimates
    good = good_gemeenten(direct)
    return Scored(seed, flag_quality(published, truth, good), flag_quality(model_only, truth, good),
                  accuracy(published, truth, respondents), truth)


def _build_seed(seed: int, root: Path) -> tuple[Path, dict]:
    """A seed of MORE_SEEDS: its demo edition through the whole refresh (in the second lane of
    tests/lanes.py, beside the other tests; one build per seed, so that both lane workers can
    take one); the warehouse file and the truth."""
    landing, warehouse = root / "landing", root / "warehouse"
    edition = generate_demo_edition(landing, EDITION, **(DEMO | {"seed": seed}))
    report = refresh_in_child(landing, warehouse)
    assert report.ok, report.error or [c.detail for c in report.failed_checks]
    return warehouse / "warehouse.duckdb", json.loads(edition.truth_path.read_text(encoding="utf-8"))


# after the kills of tests/test_recovery.py (priority 1), which wait for the small site first
SEED_PRIORITY = 2
for _seed in MORE_SEEDS:
    LANE.register(f"flag_seed_{_seed}", lambda root, seed=_seed: _build_seed(seed, root), priority=SEED_PRIORITY)


@pytest.fixture(scope="module")
def flag_seed_2018(tmp_path_factory):
    return LANE.result("flag_seed_2018", tmp_path_factory.mktemp)


@pytest.fixture(scope="module")
def flag_seed_11(tmp_path_factory):
    return LANE.result("flag_seed_11", tmp_path_factory.mktemp)


@pytest.fixture(scope="module")
def flag_seed_warehouses(flag_seed_2018, flag_seed_11) -> dict[int, tuple[Path, dict]]:
    """Per seed of MORE_SEEDS: the warehouse file and the truth."""
    return dict(zip(MORE_SEEDS, (flag_seed_2018, flag_seed_11), strict=True))


@pytest.fixture(scope="module")
def scored(built_demo, flag_seed_warehouses) -> list[Scored]:
    out = [_score(DEMO["seed"], built_demo.duckdb_path, built_demo.truth)]
    out += [_score(seed, database, truth) for seed, (database, truth) in flag_seed_warehouses.items()]
    for s in out:
        print(f"seed {s.seed}: published {s.published}\n         model only {s.model_only}")
    return out


def test_every_seed_plants_both_kinds(scored):
    """Both kinds on every seed; the targets below count those a flag can apply to (in a
    gemeente published at or above the province; hidden ones with >= 12 respondents)."""
    for s in scored:
        kinds = s.truth["weak_buurten_by_kind"]
        assert len(kinds["predicted"]) >= 6 and len(kinds["hidden"]) >= 3, s.seed
    assert sum(s.published["hidden_findable"] for s in scored) >= 6


def test_hidden_weak_buurten_are_found_on_their_own_respondents(scored):
    """Weak buurten the CBS figures do not predict, with >= 12 respondents: at least half are
    flagged, on every seed, and more than the model-only rule finds over the seeds."""
    for s in scored:
        assert 2 * s.published["hidden_found"] >= s.published["hidden_findable"], s.seed
    assert sum(s.published["hidden_found"] for s in scored) > sum(s.model_only["hidden_found"] for s in scored)


def test_weak_buurten_the_figures_predict_are_found_as_before(scored):
    """Recall on the predicted kind is at least the model-only rule's, on every seed."""
    for s in scored:
        assert s.published["predicted_found"] >= s.model_only["predicted_found"], s.seed
    found = sum(s.published["predicted_found"] for s in scored)
    planted = sum(s.published["predicted"] for s in scored)
    assert found >= 0.6 * planted


def test_false_flags_are_at_most_2_percent_of_all_buurten(scored):
    """A false flag: a flagged buurt whose true value is not at least 0.5 below its gemeente's."""
    for s in scored:
        assert s.published["false_flag_share"] <= MAX_FALSE_FLAG_SHARE, s.seed
        # a short list per gemeente (1-2), not the 18 % of buurten that truly lie 0.5 below theirs
        assert s.published["flagged"] <= 0.05 * len(s.truth["buurten"]), s.seed


@pytest.mark.parametrize("indicator", INDICATORS)
def test_the_gains_of_the_model_are_kept(scored, indicator):
    """Buurt RMSE at most half the direct RMSE, buurt interval coverage 90-98 %."""
    for s in scored:
        buurt = s.accuracy.set_index(["indicator", "level"]).loc[(indicator, "buurt")]
        assert buurt["rmse_ratio"] <= 0.5, s.seed
        assert 0.90 <= buurt["coverage"] <= 0.98, (s.seed, buurt["coverage"])
