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
    "truncated_last_line.csv": ["line 9 (the last) has 13 of the header's 38 fields", "cut off (truncated) after column mastery_1",
                                "mastery_2 .. change_3"],
    "missing_required_column.csv": ["required column(s) missing: ['coping_3']", "Deliver the file with every required column"],
    "utf16_encoding.csv": ["UTF-16 text; expected UTF-8", "save it again as UTF-8", "`iconv -f UTF-16 -t UTF-8 in.csv > out.csv`"],
    "not_a_survey.csv": ["required column(s) missing: ['resp_id', 'edition'", "Found 3 columns: ['klantnummer', 'naam', 'adres']"],
    "duplicate_header.csv": ["the header names 1 column(s) more than once", "column age at positions 6 and 39 (as 'age' and 'age')",
                             "give every column its own codebook name (or remove the extra copy) and deliver the file again"],
    "duplicate_header_renamed.csv": ["column happiness at positions 11 and 12", "the required column(s) ['health'] are missing"],
    "duplicate_header_case.parquet": ["column age at positions 6 and 39 (as 'age' and 'AGE ')", "compared without case and spaces"],
    "duplicate_header_case.sav": ["column age at positions 6 and 39 (as 'age' and 'AGE')"],
    "swapped_resp_id_age.csv": ["column age: 8 row(s) are not whole numbers, e.g. line(s) [2, 3, 4, 5, 6] (8 distinct; values not shown",
                                "column(s) age hold values that look like respondent ids",
                                "correct the column names and deliver the file again"],
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


def _corpus_ids(name: str) -> set[str]:
    """The respondent ids of a corpus file, wherever its header puts them (T001 ...)."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    return set(re.findall(r"\bT\d{3}\b", text))


def test_swapped_header_refusal_never_shows_an_id():
    with pytest.raises(SurveyFileError) as err:
        load_survey(CORPUS / "swapped_resp_id_age.csv", EDITION)
    assert not {i for i in _corpus_ids("swapped_resp_id_age.csv") if i in str(err.value)}, str(err.value)


def test_a_giant_first_line_is_refused_from_its_start(tmp_path):
    """One line longer than any header (a 200 MB file of one line took ~2 GB and minutes before it
    was refused): refused from its first MAX_HEADER_BYTES, saying why."""
    from monitor.landing.survey import MAX_HEADER_BYTES

    path = tmp_path / "survey.csv"
    path.write_bytes(b"abcdefghij," * (MAX_HEADER_BYTES // 10 + 1))
    _assert_refused(load_survey, SurveyFileError, path, [
        "line 1 (the header) is longer than 1,048,576 bytes without a line end", "no header of column names",
        "deliver the survey file as CSV with one line per respondent",
    ])


def test_the_whole_file_checks_read_line_by_line(tmp_path):
    """A survey header, then a body with a cut-off last line after many lines: the refusal names
    that line (the scan reads the file line by line, never whole)."""
    header, *rows = (CORPUS / "valid_survey.csv").read_text().splitlines()
    body = "\n".join(rows * 5000)
    path = tmp_path / "survey.csv"
    path.write_text(f"{header}\n{body}\n{rows[0][:40]}", encoding="utf-8")
    _assert_refused(load_survey, SurveyFileError, path, [f"line {len(rows) * 5000 + 2} (the last) has"])


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
    assert loaded.frame["woonplaats"].tolist()[5] == "Liëmpde"  # UTF-8 non-ASCII is fine
    assert len(loaded.frame) == 8


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
    from data_quality.suites.raw_survey_responses import edition_layout

    return edition_layout(EDITION, load_kwb(CORPUS / "valid_kwb.csv", EDITION).frame)


def _survey_outcomes(name: str, layout):
    """The raw check's validations (respondents, raking pools) of the corpus file, as the check runs them."""
    from tests.raw_checks import validate_survey

    codebook = load_codebook()
    loaded = load_survey(CORPUS / name, EDITION, codebook)
    return validate_survey(loaded.frame, codebook, layout, f"{name} (edition {EDITION})")


