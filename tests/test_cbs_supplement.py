"""What a CBS delivery lacks: rejected rows placed by gemeente, kwb_supplement.csv filling the
gaps (never overwriting a delivered value), and the warning report that lists what could not
be used. On small files written here and on the real 2017 export (read in place)."""

from __future__ import annotations

import pandas as pd
import pytest
from test_cbs_loader import KWB_2017, real_files

from monitor.cbs.kwb import load_kwb
from monitor.cbs.supplement import SUPPLEMENT_FILENAME
from orchestration.checks.kwb_report import unusable_rows_result

HEADER = (
    "\ufeffID,WijkenEnBuurten,Gemeentenaam_1,SoortRegio_2,Codering_3,"
    "IndelingswijzigingWijkenEnBuurten_4,AantalInwoners_5,Mannen_6,GemiddeldInkomenPerInwoner_66\n"
)
DELIVERY = (
    HEADER
    + "0,GM0796    ,'s-Hertogenbosch ,Gemeente  ,GM0796    ,.,152968,       .,27.2\n"
    + "1,BU07960000,'s-Hertogenbosch ,Buurt     ,BU07960000,1,1200,600,   .\n"
    # Nuenen as the real 2017 export has it: the name cut at its comma, every later field empty
    + "2,GM0820    ,Nuenen,,,,,,\n"
    + "3,BU08200000,Nuenen,,,,,,\n"
)
SUPPLEMENT = (
    "\ufeffID,WijkenEnBuurten,Gemeentenaam_1,SoortRegio_2,Codering_3,"
    "IndelingswijzigingWijkenEnBuurten_4,AantalInwoners_5,Mannen_6,Vrouwen_7\n"
    + "0,GM0796    ,'s-Hertogenbosch ,Gemeente  ,GM0796    ,.,999999,75000,77968\n"
    + "1,GM0820    ,\"Nuenen, Gerwen en Nederwetten\",Gemeente  ,GM0820    ,.,22000,10800,11200\n"
)


@pytest.fixture
def delivery(tmp_path):
    path = tmp_path / "kwb.csv"
    path.write_text(DELIVERY, encoding="utf-8")
    return path


def test_a_cut_row_is_placed_by_its_title_and_name(delivery):
    load = load_kwb(delivery, 2017)
    rejected = load.rejected.set_index("source_row")
    assert rejected.loc[[4, 5], "region_code"].tolist() == ["GM0820", "BU08200000"]
    assert set(rejected["gemeente_code"]) == {"GM0820"}
    assert rejected["resolved_by"].isna().all()
    assert "cut off" in rejected.loc[4, "reason"]


def test_the_supplement_fills_gaps_and_adds_regions_but_never_overwrites(delivery):
    supplement = delivery.with_name(SUPPLEMENT_FILENAME)
    supplement.write_text(SUPPLEMENT, encoding="utf-8")
    load = load_kwb(delivery, 2017, supplement=supplement)
    rows = load.frame.set_index("region_code")
    # delivered values stay, even where the supplement says otherwise
    assert rows.loc["GM0796", "AantalInwoners"] == 152968
    # empty cells and absent columns are filled
    assert rows.loc["GM0796", "Mannen"] == 75000 and rows.loc["GM0796", "Vrouwen"] == 77968
    assert rows.loc["GM0796", "_supplemented_columns"] == f"{SUPPLEMENT_FILENAME}: Mannen,Vrouwen"
    assert rows.loc["GM0796", "_source_file"] == "kwb.csv"
    # a region the delivery lacks comes whole from the supplement
    assert rows.loc["GM0820", "_source_file"] == SUPPLEMENT_FILENAME
    assert rows.loc["GM0820", "AantalInwoners"] == 22000
    # the buurt the supplement does not have keeps its own values and gets no Vrouwen
    assert pd.isna(rows.loc["BU07960000", "Vrouwen"]) and pd.isna(rows.loc["BU07960000", "_supplemented_columns"])
    # the damaged Nuenen rows are still listed, now as replaced by the supplement
    assert (load.rejected["resolved_by"] == SUPPLEMENT_FILENAME).all()


def test_the_warning_names_file_lines_codes_and_what_follows(delivery):
    load = load_kwb(delivery, 2017)
    coverage = pd.DataFrame({
        "gemeente_code": ["GM0796", "GM0820"], "gemeente_name": ["'s-Hertogenbosch", "Nuenen, Gerwen en Nederwetten"],
        "in_file": [1, 0], "usable": [True, False], "respondents": [120, 0],
    })
    columns = pd.DataFrame({"variable": ["Mannen", "MateVanStedelijkheid"], "cbs_key": ["Mannen_6", None],
                            "regions_with_value": [1, 0]})
    result = unusable_rows_result(load.rejected.astype("string"), coverage, columns)
    assert not result.passed and result.severity.value == "WARN"
    text = result.metadata["failure_summary"].value
    assert "kwb.csv: 2 row(s) not usable (GM0820 Nuenen, Gerwen en Nederwetten), line(s) 4-5, codes GM0820, BU08200000" in text
    assert "GM0820 Nuenen, Gerwen en Nederwetten: no gemeente row in the CBS key figures and no respondents: published with every figure suppressed" in text
    assert "absent from the file: MateVanStedelijkheid" in text


def test_a_clean_delivery_passes_the_warning_check(tmp_path):
    coverage = pd.DataFrame({"gemeente_code": ["GM0796"], "gemeente_name": ["x"], "in_file": [1], "usable": [True], "respondents": [3]})
    columns = pd.DataFrame({"variable": ["Mannen"], "cbs_key": ["Mannen_6"], "regions_with_value": [5]})
    rejected = pd.DataFrame(columns=["source_file", "source_row", "region_code", "gemeente_code", "reason", "resolved_by"])
    assert unusable_rows_result(rejected, coverage, columns).passed


@real_files
def test_the_real_2017_export_names_its_broken_nuenen_rows():
    load = load_kwb(KWB_2017, 2017)
    assert len(load.rejected) == 14
    assert set(load.rejected["gemeente_code"]) == {"GM0820"}
    assert load.rejected["region_code"].str.match(r"^(GM|WK|BU)0820").all()
    assert load.rejected["source_row"].tolist() == list(range(10809, 10823))
