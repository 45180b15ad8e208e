"""CBS key figures beyond the StatLine CSV: the folder cbsodata writes with `dir=`, and
`fetch_kwb`, which downloads it.

Fixtures (tests/fixtures/cbsodata/, written by make_fixtures.py there) are 11 real rows of
table 84583NED (Amsterdam, 2019) in the shape cbsodata 1.x saves, once untyped and once typed.
The download tests run the real cbsodata client against a small HTTP server on 127.0.0.1 that
answers like the CBS OData feed from those recorded parts (paging, $filter, IIS's limit on the
query string); nothing else is contacted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pandas as pd
import pytest

from monitor.cbs.fetch import (
    MAX_QUERY_CHARS,
    CbsDownloadExists,
    CbsFetchError,
    fetch_kwb,
    filter_batches,
    gemeente_filter,
)
from monitor.cbs.kwb import KwbFileError, load_kwb
from monitor.reference import brabant_gemeenten
from monitor.settings import REPO_ROOT
from tests.loopback import closed_port, serve

FIXTURES = Path(__file__).parent / "fixtures" / "cbsodata"
UNTYPED = FIXTURES / "84583NED_untyped"
TYPED = FIXTURES / "84583NED_typed"
DOWNLOADS = {"untyped": UNTYPED, "typed": TYPED}
DATA_SET = {"untyped": "UntypedDataSet", "typed": "TypedDataSet"}
METADATA_PARTS = ("TableInfos", "DataProperties", "CategoryGroups", "WijkenEnBuurten")
CODES = ["GM0363", "WK036300", "BU03630000", "BU03630001", "BU03630002", "BU03630003",
         "WK036301", "BU03630100", "BU03630101", "BU03630102", "BU03630103"]
SHARED_DIR = Path(os.environ.get("MONITOR_SHARED_DIR", REPO_ROOT.parent / "shared"))
KWB_2019 = SHARED_DIR / "data" / "cbs" / "kwb_2019_84583NED_amsterdam.csv"
SOURCE_COLUMNS = ["_source_file", "_source_row"]


def _frame(load) -> pd.DataFrame:
    return load.frame.drop(columns=SOURCE_COLUMNS)


# --- reading a cbsodata folder ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["untyped", "typed"])
def test_fixture_layout_is_what_cbsodata_writes(kind):
    folder = DOWNLOADS[kind]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.json" for n in (*METADATA_PARTS, DATA_SET[kind]))
    for part in folder.iterdir():
        assert isinstance(json.loads(part.read_text()), list), part.name  # a part's `value` list
    infos = json.loads((folder / "TableInfos.json").read_text())
    assert infos[0]["Identifier"] == "84583NED"


@pytest.mark.parametrize("kind", ["untyped", "typed"])
def test_fixture_reads_cleaned_and_typed(kind):
    load = load_kwb(DOWNLOADS[kind], 2019)
    assert load.rejected.empty
    assert load.table_id == "84583NED"
    frame = load.frame
    assert frame["region_code"].tolist() == CODES  # "GM0363    " in the file: stripped
    assert frame["region_type"].value_counts().to_dict() == {"Buurt": 8, "Wijk": 2, "Gemeente": 1}
    assert (frame["gemeente_code"] == "GM0363").all() and (frame["gemeente_name"] == "Amsterdam").all()
    assert frame["cbs_row_id"].tolist() == [*range(920, 926), *range(927, 932)] and frame["cbs_row_id"].dtype == "Int64"
    gm = frame.set_index("region_code").loc["GM0363"]
    assert gm["AantalInwoners"] == 862965
    assert gm["GemiddeldInkomenPerInwoner"] == pytest.approx(31.3)
    assert pd.isna(gm["MeestVoorkomendePostcode"]) and pd.isna(gm["indeling_wijziging"])  # "." -> NULL
    buurt = frame.set_index("region_code").loc["BU03630100"]
    assert buurt[["GemiddeldeWoningwaarde", "GemiddeldInkomenPerInwoner", "AfstandTotHuisartsenpraktijk"]].isna().all()
    for column in ("AantalInwoners", "GemiddeldeHuishoudensgrootte", "GemiddeldElektriciteitsverbruikAppartement",
                   "GemiddeldAardgasverbruikAppartement", "MateVanStedelijkheid"):
        assert pd.api.types.is_float_dtype(frame[column]), column
    assert pd.api.types.is_string_dtype(frame["MeestVoorkomendePostcode"])
    assert load.source_columns["GemiddeldAardgasverbruikAppartement"] == "Appartement_56"
    assert frame["_source_file"].eq(f"84583NED_{kind}/{DATA_SET[kind]}.json").all()
    assert frame["_source_row"].tolist() == list(range(1, 12))  # position in the data set


def test_typed_and_untyped_read_the_same():
    pd.testing.assert_frame_equal(_frame(load_kwb(TYPED, 2019)), _frame(load_kwb(UNTYPED, 2019)))


@pytest.mark.skipif(not KWB_2019.is_file(), reason=f"real CBS export {KWB_2019} not found (set MONITOR_SHARED_DIR)")
@pytest.mark.parametrize("kind", ["untyped", "typed"])
def test_fixture_reads_as_the_real_csv_rows(kind):
    from_dir = _frame(load_kwb(DOWNLOADS[kind], 2019))
    csv = load_kwb(KWB_2019, 2019).frame
    from_csv = csv[csv["region_code"].isin(CODES)].reset_index(drop=True)[from_dir.columns]
    pd.testing.assert_frame_equal(from_dir, from_csv)


def _copy(tmp_path: Path, kind: str = "untyped") -> Path:
    folder = tmp_path / "kwb"
    shutil.copytree(DOWNLOADS[kind], folder)
    return folder


def _edit_records(folder: Path, edit, kind: str = "untyped") -> None:
    part = folder / f"{DATA_SET[kind]}.json"
    part.write_text(json.dumps(edit(json.loads(part.read_text())), indent=2))


@pytest.mark.parametrize("kind", ["untyped", "typed"])
def test_missing_identification_columns_are_refused(tmp_path, kind):
    folder = _copy(tmp_path, kind)
    _edit_records(folder, lambda rows: [{k: v for k, v in r.items() if k not in ("Codering_3", "SoortRegio_2")}
                                        for r in rows], kind)
    with pytest.raises(KwbFileError, match=r"missing column\(s\) Codering, SoortRegio") as err:
        load_kwb(folder, 2019)
    assert str(folder) in str(err.value) and "AantalInwoners_5" in str(err.value)  # the columns found


def test_folder_without_data_set_is_refused(tmp_path):
    folder = _copy(tmp_path)
    (folder / "UntypedDataSet.json").unlink()
    with pytest.raises(KwbFileError) as err:
        load_kwb(folder, 2019)
    message = str(err.value)
    assert "not a cbsodata download" in message and "UntypedDataSet.json or TypedDataSet.json" in message
    assert "TableInfos.json" in message  # what was found
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(KwbFileError, match="not a cbsodata download.*found: nothing"):
        load_kwb(empty, 2019)


def test_folder_with_both_data_sets_or_another_table_is_refused(tmp_path):
    folder = _copy(tmp_path)
    shutil.copyfile(TYPED / "TypedDataSet.json", folder / "TypedDataSet.json")
    with pytest.raises(KwbFileError, match="both UntypedDataSet.json and TypedDataSet.json"):
        load_kwb(folder, 2019)
    with pytest.raises(KwbFileError, match="table 84583NED.*reads table 84799NED"):
        load_kwb(UNTYPED, 2020)


def test_broken_json_is_refused(tmp_path):
    folder = _copy(tmp_path)
    (folder / "UntypedDataSet.json").write_text('[{"ID": 1,')
    with pytest.raises(KwbFileError, match="not valid JSON"):
        load_kwb(folder, 2019)
    (folder / "UntypedDataSet.json").write_text('{"value": []}')
    with pytest.raises(KwbFileError, match="not a list of records"):
        load_kwb(folder, 2019)
    (folder / "UntypedDataSet.json").write_text("[]")
    with pytest.raises(KwbFileError, match="no rows"):
        load_kwb(folder, 2019)


@pytest.mark.parametrize("kind", ["untyped", "typed"])
def test_unreadable_records_are_rejected_with_a_reason(tmp_path, kind):
    folder = _copy(tmp_path, kind)

    def spoil(rows):
        rows[1]["AantalInwoners_5"] = "abc"  # row 2: WK036300
        del rows[2]["Mannen_6"]  # row 3: BU03630000
        rows[3]["Codering_3"] = "XX123"  # row 4: BU03630001
        return [*rows, 42]  # row 12: not an object

    _edit_records(folder, spoil, kind)
    load = load_kwb(folder, 2019)
    assert load.frame["region_code"].tolist() == [c for c in CODES if c not in ("WK036300", "BU03630000", "BU03630001")]
    reasons = dict(zip(load.rejected["source_row"], load.rejected["reason"]))
    assert set(reasons) == {2, 3, 4, 12}
    assert "AantalInwoners" in reasons[2] and "'abc'" in reasons[2]
    assert "lacks field(s) Mannen_6" in reasons[3]
    assert "'XX123'" in reasons[4]
    assert "not an object" in reasons[12]
    assert load.rejected.loc[load.rejected["source_row"] == 12, "_extra_fields"].item() == "42"
    assert load.rejected["source_file"].eq(f"kwb/{DATA_SET[kind]}.json").all()


def test_newer_name_of_the_layout_change_column(tmp_path):
    # tables from 2022 on call column 4 `IndelingswijzigingGemeenteWijkBuurt_4`
    folder = _copy(tmp_path, "typed")
    old, new = "IndelingswijzigingWijkenEnBuurten_4", "IndelingswijzigingGemeenteWijkBuurt_4"
    _edit_records(folder, lambda rows: [{(new if k == old else k): v for k, v in r.items()} for r in rows], "typed")
    load = load_kwb(folder, 2019)
    assert load.frame["indeling_wijziging"].tolist() == _frame(load_kwb(TYPED, 2019))["indeling_wijziging"].tolist()
    assert "IndelingswijzigingGemeenteWijkBuurt" not in load.unknown_columns
    assert "IndelingswijzigingGemeenteWijkBuurt" not in load.frame.columns


# --- a recorded CBS OData feed on 127.0.0.1 -----------------------------------------------

IIS_MAX_QUERY = 2048  # IIS's default maxQueryString: longer requests get 404.15
FILTER_TERM = re.compile(r"substringof\('([A-Z]{2}\d{4})',Codering_3\)")


class RecordedFeed:
    """Answers like https://opendata.cbs.nl/ODataFeed/odata/84583NED/... from the fixture
    parts: the table root, each part as {"odata.metadata", "value"}, the data sets filtered by
    the `substringof(...,Codering_3) or ...` filters fetch_kwb sends, in pages of `page_size`
    rows linked by odata.nextLink (as the feed pages its results)."""

    table_id = "84583NED"
    parts = ("TableInfos", "UntypedDataSet", "TypedDataSet", "DataProperties", "CategoryGroups", "WijkenEnBuurten")

    def __init__(self, page_size: int = 4):
        self.page_size = page_size
        self.requests: list[str] = []  # path?query of every request
        self.base = ""

    def answer(self, target: str) -> tuple[int, dict]:
        self.requests.append(target)
        url = urlsplit(target)
        if len(url.query) > IIS_MAX_QUERY:
            return 404, {"error": "HTTP Error 404.15 - Not Found: the query string is too long"}
        prefix = f"/ODataFeed/odata/{self.table_id}/"
        if not url.path.startswith(prefix):
            return 404, {"odata.error": {"message": {"value": f"no table at {url.path}"}}}
        part = url.path[len(prefix):]
        table_url = self.base + prefix
        if part == "":
            return 200, {"odata.metadata": table_url + "$metadata",
                         "value": [{"name": name, "url": table_url + name} for name in self.parts]}
        if part not in self.parts:
            return 404, {"odata.error": {"message": {"value": f"no part {part}"}}}
        folder = TYPED if part == "TypedDataSet" else UNTYPED
        rows = json.loads((folder / f"{part}.json").read_text())
        body = {"odata.metadata": f"{table_url}$metadata#Cbs.OData.WebAPI.{part}"}
        if part not in ("UntypedDataSet", "TypedDataSet"):
            return 200, {**body, "value": rows}
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if "$filter" in query:
            terms = query["$filter"].split(" or ")
            prefixes = [FILTER_TERM.fullmatch(term) for term in terms]
            if not all(prefixes):
                return 400, {"odata.error": {"message": {"value": f"filter not understood: {query['$filter']}"}}}
            wanted = {m.group(1) for m in prefixes}
            rows = [r for r in rows if any(w in r["Codering_3"] for w in wanted)]
        skip = int(query.get("$skip", 0))
        page = rows[skip: skip + self.page_size]
        if skip + self.page_size < len(rows):
            rest = {k: v for k, v in query.items() if k != "$skip"}
            body["odata.nextLink"] = f"{table_url}{part}?" + urlencode({**rest, "$skip": skip + self.page_size})
        return 200, {**body, "value": page}

    def data_set_requests(self) -> list[str]:
        return [r for r in self.requests if "DataSet" in urlsplit(r).path]


@contextmanager
def recorded_feed(**options):
    feed = RecordedFeed(**options)

    def answer(path: str) -> tuple[int, bytes, dict[str, str]]:
        status, body = feed.answer(path)
        return status, json.dumps(body).encode(), {"Content-Type": "application/json;charset=utf-8"}

    with serve(answer) as base:
        feed.base = base
        yield feed


def test_filter_batches_stay_under_the_query_limit():
    codes = list(brabant_gemeenten(2019)["gemeente_code"])
    assert len(gemeente_filter(codes)) > IIS_MAX_QUERY  # why one request is not enough
    batches = filter_batches(codes)
    assert [c for batch in batches for c in batch] == codes
    assert len(batches) > 1
    for batch in batches:
        assert len(urlencode({"$format": "json", "$filter": gemeente_filter(batch)})) <= MAX_QUERY_CHARS
    assert gemeente_filter(["GM0796"]) == (
        "substringof('GM0796',Codering_3) or substringof('WK0796',Codering_3) or substringof('BU0796',Codering_3)"
    )


@pytest.mark.parametrize("kind", ["untyped", "typed"])
def test_fetch_kwb_downloads_what_load_kwb_reads(tmp_path, kind):
    # Brabant's gemeenten and Amsterdam: several requests, one of which finds the recorded rows
    codes = [*brabant_gemeenten(2019)["gemeente_code"], "GM0363"]
    with recorded_feed() as feed:
        folder = fetch_kwb(2019, tmp_path, codes, typed=kind == "typed", base_url=feed.base)
    assert folder == tmp_path / "2019" / "kwb"
    assert sorted(p.name for p in (tmp_path / "2019").iterdir()) == ["kwb"]  # no work folder left
    # the real client wrote the recorded parts unchanged, in cbsodata's layout
    for part in (*METADATA_PARTS, DATA_SET[kind]):
        assert json.loads((folder / f"{part}.json").read_text()) == json.loads((DOWNLOADS[kind] / f"{part}.json").read_text())
    fetch_log = json.loads((folder / "fetch_log.json").read_text())
    assert fetch_log["table_id"] == "84583NED" and fetch_log["rows"] == 11
    assert len(fetch_log["requests"]) == len(filter_batches(codes)) > 1
    # every data set request within IIS's limit; the 11 rows came in pages of 4 (nextLink followed)
    data_sets = feed.data_set_requests()
    assert all(len(urlsplit(r).query) <= IIS_MAX_QUERY for r in data_sets)
    assert sum("%24skip" in r or "$skip" in r for r in data_sets) == 2
    pd.testing.assert_frame_equal(_frame(load_kwb(folder, 2019)), _frame(load_kwb(DOWNLOADS[kind], 2019)))


def test_fetch_kwb_refuses_to_overwrite_unless_asked(tmp_path):
    with recorded_feed() as feed:
        folder = fetch_kwb(2019, tmp_path, ["GM0363"], base_url=feed.base)
        before = (folder / "fetch_log.json").read_text()
        with pytest.raises(CbsDownloadExists, match="already exists.*overwrite=True"):
            fetch_kwb(2019, tmp_path, ["GM0363"], base_url=feed.base)
        assert (folder / "fetch_log.json").read_text() == before  # untouched
        requests_before = len(feed.requests)
        again = fetch_kwb(2019, tmp_path, ["GM0363"], overwrite=True, typed=True, base_url=feed.base)
        assert len(feed.requests) > requests_before
    assert sorted(p.name for p in again.iterdir()) == sorted(
        ["fetch_log.json", "TypedDataSet.json", *(f"{n}.json" for n in METADATA_PARTS)])  # replaced, not mixed
    assert len(load_kwb(again, 2019).frame) == 11


def test_fetch_kwb_refuses_beside_a_csv_export_and_unknown_years(tmp_path):
    (tmp_path / "2019").mkdir()
    (tmp_path / "2019" / "kwb.csv").write_text("x")
    with pytest.raises(CbsFetchError, match="reads kwb.csv before kwb/"):
        fetch_kwb(2019, tmp_path, ["GM0363"], base_url="http://127.0.0.1:9")
    with pytest.raises(CbsFetchError, match="no CBS Kerncijfers wijken en buurten table known for 2031"):
        fetch_kwb(2031, tmp_path, ["GM0363"])
    with pytest.raises(ValueError, match="not gemeente codes"):
        fetch_kwb(2018, tmp_path, ["0363"])


def test_fetch_kwb_without_rows_for_the_gemeenten(tmp_path):
    with recorded_feed() as feed, pytest.raises(CbsFetchError, match="returned no rows.*GM0796"):
        fetch_kwb(2019, tmp_path, ["GM0796"], base_url=feed.base)
    assert list((tmp_path / "2019").iterdir()) == []


def test_fetch_kwb_offline_says_what_to_do(tmp_path):
    base = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(CbsFetchError) as err:
        fetch_kwb(2019, tmp_path, ["GM0363"], base_url=base)
    message = str(err.value)
    assert "84583NED" in message and "2019" in message
    assert f"{base}/ODataFeed/odata/84583NED/" in message  # the URL tried
    assert "could not be reached" in message
    assert str(tmp_path / "2019" / "kwb.csv") in message  # what to do instead
    assert list((tmp_path / "2019").iterdir()) == []  # nothing half-written


def test_fetch_kwb_reports_an_error_answer(tmp_path):
    with recorded_feed() as feed:
        feed.table_id = "00000NED"  # the feed does not know 84583NED
        with pytest.raises(CbsFetchError, match=r"84583NED.*answered with an error.*404"):
            fetch_kwb(2019, tmp_path, ["GM0363"], base_url=feed.base)
