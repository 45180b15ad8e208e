"""The data-quality report per Dagster run (data_quality/report.py): every validation of a run is
rendered from its GX result into one folder whose index.html lists them all; the pages reference
nothing on the network and need no script; failures are visible; respondent ids never are."""

import multiprocessing
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest

from data_quality.expectations import Expect, in_set
from data_quality.runner import validate_frame
from monitor.codebook import load_codebook
from tests.bad_inputs.make_corpus import EDITION
from tests.raw_checks import validate_survey

CORPUS = Path(__file__).parent / "bad_inputs"
STYLE_SHEET = Path(__file__).parents[1] / "data_quality" / "templates" / "report.css"
# long, distinctive ids: short ones such as T001 also occur in GX's run timestamps (…T001512Z)
SECRET_IDS = [f"RESP-SECRET-{i:04d}" for i in range(6)]
# a reference a browser would fetch from the network: src/href attributes, CSS url() and @import,
# with http(s):// or protocol-relative //
NETWORK_REFERENCE = re.compile(r"""(?:\b(?:src|href)\s*=\s*["']?|url\(\s*["']?|@import\s+["']?)\s*(?:https?:)?//""", re.I)


def _unique_ids() -> Expect:
    return Expect("ExpectColumnValuesToBeUnique", "resp_id is unique", {"column": "resp_id"})


def _sex_codes() -> Expect:
    return in_set("sex", [1, 2], "sex is a codebook code (1, 2)")


def _frame(ids: list[str]) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame({"resp_id": ids, "sex": ([1, 2] * n)[:n], "_source_row": range(2, n + 2)})


def _validate(frame, suite, batch, specs, docs_dir=None):

    return validate_frame(frame, suite, batch, specs, private_columns=["resp_id"], docs_dir=docs_dir)


def _text(path: Path) -> str:
    """What a reader of the page sees (tags and scripts removed)."""
    page = re.sub(r"<script.*?</script>|<style.*?</style>", " ", path.read_text(), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))


def _all_files_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file())


class _Rows(HTMLParser):
    """The rows of one kind in a report table (`<tr class="KIND STATUS">`): their status class
    and visible text, nested tables (the unexpected values) included in the row's text."""
    def __init__(self, kind: str):
        super().__init__()
        self.kind, self.rows, self._depth = kind, [], 0

    def handle_starttag(self, tag, attrs):
        if tag != "tr":
            return
        classes = (dict(attrs).get("class") or "").split()
        if self._depth:
            self._depth += 1
        elif classes[:1] == [self.kind]:
            self.rows.append((" ".join(classes[1:]), []))
            self._depth = 1

    def handle_endtag(self, tag):
        if tag == "tr" and self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.rows[-1][1].append(data)


def _rows(path: Path, kind: str) -> list[tuple[str, str]]:
    parser = _Rows(kind)
    parser.feed(path.read_text(encoding="utf-8"))
    return [(status, re.sub(r"\s+", " ", "".join(text)).strip()) for status, text in parser.rows]


def _index_links(index: Path) -> list[Path]:
    links = re.findall(r'href="(validations/[^"]+)"', index.read_text(encoding="utf-8"))
    return [index.parent / unquote(unescape(link)) for link in links]


def test_index_lists_every_validation_of_the_run(tmp_path):
    run = tmp_path / "run-1"
    first = _validate(_frame(SECRET_IDS[:3]), "suite_weights", "weights (edition 2018)", [_sex_codes()], run)
    second = _validate(_frame(SECRET_IDS[3:]), "suite_margins", "margins (edition 2018)", [_unique_ids()], run)

    index = (run / "index.html").read_text()
    for outcome in (first, second):
        assert outcome.docs_index == str(run / "index.html")
        assert Path(outcome.docs_path).is_file() and Path(outcome.docs_path).is_relative_to(run)
        assert outcome.suite_name in index and outcome.batch_name in index
        assert f"GX Data Docs of this validation: `{outcome.docs_path}`" in outcome.to_markdown()
    assert _index_links(run / "index.html") == [Path(first.docs_path), Path(second.docs_path)]  # one row each


def test_failing_expectation_is_visible_in_the_page(tmp_path):
    frame = _frame(SECRET_IDS[:4]).assign(sex=[1, 7, 2, 7])
    specs = [_sex_codes(), _unique_ids()]
    outcome = _validate(frame, "raw_survey_responses", "survey.csv (edition 2018)", specs, tmp_path)

    page = _text(Path(outcome.docs_path))
    assert not outcome.success
    assert "Status: Failed" in page and "Unsuccessful Expectations 1" in page
    assert "values must belong to this set: 1 2" in page
    assert "2 unexpected values found" in page and "Unexpected Value Count 7 2" in page  # the bad code, twice
    assert "**FAIL**" not in page  # the report's rendering, not the check's markdown
    assert [status for status, _ in _rows(Path(outcome.docs_index), "validation")] == ["failed"]  # the index row


