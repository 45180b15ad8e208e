"""The bad-input corpus (tests/bad_inputs/, README.md there): every bad input yields a clear
error at the right stage, naming the file, the column and the rows; nothing downstream runs;
the delivered file is never modified or deleted.

Stages: the loaders refuse what cannot be read (unit tests on the files); the raw GX suites
fail what reads but breaks the contract (suite + runner on the loaded frame, no Dagster); and
`monitor refresh` as a subprocess proves both end to end on a small demo landing zone."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from monitor.cbs.kwb import KwbFileError, load_kwb
from monitor.codebook import load_codebook
from monitor.landing.discover import find_editions
from monitor.landing.survey import SurveyFileError, load_survey
from monitor.reference import brabant_gemeenten
from tests.bad_inputs.make_corpus import DEMO, EDITION

CORPUS = Path(__file__).with_name("bad_inputs")
MONITOR = str(Path(sys.executable).with_name("monitor"))


def _fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture(autouse=True)
def corpus_untouched():
    """No test (no loader) modifies or deletes a corpus file."""
    before = {p.name: _fingerprint(p) for p in CORPUS.iterdir() if p.is_file()}
    yield
    after = {p.name: _fingerprint(p) for p in CORPUS.iterdir() if p.is_file()}
    assert after == before


# --- stage 1: the loaders refuse the file ----------------------------------------------------

SURVEY_REFUSALS = {
    "empty.csv": ["the file is empty (0 bytes)"],
    "header_only.csv": ["header only, no respondent rows"],
    "tab_delimited.csv": ["line 1 (the header) is separated by tabs", "comma- or semicolon-separated"],
    "latin1_encoding.csv": ["not UTF-8 text", "line 7 column woonplaats", "byte 0xeb", "'ë'", "save it again as UTF-8"],
    "truncated_last_line.csv": ["line 7 (the last) has 13 of the header's 38 fields", "cut off (truncated) after column mastery_1",
                                "mastery_2 .. change_3"],
    "missing_required_column.csv": ["required column(s) missing: ['coping_3']"],
    "empty.parquet": ["the file is empty (0 bytes)"],
    "sav_other_value_labels.sav": [
        "SPSS value labels differ from the codebook",
        "column sex: code 1 is labelled 'vrouw' in the file but 'man' in the codebook",
        "column sex: code 2 is labelled 'man' in the file but 'vrouw' in the codebook",
        "row(s) hold it",
    ],
}


def _assert_refused(load, error: type[Exception], path, parts: list[str]) -> None:
    """`load` refuses the file with `error`, and the message starts with the path and holds every part."""
    with pytest.raises(error) as err:
        load(path, EDITION)
    message = str(err.value)
    assert message.startswith(f"{path}:")
    for part in parts:
        assert part in message, message


@pytest.mark.parametrize("name", sorted(SURVEY_REFUSALS))
def test_survey_loader_refuses_with_file_column_and_rows(name):
    _assert_refused(load_survey, SurveyFileError, CORPUS / name, SURVEY_REFUSALS[name])


def test_sav_refusal_counts_the_rows_holding_each_relabelled_code():
    valid = pd.read_csv(CORPUS / "valid_survey.csv", dtype=str)
    with pytest.raises(SurveyFileError) as err:
        load_survey(CORPUS / "sav_other_value_labels.sav", EDITION)
    for code in (1, 2):
        held = int((valid["sex"] == str(code)).sum())
        assert f"code {code} is labelled" in str(err.value) and f"({held} row(s) hold it)" in str(err.value)


def test_extra_columns_are_accepted_and_kept():
    loaded = load_survey(CORPUS / "extra_columns.csv", EDITION)
    assert loaded.extra_columns == ["interviewer", "woonplaats"]
    assert loaded.frame["woonplaats"].tolist()[-1] == "Liëmpde"  # UTF-8 non-ASCII is fine
    assert len(loaded.frame) == 6


KWB_REFUSALS = {
    "kwb_renamed_columns.csv": ["not a CBS KWB export", "missing column(s) Codering, SoortRegio, Gemeentenaam, AantalInwoners",
                                "columns found: region, unique_id, population"],
    "kwb_wrong_year_2020_layout.csv": [
        "the CBS key figures of another year", "column Codering lacks 3 Brabant gemeente(n) of the 2018 layout",
        "GM0738 Aalburg", "GM1959 Altena, from 2019", "on row(s) [", "CBS table 84286NED",
    ],
}


@pytest.mark.parametrize("name", sorted(KWB_REFUSALS))
def test_kwb_loader_refuses_with_file_and_column(name):
    _assert_refused(load_kwb, KwbFileError, CORPUS / name, KWB_REFUSALS[name])


def test_the_2020_layout_file_is_accepted_for_its_own_edition():
    assert len(load_kwb(CORPUS / "kwb_wrong_year_2020_layout.csv", 2020).frame) > 0


def test_landing_zone_without_survey_is_refused_by_discovery(tmp_path):
    from monitor.landing.discover import LandingError

    folder = tmp_path / "landing" / str(EDITION)
    folder.mkdir(parents=True)
    shutil.copy(CORPUS / "valid_kwb.csv", folder / "kwb.csv")
    with pytest.raises(LandingError, match="no survey file"):
        find_editions(tmp_path / "landing")


# --- stage 2: the raw GX suites fail the contract -------------------------------------------


@pytest.fixture(scope="module")
def layout():
    from data_quality.suites.raw_survey_responses import EditionLayout

    frame = load_kwb(CORPUS / "valid_kwb.csv", EDITION).frame
    frame = frame[frame.gemeente_code.isin(brabant_gemeenten(EDITION).gemeente_code)]
    return EditionLayout(
        EDITION,
        sorted(frame.loc[frame.region_type == "Gemeente", "region_code"]),
        sorted(frame.loc[frame.region_type == "Buurt", "region_code"]),
    )


def _survey_outcome(name: str, layout):
    from data_quality.runner import validate_frame
    from data_quality.suites import raw_survey_responses as suite

    codebook = load_codebook()
    loaded = load_survey(CORPUS / name, EDITION, codebook)
    return validate_frame(
        suite.validation_frame(loaded.frame), suite.SUITE_NAME, f"{name} (edition {EDITION})",
        suite.build_suite(codebook, layout), private_columns=codebook.private_columns,
    )


CONTRACT_FAILURES = {
    "duplicated_resp_id.csv": ["column resp_id: expected resp_id is unique within the edition; 2 row(s) violate it"],
    "unknown_gemeente.csv": ["column gemeente_code: expected gemeente_code is a Brabant gemeente in the CBS layout of 2018",
                             "1 row(s) violate it", "e.g. GM0363"],
    "buurt_not_in_gemeente.csv": ["column gemeente_code / buurt_gemeente_code: expected buurt_code lies in gemeente_code",
                                  "1 row(s) violate it", "('GM0772', 'GM0738')"],
    "out_of_range_answers.csv": ["column coping_1: expected coping_1 holds a codebook code", "2 row(s) violate it",
                                 "column age: expected age between 18 and 105; 1 row(s) violate it", "e.g. 12"],
    "wrong_edition.csv": ["column edition: expected edition equals the edition folder (2018); 6 row(s) violate it", "e.g. 2016"],
}


@pytest.mark.parametrize("name", sorted(CONTRACT_FAILURES))
def test_raw_suite_fails_naming_column_and_count(name, layout):
    outcome = _survey_outcome(name, layout)
    text = outcome.failure_text()
    assert not outcome.success
    assert name in outcome.summary_line()  # the file is named
    for part in CONTRACT_FAILURES[name]:
        assert part in text, text
    # one case, one reason: exactly the expectations named above fail
    assert len(outcome.failures) == sum(p.startswith("column ") for p in CONTRACT_FAILURES[name])
    assert "T00" not in text  # respondent ids are never shown


@pytest.mark.parametrize("name", ["valid_survey.csv", "extra_columns.csv"])
def test_valid_and_extra_columns_pass_the_raw_suite(name, layout):
    outcome = _survey_outcome(name, layout)
    assert outcome.success, outcome.failure_text()


def test_valid_kwb_passes_the_raw_cbs_suite():
    from data_quality.runner import validate_frame
    from data_quality.suites import raw_kwb_key_figures as suite
    from monitor.cbs import kwb_variables

    frame = load_kwb(CORPUS / "valid_kwb.csv", EDITION).frame
    outcome = validate_frame(frame, suite.SUITE_NAME, "valid_kwb.csv", suite.build_suite(EDITION))
    assert outcome.success, outcome.failure_text()
    respondents = pd.Series(1, index=brabant_gemeenten(EDITION)["gemeente_code"])  # everyone has respondents
    coverage = suite.gemeente_coverage(frame, brabant_gemeenten(EDITION), respondents, kwb_variables("weighting"))
    for name, specs in [("gemeenten", suite.build_layout_suite(EDITION)), ("margins", suite.build_margins_suite(EDITION, coverage))]:
        outcome = validate_frame(coverage, f"{suite.SUITE_NAME}_{name}", "valid_kwb.csv", specs)
        assert outcome.success, outcome.failure_text()


# --- end to end: `monitor refresh` stops, builds nothing downstream, leaves the file ---------

E2E_CASES = {
    "loader": "truncated_last_line.csv",  # refused by the survey loader
    "contract": "out_of_range_answers.csv",  # fails the blocking raw GX check
    "duplicate": "duplicated_resp_id.csv",  # fails it on the private column resp_id
}


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """Both refreshes run at once (separate landing zones and warehouses), to keep the module fast."""
    from monitor.demo import generate_demo_edition

    runs = {}
    for case, name in E2E_CASES.items():
        root = tmp_path_factory.mktemp(f"bad_{case}")
        written = generate_demo_edition(root / "landing", EDITION, truth_dir=root / "truth", **DEMO)
        survey = written.survey_path
        shutil.copyfile(CORPUS / name, survey)
        env = {**os.environ, "MONITOR_LANDING": str(root / "landing"), "MONITOR_WAREHOUSE": str(root / "warehouse")}
        env.pop("DAGSTER_HOME", None)
        env.pop("MONITOR_DUCKDB_PATH", None)
        before = _fingerprint(survey)
        process = subprocess.Popen([MONITOR, "refresh", "--edition", str(EDITION)], env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        runs[case] = (process, survey, before, root / "warehouse")
    results = {}
    for case, (process, survey, before, warehouse) in runs.items():
        stdout, stderr = process.communicate(timeout=300)
        results[case] = {"returncode": process.returncode, "stdout": stdout, "stderr": stderr,
                         "survey": survey, "before": before, "warehouse": warehouse}
    return results


def _schemas(warehouse: Path) -> set[str]:
    database = warehouse / "warehouse.duckdb"
    if not database.exists():
        return set()
    with duckdb.connect(str(database), read_only=True) as conn:
        return {row[0] for row in conn.execute("select distinct table_schema from information_schema.tables").fetchall()}


@pytest.mark.pipeline
@pytest.mark.parametrize("case", sorted(E2E_CASES))
def test_refresh_fails_and_builds_nothing_downstream(refreshed, case):
    run = refreshed[case]
    assert run["returncode"] == 1, run["stdout"][-3000:] + run["stderr"][-3000:]
    assert "monitor refresh: FAILED" in run["stdout"]
    assert not _schemas(run["warehouse"]) & {"staging", "intermediate", "audit", "monitor"}
    assert "monitor.monitor_area_estimates" in run["stdout"] and "not built" in run["stdout"]


@pytest.mark.pipeline
@pytest.mark.parametrize("case", sorted(E2E_CASES))
def test_landing_file_is_never_modified(refreshed, case):
    run = refreshed[case]
    assert run["survey"].exists()
    assert _fingerprint(run["survey"]) == run["before"]  # bytes and mtime


@pytest.mark.pipeline
def test_refresh_names_file_column_and_rows_of_a_refused_file(refreshed):
    out = refreshed["loader"]["stdout"]
    assert "failed steps:" in out and "raw__survey_responses" in out
    assert "survey.csv: line 7 (the last) has 13 of the header's 38 fields" in out
    assert "after column mastery_1" in out
    assert "what to do: The landing file named above could not be read." in out


@pytest.mark.pipeline
def test_refresh_names_column_and_count_of_a_contract_violation(refreshed):
    out = refreshed["contract"]["stdout"]
    assert "raw_survey_responses_contract" in out and "survey.csv (edition 2018)" in out
    assert "column coping_1:" in out and "2 row(s) violate it" in out
    assert "column age: expected age between 18 and 105; 1 row(s) violate it" in out
    assert "(edition 2018, stage: land (raw files))" in out
    assert "what to do: The survey delivery breaks the codebook contract." in out


@pytest.mark.pipeline
def test_refresh_output_never_shows_a_respondent_id(refreshed):
    """The duplicated id is counted, never printed: not in the summary, the progress lines or
    the Dagster log the CLI prints."""
    run = refreshed["duplicate"]
    out = run["stdout"] + run["stderr"]
    assert "column resp_id: expected resp_id is unique within the edition; 2 row(s) violate it" in out
    ids = set(pd.read_csv(CORPUS / "duplicated_resp_id.csv", dtype=str)["resp_id"])
    shown = {token for token in re.findall(r"[A-Za-z0-9_]+", out) if token in ids}
    assert not shown
