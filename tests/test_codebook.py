"""The codebook transcribes ../shared/spec/survey_codebook.md and methodology section 1;
these are hand-checkable cases of its recoding rules."""

import pytest

from monitor.codebook import load_codebook
from monitor.codebook.tables import codebook_tables


@pytest.fixture(scope="module")
def codebook():
    return load_codebook()


def test_every_item_of_the_contract_is_there(codebook):
    assert len(codebook.items) == 28
    assert [s.name for s in codebook.scales.values() if len(s.items) > 1] == [
        "mastery", "buurtbinding", "veerkracht_score", "veranderbereidheid"
    ]
    assert {i.name for i in codebook.items if i.negative} == {
        "mastery_1", "mastery_2", "mastery_3", "mastery_4", "coping_4", "change_3"
    }


@pytest.mark.parametrize(
    "item, answer, score",
    [
        ("coping_1", 1, 10.0),  # helemaal mee eens with a positive statement: most resilient
        ("coping_1", 5, 0.0),
        ("coping_4", 1, 0.0),  # (neg) kept as is: agreeing to 'quickly thrown off balance' is low
        ("coping_4", 4, 7.5),
        ("happiness", 10, 10.0),
        ("happiness", 1, 0.0),
        ("health", 1, 10.0),  # zeer goed
        ("makes_ends_meet", 4, 10.0),  # makkelijk, already higher = better
        ("makes_ends_meet", 2, 10 / 3),
        ("volunteering", 1, 10.0),
        ("volunteering", 2, 0.0),
        ("contact_social", 1, 10.0),  # dagelijks
    ],
)
def test_scores_on_0_to_10(codebook, item, answer, score):
    assert codebook.item(item).score_0_10(answer) == pytest.approx(score)


def test_missing_codes_are_not_answers(codebook):
    codes = codebook_tables(codebook)["codebook_codes"]
    missing = codes[codes["is_missing"]].groupby("column_name")["code"].apply(set)
    assert missing["coping_1"] == {8, 9}
    assert missing["happiness"] == {99}
    assert missing["health"] == {9}
    assert missing["sex"] == {9}
    assert codes.loc[codes["is_missing"], "score_0_10"].isna().all()


def test_sixty_percent_rule_in_valid_items_needed(codebook):
    scales = codebook_tables(codebook)["codebook_scales"].set_index("scale")["min_valid_items"]
    assert scales["veerkracht_score"] == 3  # 3 of 5 = 60 %
    assert scales["buurtbinding"] == 2  # 2 of 3; 1 of 3 is 33 %
    assert scales["happiness"] == 1