def test_private_ids_never_reach_the_docs(tmp_path):
    ids = [SECRET_IDS[0], SECRET_IDS[0], *SECRET_IDS[1:4], SECRET_IDS[3]]  # two ids duplicated
    frame = _frame(ids).assign(sex=[1, 7, 2, 1, 7, 2])
    regex = Expect("ExpectColumnValuesToMatchRegex", "resp_id matches T\\d+", {"column": "resp_id", "regex": r"^T\d+$"})
    specs = [_unique_ids(), regex, _sex_codes()]
    outcome = _validate(frame, "raw_survey_responses", "survey.csv (edition 2018)", specs, tmp_path)

    unique = next(o for o in outcome.outcomes if o.expectation == "ExpectColumnValuesToBeUnique")
    assert unique.unexpected_count == 4 and unique.rows == [2, 3, 6, 7]  # the lines stay in the outcome
    written = _all_files_text(tmp_path)  # pages, index and the stored JSON results
    assert "values must be unique" in _text(Path(outcome.docs_path))  # rendered, with counts only
    assert not [i for i in set(ids) if i in written]


def test_private_values_in_another_column_are_scrubbed_too(tmp_path):
    """An id copied into a column not declared private is still kept out of the docs."""
    frame = _frame(SECRET_IDS[:3]).assign(alias=SECRET_IDS[:3])
    alias = in_set("alias", ["x"], "alias is x")
    outcome = _validate(frame, "suite", "batch", [alias, _sex_codes()], tmp_path)

    assert outcome.failures[0].unexpected_count == 3
    assert "3 unexpected values found" in _text(Path(outcome.docs_path))
    assert not [i for i in SECRET_IDS[:3] if i in _all_files_text(tmp_path)]


def _corpus_layout():
    from data_quality.suites import raw_survey_responses as suite
    from monitor.cbs.kwb import load_kwb

    return suite.edition_layout(EDITION, load_kwb(CORPUS / "valid_kwb.csv", EDITION).frame)


def test_raw_survey_suite_docs_keep_the_duplicated_id_out(tmp_path):
    """The real 80-odd expectations of the raw suite, on the corpus file with a duplicated id."""
    from monitor.landing.survey import load_survey

    codebook = load_codebook()
    rows = load_survey(CORPUS / "duplicated_resp_id.csv", EDITION, codebook).frame
    rows["resp_id"] = "RESP-SECRET-" + rows["resp_id"].astype(str)  # distinctive, see SECRET_IDS
    batch = "duplicated_resp_id.csv (edition 2018)"
    outcome = validate_survey(rows, codebook, _corpus_layout(), batch, docs_dir=tmp_path)[0]

    assert [f.column for f in outcome.failures] == ["resp_id"]
    assert "Unsuccessful Expectations 1" in _text(Path(outcome.docs_path))
    written = _all_files_text(tmp_path)
    assert not [i for i in rows["resp_id"] if i in written]


def test_ids_under_another_name_never_reach_the_docs(tmp_path):
    """resp_id and gemeente_code swapped in the header (corpus swapped_resp_id_gemeente.csv): the ids
    fail four expectations under the name gemeente_code; the raw check's validations keep every value
    of the file out of the pages, the index and the stored results, and still show the failures."""
    from monitor.landing.survey import load_survey

    codebook = load_codebook()
    rows = load_survey(CORPUS / "swapped_resp_id_gemeente.csv", EDITION, codebook).frame
    rows["gemeente_code"] = "RESP-SECRET-" + rows["gemeente_code"].astype(str)  # the ids, distinctive
    outcomes = validate_survey(rows, codebook, _corpus_layout(), "survey.csv (edition 2018)", docs_dir=tmp_path)

    respondents = outcomes[0]
    assert {f.column for f in respondents.failures} == {"resp_id", "gemeente_code", "gemeente_code / buurt_gemeente_code"}
    assert "Unsuccessful Expectations 4" in _text(Path(respondents.docs_path))
    written = _all_files_text(tmp_path)
    assert not [i for i in rows["gemeente_code"] if i in written]
    assert "RESP-SECRET" not in written + respondents.to_markdown() + respondents.failure_text()


def test_without_docs_dir_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # GX writes relative to the working directory when it writes at all
    outcome = _validate(_frame(SECRET_IDS[:2] * 2), "suite", "batch", [_unique_ids()])
    assert not outcome.success
    assert outcome.docs_path is None and outcome.docs_index is None
    assert "Data Docs" not in outcome.to_markdown()
    assert list(tmp_path.iterdir()) == []


def test_check_metadata_links_the_run_index(tmp_path, monkeypatch):
    """A real Dagster run: the check writes under <MONITOR_WAREHOUSE>/data_quality/<run_id>/ and
    its metadata points at that folder's index.html."""
    from dagster import AssetCheckExecutionContext, AssetCheckResult, asset, asset_check, materialize

    from orchestration.checks.results import check_result, data_docs_dir

    monkeypatch.setenv("MONITOR_WAREHOUSE", str(tmp_path))

    @asset
    def people() -> None:
        return None

    @asset_check(asset=people)
    def people_contract(context: AssetCheckExecutionContext) -> AssetCheckResult:
        outcome = _validate(_frame(SECRET_IDS[:2]), "people", "people", [_sex_codes()], data_docs_dir(context))
        return check_result(context, [outcome])

    result = materialize([people, people_contract])
    evaluation = result.get_asset_check_evaluations()[0]
    index = tmp_path / "data_quality" / result.run_id / "index.html"
    assert evaluation.passed
    assert evaluation.metadata["data_docs"].value == str(index)
    assert index.is_file()


