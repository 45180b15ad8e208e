"""Six respondents whose scores can be worked out on paper, run through the real dbt models
(recoding, the 60 % rule, the 3-of-5 veerkrachtig rule, Cronbach's alpha).

Coping items are agreement items (1 helemaal mee eens .. 5 helemaal mee oneens, 8/9 missing);
coping_4 is negatively worded and keeps its answer, the others are reversed (1 -> 5)."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from monitor.codebook import load_codebook
from monitor.codebook.tables import codebook_tables
from monitor.settings import DBT_PROJECT_DIR

COPING = ["coping_1", "coping_2", "coping_3", "coping_4", "coping_5"]
# answers as delivered (None = empty cell)
ANSWERS = {
    "R1": [1, 1, 1, 5, 1],  # recoded 5 5 5 5 5: score 10, 5 resilient -> veerkrachtig
    "R2": [3, 3, 3, 3, 3],  # recoded 3 3 3 3 3: score 5, 0 resilient -> not
    "R3": [2, 2, 8, 9, 4],  # recoded 4 4 . . 2: 3 valid, score (7.5+7.5+2.5)/3, 2 resilient -> not
    "R4": [1, 2, None, 4, 8],  # recoded 5 4 . 4 .: 3 valid, score (10+7.5+7.5)/3, 3 resilient -> veerkrachtig
    "R5": [1, 1, 9, 9, 9],  # 2 valid of 5 (40 % < 60 %): score NULL, veerkrachtig NULL
    "R6": [5, 4, 5, 1, 5],  # recoded 1 2 1 1 1: score (0+2.5+0+0+0)/5 = 0.5, not
}
EXPECTED_SCORE = {"R1": 10.0, "R2": 5.0, "R3": 17.5 / 3, "R4": 25.0 / 3, "R5": None, "R6": 0.5}
EXPECTED_VEERKRACHTIG = {"R1": True, "R2": False, "R3": False, "R4": True, "R5": None, "R6": False}
# buurtbinding has 3 items: 2 valid (67 %) is enough, 1 valid (33 %) is not
BOND = {"R1": [1, 2, 9], "R2": [1, 9, 8], "R3": [3, 3, 3], "R4": [2, 2, 2], "R5": [5, 5, 5], "R6": [4, 4, 4]}
EXPECTED_BUURTBINDING = {"R1": (10 + 7.5) / 2, "R2": None, "R3": 5.0, "R4": 7.5, "R5": 0.0, "R6": 2.5}


def _survey() -> pd.DataFrame:
    codebook = load_codebook()
    rows = []
    for resp_id, coping in ANSWERS.items():
        row = {item: 3 for item in codebook.item_names}
        row.update(dict(zip(COPING, coping, strict=True)))
        row.update(dict(zip(["bond_1", "bond_2", "bond_3"], BOND[resp_id], strict=True)))
        row.update(resp_id=resp_id, edition=2018, gemeente_code="GM0772", buurt_code=None, sex=1, age=40,
                   education=2, household=1, paid_work=1, design_weight=1.0)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for item in codebook.item_names:
        frame[item] = frame[item].astype("Int64")
    return frame.assign(_landing_edition=2018, _source_file="by_hand.csv", _source_row=range(2, 8))


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    database = tmp_path_factory.mktemp("by_hand") / "warehouse.duckdb"
    with duckdb.connect(str(database)) as conn:
        conn.execute("create schema raw")
        tables = {"survey_responses": _survey(), **codebook_tables(load_codebook())}
        for name, frame in tables.items():
            conn.register("frame", frame)
            conn.execute(f"create table raw.{name} as select * from frame")
            conn.unregister("frame")
    models = "stg_survey__item_answers int_respondent_scale_scores int_respondent_veerkrachtig monitor_scale_reliability"
    dbt = Path(sys.executable).with_name("dbt")
    completed = subprocess.run(
        [str(dbt), "run", "--select", *models.split(), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(database.parent / "target")],
        cwd=DBT_PROJECT_DIR, env={**os.environ, "MONITOR_DUCKDB_PATH": str(database)},
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    with duckdb.connect(str(database), read_only=True) as conn:
        scores = conn.execute("select resp_id, scale, score from intermediate.int_respondent_scale_scores").df()
        resilient = conn.execute("select resp_id, veerkrachtig from intermediate.int_respondent_veerkrachtig").df()
        alpha = conn.execute("select * from audit.monitor_scale_reliability").df()  # dbt alone: the unpublished candidate
    return scores.pivot(index="resp_id", columns="scale", values="score"), resilient.set_index("resp_id"), alpha.set_index("scale")


def _assert_score(scores: pd.DataFrame, resp_id: str, scale: str, expected: float | None) -> None:
    if expected is None:
        assert pd.isna(scores.loc[resp_id, scale])
    else:
        assert scores.loc[resp_id, scale] == pytest.approx(expected)


@pytest.mark.parametrize("resp_id", list(ANSWERS))
def test_veerkracht_score_and_the_60_percent_rule(scored, resp_id):
    _assert_score(scored[0], resp_id, "veerkracht_score", EXPECTED_SCORE[resp_id])


@pytest.mark.parametrize("resp_id", list(ANSWERS))
def test_veerkrachtig_three_of_five_rule(scored, resp_id):
    _, resilient, _ = scored
    value = resilient.loc[resp_id, "veerkrachtig"]
    expected = EXPECTED_VEERKRACHTIG[resp_id]
    assert (pd.isna(value) and expected is None) or value == expected


@pytest.mark.parametrize("resp_id", list(BOND))
def test_buurtbinding_needs_two_of_three_items(scored, resp_id):
    _assert_score(scored[0], resp_id, "buurtbinding", EXPECTED_BUURTBINDING[resp_id])


def test_cronbach_alpha_on_complete_cases(scored):
    _, _, alpha = scored
    # complete coping cases: R1, R2, R6 (recoded values)
    items = np.array([[5, 5, 5, 5, 5], [3, 3, 3, 3, 3], [1, 2, 1, 1, 1]], dtype=float)
    k = items.shape[1]
    expected = k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / items.sum(axis=1).var(ddof=1))
    assert alpha.loc["veerkracht_score", "n_valid"] == 3
    assert alpha.loc["veerkracht_score", "cronbach_alpha"] == pytest.approx(expected)
    assert alpha.loc["veerkracht_score", "n_items"] == 5
