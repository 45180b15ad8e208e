"""The KWB reader on the real CBS exports (read in place, never copied) and on small
synthetic files for the refusals.

The real files live beside the repository in ../shared/data/cbs (override with
MONITOR_SHARED_DIR, the folder that holds data/cbs). See PROVENANCE.md there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from monitor.cbs.kwb import KwbFileError, KwbLoad, base_name, load_kwb
from monitor.reference import brabant_gemeenten
from monitor.settings import REPO_ROOT

SHARED_DIR = Path(os.environ.get("MONITOR_SHARED_DIR", REPO_ROOT.parent / "shared"))
CBS_DIR = SHARED_DIR / "data" / "cbs"
KWB_2017 = CBS_DIR / "kwb_2017_83765NED_nl_subset.csv"
KWB_2019 = CBS_DIR / "kwb_2019_84583NED_amsterdam.csv"
RENAMED_2019 = CBS_DIR / "kwb_2019_gemeenten_renamed.csv"
COLUMNS_2019 = CBS_DIR / "columns_84583NED.txt"

# Only the tests on the real exports need ../shared; the synthetic refusals always run.
real_files = pytest.mark.skipif(
    not all(p.is_file() for p in (KWB_2017, KWB_2019, RENAMED_2019, COLUMNS_2019)),
    reason=f"real CBS KWB files not found in {CBS_DIR} (set MONITOR_SHARED_DIR to the folder holding data/cbs)",
)

HEADER_2017 = (
    "\ufeffID,WijkenEnBuurten,Gemeentenaam_1,SoortRegio_2,Codering_3,"
    "IndelingswijzigingWijkenEnBuurten_4,AantalInwoners_5,GemiddeldInkomenPerInwoner_66\n"
)


@pytest.fixture(scope="module")
def kwb2017() -> KwbLoad:
    return load_kwb(KWB_2017, 2017)


@pytest.fixture(scope="module")
def kwb2019() -> KwbLoad:
    return load_kwb(KWB_2019, 2019)


def _rejected_code(rejected: pd.DataFrame) -> pd.Series:
    # A rejected row may have lost its Codering; WijkenEnBuurten holds the same key in these exports.
    code = rejected["Codering"].str.strip().replace("", pd.NA)
    return code.fillna(rejected["WijkenEnBuurten"].str.strip())


def _brabant_codes(edition: int) -> set[str]:
    return set(brabant_gemeenten(edition)["gemeente_code"])


# --- base names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("k_15Tot25Jaar_9", "k_15Tot25Jaar"),
        ("GemiddeldInkomenPerInwoner_66", "GemiddeldInkomenPerInwoner"),
        ("GemiddeldInkomenPerInwoner_72", "GemiddeldInkomenPerInwoner"),
        ("ID", "ID"),
        ("WijkenEnBuurten", "WijkenEnBuurten"),
        ("k_15Tot25Jaar", "k_15Tot25Jaar"),  # no number: the inner `_` is part of the name
    ],
)
def test_base_name(key, expected):
    assert base_name(key) == expected


# --- 2017: comma-separated, BOM, padded, 14 broken Nuenen rows ----------------------------


@real_files
def test_2017_region_types_across_accepted_and_rejected(kwb2017):
    assert kwb2017.table_id == "83765NED"
    assert kwb2017.frame["region_type"].value_counts().to_dict() == {
        "Land": 1, "Gemeente": 387, "Wijk": 3067, "Buurt": 13198,
    }
    # the broken rows have no SoortRegio at all; nothing else is lost
    assert len(kwb2017.rejected) == 14
    assert (kwb2017.rejected["SoortRegio"].str.strip() == "").all()
    assert len(kwb2017.frame) + len(kwb2017.rejected) == 16667  # 16,668 lines minus the header


@real_files
def test_2017_brabant_rows_and_the_broken_nuenen_rows(kwb2017):
    brabant = _brabant_codes(2017)
    assert len(brabant) == 64
    accepted = kwb2017.frame.loc[kwb2017.frame["gemeente_code"].isin(brabant), "region_code"]
    rejected_codes = _rejected_code(kwb2017.rejected)
    rejected = rejected_codes[("GM" + rejected_codes.str.slice(2, 6)).isin(brabant)]
    codes = pd.concat([accepted, rejected])
    assert len(codes) == 2400
    assert codes.str.slice(0, 2).value_counts().to_dict() == {"GM": 64, "WK": 441, "BU": 1895}
    assert len(accepted) == 2386

    nuenen = kwb2017.rejected
    assert set("GM" + rejected_codes.str.slice(2, 6)) == {"GM0820"}
    assert (nuenen["Gemeentenaam"] == "Nuenen").all()
    assert nuenen["source_row"].tolist() == list(range(10809, 10823))  # the lines `grep -n Nuenen` shows
    for reason in nuenen["reason"]:
        assert "Codering and SoortRegio are empty" in reason
        assert "cut off" in reason and "comma" in reason


@real_files
def test_2017_codes_are_stripped_and_typed(kwb2017):
    frame = kwb2017.frame
    assert not frame["region_code"].str.contains(r"\s").any()
    assert frame["region_code"].str.fullmatch(r"NL\d\d|GM\d{4}|WK\d{6}|BU\d{8}").all()
    assert not frame["region_type"].str.contains(r"\s").any()
    assert not frame["gemeente_name"].str.endswith(" ").any()
    row = frame.set_index("region_code").loc["WK079601"]
    assert row["gemeente_code"] == "GM0796" and row["region_type"] == "Wijk"
    assert frame.loc[frame["region_code"] == "NL00", "gemeente_code"].isna().all()
    assert frame["_source_file"].eq(KWB_2017.name).all()
    assert frame["_source_row"].iloc[0] == 2  # line 1 is the header


@real_files
def test_2017_dot_is_null_and_numbers_are_numeric(kwb2017):
    frame = kwb2017.frame.set_index("region_code")
    # line 6, BU16800009: the four household-income columns are "."
    assert frame.loc["BU16800009", ["k_40HuishoudensMetLaagsteInkomen", "HuishOnderOfRondSociaalMinimum"]].isna().all()
    assert pd.isna(frame.loc["NL00", "indeling_wijziging"])  # "." in a text column too
    assert frame["GemiddeldInkomenPerInwoner"].isna().sum() == 2498  # the "." cells of _66
    for column in ("AantalInwoners", "GemiddeldInkomenPerInwoner", "Bevolkingsdichtheid", "Marokko"):
        assert pd.api.types.is_float_dtype(frame[column]), column
    assert frame.loc["NL00", "AantalInwoners"] == 17081507
    assert frame.loc["NL00", "GemiddeldInkomenPerInwoner"] == pytest.approx(25.7)
    assert kwb2017.source_columns["GemiddeldInkomenPerInwoner"] == "GemiddeldInkomenPerInwoner_66"
    assert frame["cbs_row_id"].dtype == "Int64"


# --- 2019: `;`-separated, every value quoted and right-aligned -----------------------------


@real_files
def test_2019_amsterdam_counts_and_values(kwb2019):
    assert kwb2019.table_id == "84583NED"
    assert kwb2019.rejected.empty
    frame = kwb2019.frame
    assert frame["region_type"].value_counts().to_dict() == {"Gemeente": 1, "Wijk": 99, "Buurt": 479}
    assert set(frame["gemeente_code"]) == {"GM0363"}
    gm = frame.set_index("region_code").loc["GM0363"]
    assert gm["region_type"] == "Gemeente"  # "Gemeente  " in the file
    assert gm["gemeente_name"] == "Amsterdam"
    assert gm["AantalInwoners"] == 862965  # "  862965" in the file
    assert pd.isna(gm["MeestVoorkomendePostcode"])  # "         ."
    assert pd.isna(gm["Dekkingspercentage"])  # "       ."
    assert gm["GemiddeldInkomenPerInwoner"] == pytest.approx(31.3)
    assert kwb2019.source_columns["GemiddeldInkomenPerInwoner"] == "GemiddeldInkomenPerInwoner_72"
    assert pd.api.types.is_string_dtype(frame["MeestVoorkomendePostcode"])
    assert frame["MeestVoorkomendePostcode"].dropna().str.fullmatch(r"\d{4}").all()
    assert pd.api.types.is_float_dtype(frame["GemiddeldeHuishoudensgrootte"])
    assert frame["GemiddeldeHuishoudensgrootte"].isna().sum() == 579 - 561  # the "." cells


@real_files
def test_2019_all_118_columns_under_base_names(kwb2019):
    keys = COLUMNS_2019.read_text(encoding="utf-8").split()
    assert len(keys) == 118
    assert sorted(kwb2019.source_columns.values()) == sorted(keys)
    identification = {"ID", "WijkenEnBuurten", "Gemeentenaam", "SoortRegio", "Codering",
                      "IndelingswijzigingWijkenEnBuurten"}
    variables = [name for name in kwb2019.source_columns if name not in identification]
    assert len(variables) == 112
    assert set(variables) <= set(kwb2019.frame.columns)
    bases = pd.Series([base_name(k) for k in keys])
    for key in keys:
        if bases.eq(base_name(key)).sum() == 1 and base_name(key) not in identification:
            assert base_name(key) in kwb2019.frame.columns, key
    # Base names used twice (electricity and gas use per dwelling type) are named after their group.
    assert kwb2019.source_columns["GemiddeldElektriciteitsverbruikAppartement"] == "Appartement_48"
    assert kwb2019.source_columns["GemiddeldAardgasverbruikAppartement"] == "Appartement_56"
    assert "Appartement" not in kwb2019.frame.columns
    assert kwb2019.frame["_source_row"].tolist() == list(range(2, 581))


# --- refusals -----------------------------------------------------------------------------


@real_files
def test_renamed_columns_are_refused():
    with pytest.raises(KwbFileError) as err:
        load_kwb(RENAMED_2019, 2019)
    message = str(err.value)
    assert RENAMED_2019.name in message
    for name in ("Codering", "SoortRegio", "Gemeentenaam", "AantalInwoners"):
        assert name in message
    assert "unique_id" in message  # the columns found


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (HEADER_2017.encode(), "header only"),
        (b"just some text without separators\nmore text\n", "not a CSV file"),
        (b"PK\x03\x04\x00\x00binary", "binary"),
        ("\ufeffID,Codering_3\n1,GM0796\n".encode(), "missing column(s) SoortRegio, Gemeentenaam, AantalInwoners"),
        ("ID;Codering_3\n1;\xe9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unreadable_files_are_refused(tmp_path, content, expected):
    path = tmp_path / "kwb.csv"
    path.write_bytes(content)
    with pytest.raises(KwbFileError) as err:
        load_kwb(path, 2017)
    assert expected in str(err.value)
    assert str(path) in str(err.value)


def test_bad_rows_are_rejected_with_a_reason(tmp_path):
    path = tmp_path / "kwb.csv"
    path.write_text(
        HEADER_2017
        + "0,GM0796    ,'s-Hertogenbosch ,Gemeente  ,GM0796    ,.,152968,27.2\n"
        + "1,WK079600  ,'s-Hertogenbosch ,Wijk      ,WK079600  ,1,abc,.\n"
        + "2,BU07960000,'s-Hertogenbosch ,Buurt     ,BU07960000,1,  1200  ,   .\n"
        + "3,BU0796000X,'s-Hertogenbosch ,Buurt     ,BU0796000X,1,10,20\n"
        + "4,WK079601  ,'s-Hertogenbosch ,Buurt     ,WK079601  ,1,10,20\n"
        + "5,BU07960001,'s-Hertogenbosch ,Buurt     ,BU07960001,1,10,20,99\n",
        encoding="utf-8",
    )
    load = load_kwb(path, 2017)
    assert load.frame["region_code"].tolist() == ["GM0796", "BU07960000"]
    assert load.frame["AantalInwoners"].tolist() == [152968, 1200]
    assert pd.isna(load.frame["GemiddeldInkomenPerInwoner"].iloc[1])
    reasons = dict(zip(load.rejected["source_row"], load.rejected["reason"]))
    assert set(reasons) == {3, 5, 6, 7}
    assert "AantalInwoners" in reasons[3] and "'abc'" in reasons[3]
    assert "BU0796000X" in reasons[5]
    assert "does not match" in reasons[6]
    assert "9 fields" in reasons[7] and "8" in reasons[7]
    assert load.rejected.loc[load.rejected["source_row"] == 3, "AantalInwoners"].item() == "abc"
    assert load.table_id == "83765NED"


def test_unknown_columns_are_kept_and_listed(tmp_path):
    path = tmp_path / "kwb.csv"
    path.write_text(
        "ID;WijkenEnBuurten;Gemeentenaam_1;SoortRegio_2;Codering_3;AantalInwoners_5;NieuweMaat_200;Toelichting_201\n"
        '"1";"GM0796    ";"x";"Gemeente  ";"GM0796    ";"  100";"   1.5";"tekst"\n',
        encoding="utf-8",
    )
    load = load_kwb(path, 2030)
    assert load.table_id is None
    assert load.unknown_columns == ["NieuweMaat", "Toelichting"]
    assert load.frame["NieuweMaat"].iloc[0] == 1.5
    assert load.frame["Toelichting"].iloc[0] == "tekst"
    assert load.frame["indeling_wijziging"].isna().all()  # absent column: same layout, NULL