@pytest.mark.parametrize("batch", ["a/b (edition 2018)", "..", ""])
def test_batch_names_stay_inside_the_docs_folder(batch):
    from data_quality.report import path_segment

    assert "/" not in path_segment(batch) and path_segment(batch) not in {"", ".", ".."}


def test_no_report_file_references_the_network(tmp_path):
    """On the users' servers (no internet) a page that loads its styles or scripts from a CDN shows
    no list and no difference between pass and fail: no page, style sheet or script of a report
    folder references anything on the network, and the pages need no script at all."""
    gx_like = ['<link href="https://cdn.x/b.css">', "<script src='//cdn.x/j.js'>", "url( http://x/f.png)", '@import "https://x/a.css"']
    assert all(NETWORK_REFERENCE.search(sample) for sample in gx_like)  # the pattern finds what GX's pages had
    failing = _frame(SECRET_IDS[:4]).assign(sex=[1, 7, 2, 1])
    _validate(failing, "suite_a", "a.csv (edition 2018)", [_sex_codes(), _unique_ids()], tmp_path)
    _validate(_frame(SECRET_IDS[4:]), "suite_b", "b/c", [_sex_codes()], tmp_path)

    files = [p for p in tmp_path.rglob("*") if p.suffix in {".html", ".css", ".js"}]
    assert len(files) == 3  # the index and two pages, their styles inline
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not NETWORK_REFERENCE.findall(text), path
        assert "<script" not in text.lower(), path


def test_failed_and_passed_expectations_look_different_without_script(tmp_path):
    frame = _frame(SECRET_IDS[:4]).assign(sex=[1, 7, 2, 1])
    outcome = _validate(frame, "suite", "survey.csv (edition 2018)", [_unique_ids(), _sex_codes()], tmp_path)

    page = Path(outcome.docs_path)
    (failed_class, failed), (passed_class, passed) = _rows(page, "expectation")  # failures first
    assert (failed_class, passed_class) == ("failed", "passed")
    assert failed.startswith("✘ FAILED") and "sex values must belong to this set: 1 2" in failed  # in words
    assert passed.startswith("✔ passed") and "resp_id values must be unique" in passed
    html = page.read_text(encoding="utf-8")
    assert re.search(r"tr\.failed\s*\{[^}]*background", html)  # and in colour, by the inline style sheet,
    assert STYLE_SHEET.read_text(encoding="utf-8") in html  # whole (not autoescaped: its ">" selectors would break)
    [(status, row)] = _rows(Path(outcome.docs_index), "validation")  # the index row: 1 of 2 met, 4 rows
    assert status == "failed" and row.startswith("✘ Failed suite survey.csv (edition 2018) 1 / 2 4 ")


def _write_validations(docs_dir: Path, process: int, barrier) -> None:
    barrier.wait()  # both processes write into the folder at the same time
    for i in range(3):
        batch = f"batch {i} of process {process}"
        _validate(_frame(SECRET_IDS[:2]), f"suite_{process}", batch, [_sex_codes()], docs_dir)


def test_index_lists_validations_written_by_two_processes(tmp_path):
    """Checks of one Dagster run write into one folder from parallel processes: the index lists
    each validation once, with a link to its page."""
    # the parent writes too, and so imports GX before the fork
    first = _validate(_frame(SECRET_IDS[:2]), "suite_0", "batch of the parent", [_sex_codes()], tmp_path)
    context = multiprocessing.get_context("fork")  # the children share the parent's imports
    barrier = context.Barrier(2)
    processes = [context.Process(target=_write_validations, args=(tmp_path, p, barrier)) for p in (1, 2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [p.exitcode for p in processes] == [0, 0]

    index = Path(first.docs_index)
    batches = [text for _, text in _rows(index, "validation")]
    expected = ["batch of the parent", *(f"batch {i} of process {p}" for p in (1, 2) for i in range(3))]
    assert len(batches) == len(expected) == 7
    assert all(sum(name in text for text in batches) == 1 for name in expected)
    links = _index_links(index)
    assert len(set(links)) == 7 and all(link.is_file() for link in links)


def test_an_expectation_that_could_not_be_evaluated_says_why(tmp_path):
    """An expectation on a column the rows do not have fails with that reason on its page."""
    outcome = _validate(_frame(SECRET_IDS[:2]), "suite", "batch", [in_set("postcode", ["5611"], "postcode known")], tmp_path)

    [(status, row)] = _rows(Path(outcome.docs_path), "expectation")
    assert status == "failed" and 'could not be evaluated: the column "postcode" is not in the table' in row