CONTRACT_FAILURES = {
    "duplicated_resp_id.csv": ["column resp_id: expected resp_id is unique within the edition; 2 row(s) violate it"],
    "unknown_gemeente.csv": ["column gemeente_code: expected gemeente_code is a Brabant gemeente in the CBS layout of 2018",
                             "1 row(s) violate it", "e.g. GM0363"],
    "buurt_not_in_gemeente.csv": ["column gemeente_code / buurt_gemeente_code: expected buurt_code lies in gemeente_code",
                                  "1 row(s) violate it", "('GM0772', 'GM0738')"],
    "out_of_range_answers.csv": ["column coping_1: expected coping_1 holds a codebook code", "2 row(s) violate it",
                                 "column age: expected age between 18 and 105; 1 row(s) violate it", "e.g. 12"],
    "wrong_edition.csv": ["column edition: expected edition equals the edition folder (2018); 8 row(s) violate it", "e.g. 2016"],
    # ids under the name gemeente_code: counts and lines, never a value of the file, and what to do
    "swapped_resp_id_gemeente.csv": [
        "column resp_id: expected resp_id is unique within the edition; 6 row(s) violate it",
        "column gemeente_code: expected gemeente_code matches ^GM[0-9]{4}$; 8 row(s) violate it (100.0 %); line(s) 2, 3, 4, 5, 6; "
        "values not shown: the header does not fit the content (values like respondent ids in gemeente_code)",
        "column gemeente_code: expected gemeente_code is a Brabant gemeente in the CBS layout of 2018 (64 gemeenten); 8 row(s)",
        "column gemeente_code / buurt_gemeente_code: expected buurt_code lies in gemeente_code",
        "column pool_without_respondents: expected every COROP region (raking pool) of the 2018 layout has respondents",
        "The header does not fit the content: column(s) gemeente_code hold values that look like respondent ids (resp_id holds "
        "4 distinct value(s) in 8 rows, not ids: resp_id and gemeente_code look swapped)",
        "correct the column names and deliver the file again",
    ],
    # too few, or too concentrated, to weight: said at the raw stage, not by the raking
    "five_respondents.csv": [
        "column pool_without_respondents: expected every COROP region (raking pool) of the 2018 layout has respondents: "
        "the weighting rakes a region's gemeenten with fewer than 100 respondents together",
        "2 row(s) violate it", "e.g. CR33 West-Noord-Brabant has none (13 gemeente(n) in its pool), "
        "CR35 Noordoost-Noord-Brabant has none (17 gemeente(n) in its pool)",
    ],
    "one_gemeente.csv": [
        "column pool_without_respondents: expected every COROP region (raking pool)", "3 row(s) violate it",
        "CR33 West-Noord-Brabant has none", "CR34 Midden-Noord-Brabant has none", "CR35 Noordoost-Noord-Brabant has none",
    ],
}


@pytest.mark.parametrize("name", sorted(CONTRACT_FAILURES))
def test_raw_suite_fails_naming_column_and_count(name, layout):
    outcomes = _survey_outcomes(name, layout)
    text = "\n".join(o.failure_text() for o in outcomes)
    assert not all(o.success for o in outcomes)
    assert all(name in o.summary_line() for o in outcomes)  # the file is named
    for part in CONTRACT_FAILURES[name]:
        assert part in text, text
    # one case, one reason: exactly the expectations named above fail
    assert sum(len(o.failures) for o in outcomes) == sum(p.startswith("column ") for p in CONTRACT_FAILURES[name])
    shown = {i for i in _corpus_ids(name) if re.search(rf"\b{i}\b", text + "".join(o.to_markdown() for o in outcomes))}
    assert not shown  # respondent ids are never shown, wherever the header put them


@pytest.mark.parametrize("name", ["valid_survey.csv", "extra_columns.csv"])
def test_valid_and_extra_columns_pass_the_raw_suite(name, layout):
    outcomes = _survey_outcomes(name, layout)
    assert all(o.success for o in outcomes), "\n".join(o.failure_text() for o in outcomes)


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
    "pools": "five_respondents.csv",  # fails it before the raking would: regions without respondents
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
    assert "survey.csv: line 9 (the last) has 13 of the header's 38 fields" in out
    assert "after column mastery_1" in out
    assert "what to do: The landing file named above could not be read." in out


@pytest.mark.pipeline
def test_refresh_names_column_and_count_of_a_contract_violation(refreshed):
    out = refreshed["contract"]["stdout"]
    assert "raw_survey_responses_contract" in out and "survey.csv (edition 2018)" in out
    assert "column coping_1:" in out and "2 row(s) violate it" in out
    assert "column age: expected age between 18 and 105; 1 row(s) violate it" in out
    assert "(edition 2018, layer: raw (the landing files))" in out
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


@pytest.mark.pipeline
def test_too_few_respondents_are_refused_at_the_raw_stage_not_by_the_raking(refreshed):
    out = refreshed["pools"]["stdout"]
    assert "raking pools of survey.csv (edition 2018)" in out
    assert "expected every COROP region (raking pool) of the 2018 layout has respondents" in out
    assert "CR33 West-Noord-Brabant has none" in out and "CR35 Noordoost-Noord-Brabant has none" in out
    assert "(edition 2018, layer: raw (the landing files))" in out
    assert "has targets but no respondents" not in out  # the weighting never ran
    assert "A COROP region without respondents (raking pools) means an incomplete delivery" in " ".join(out.split())


@pytest.mark.parametrize("encoding, name", [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-32", "UTF-32")])
def test_both_loaders_name_a_wide_encoding_alike(tmp_path, encoding, name):
    """One rule (monitor/landing/text.py) for the survey and the CBS loader: UTF-16/UTF-32 text, by
    its BOM or without one by its NUL bytes, is named and how to convert it is said."""
    parts = [f"{name} text; expected UTF-8", f"`iconv -f {name} -t UTF-8 in.csv > out.csv`"]
    for source, load, error in [("valid_survey.csv", load_survey, SurveyFileError), ("valid_kwb.csv", load_kwb, KwbFileError)]:
        path = tmp_path / source
        path.write_bytes((CORPUS / source).read_text(encoding="utf-8-sig").encode(encoding))
        _assert_refused(load, error, path, parts)
