"""Write the bad-input corpus of this folder (see README.md here for every case).

Every file is made from one tiny valid survey (8 rows): the first complete respondents of Eindhoven (GM0772) and
Aalburg (GM0738) in a seeded demo edition 2018, which the demo generator writes by the codebook,
and one of Breda (GM0758) and one of 's-Hertogenbosch (GM0796), so that every COROP region of
Brabant has respondents (the weighting rakes each region's small gemeenten together); plus the
CBS key figures of those gemeenten (and every gemeente row, so that the file holds the whole
Brabant layout). The same seed gives the same files:

    .venv/bin/python tests/bad_inputs/make_corpus.py

The demo landing zone of the end-to-end tests (tests/test_bad_inputs.py) uses the same seed,
so the tiny survey is valid against its CBS layout too.
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
if str(HERE.parents[1]) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(HERE.parents[1]))

from monitor.codebook import load_codebook  # noqa: E402
from monitor.demo import generate_demo_edition  # noqa: E402
from monitor.demo.survey import SAV_TIMESTAMP_OFFSET, sav_metadata  # noqa: E402

EDITION = 2018
SEED = 11
DEMO = {"seed": SEED, "n_respondents": 500, "population_fraction": 0.02}
GEMEENTEN = ("GM0772", "GM0738")  # Eindhoven; Aalburg (merged into Altena in 2019)
PER_GEMEENTE = 4
# one respondent in each other COROP region: West-Noord-Brabant (Breda), Noordoost-Noord-Brabant ('s-Hertogenbosch)
OTHER_REGIONS = ("GM0758", "GM0796")


def _demo(folder: Path, edition: int, n_respondents: int) -> tuple[pd.DataFrame, str]:
    written = generate_demo_edition(
        folder / "landing", edition, seed=SEED, n_respondents=n_respondents,
        population_fraction=DEMO["population_fraction"], truth_dir=folder / "truth",
        kwb_habits=False,  # the corpus cuts the OData shape; CBS habits have their own tests
    )
    survey = pd.read_csv(written.survey_path, dtype=str, keep_default_na=False)
    return survey, written.kwb_path.read_text(encoding="utf-8-sig")


def tiny_survey(survey: pd.DataFrame) -> pd.DataFrame:
    """The first respondents of each gemeente with a buurt and every answer given."""
    complete = survey[(survey != "").all(axis=1)]
    rows = [complete[complete.gemeente_code == g].head(PER_GEMEENTE) for g in GEMEENTEN]
    rows += [complete[complete.gemeente_code == g].head(1) for g in OTHER_REGIONS]
    tiny = pd.concat(rows, ignore_index=True)
    tiny["resp_id"] = [f"T{i:03d}" for i in range(1, len(tiny) + 1)]  # not the demo's ids
    return tiny


def kwb_subset(text: str) -> str:
    """The CBS export's header, the Land and every Gemeente row, and the wijken and buurten of
    GEMEENTEN: the whole Brabant layout at gemeente level in a small file, bytes as delivered."""
    lines = text.splitlines(keepends=True)
    keep = [lines[0]]
    for line in lines[1:]:
        fields = line.split(";")
        code = fields[4].strip().strip('"').strip()
        if code.startswith(("NL", "GM")) or code[2:6] in {g[2:] for g in (*GEMEENTEN, *OTHER_REGIONS)}:
            keep.append(line)
    return "\ufeff" + "".join(keep)


def _csv(frame: pd.DataFrame, path: Path, **kwargs) -> None:
    frame.to_csv(path, index=False, lineterminator="\n", **kwargs)


def _sav_with_labels(frame: pd.DataFrame, path: Path, relabel: dict[str, dict[int, str]]) -> None:
    """The survey as SPSS .sav with the codebook's value labels, except those in `relabel`."""
    import pyreadstat

    codebook = load_codebook()
    labels, value_labels = sav_metadata(codebook)
    for column, changed in relabel.items():
        value_labels[column] = {**value_labels[column], **changed}
    columns, formats = {}, {}
    for name in frame.columns:
        kind = codebook.column_type(name.strip().lower())  # a column named like a codebook column (AGE) is typed as it
        if kind == "string":
            columns[name] = frame[name].astype(str)
            formats[name] = f"A{max(1, int(frame[name].str.len().max()))}"
        else:
            columns[name] = pd.to_numeric(frame[name]).astype(float)
            formats[name] = "F10.4" if kind == "float" else "F3.0"
    pyreadstat.write_sav(
        pd.DataFrame(columns), str(path),
        column_labels=[labels.get(n, n) for n in frame.columns],
        variable_value_labels={k: v for k, v in value_labels.items() if k in frame.columns},
        variable_format=formats,
    )
    with open(path, "r+b") as handle:  # a fixed creation time: the same bytes every time
        handle.seek(SAV_TIMESTAMP_OFFSET)
        handle.write(f"01 Jan {EDITION % 100:02d}00:00:00".encode("ascii"))


def write_corpus(out: Path = HERE) -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        survey, kwb_2018 = _demo(Path(tmp) / "2018", EDITION, DEMO["n_respondents"])
        _, kwb_2020 = _demo(Path(tmp) / "2020", 2020, 100)
    valid = tiny_survey(survey)
    written: list[Path] = []

    def path(name: str) -> Path:
        written.append(out / name)
        return out / name

    _csv(valid, path("valid_survey.csv"))
    path("valid_kwb.csv").write_text(kwb_subset(kwb_2018), encoding="utf-8", newline="")

    # --- refused by the loader ------------------------------------------------------------
    path("empty.csv").write_bytes(b"")
    path("header_only.csv").write_text(",".join(valid.columns) + "\n", encoding="utf-8")
    _csv(valid, path("tab_delimited.csv"), sep="\t")
    latin = valid.assign(woonplaats="Eindhoven")
    latin.loc[5, "woonplaats"] = "Liëmpde"  # line 7 of the file
    _csv(latin, path("latin1_encoding.csv"), encoding="latin-1")
    text = valid.to_csv(index=False, lineterminator="\n")
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    path("truncated_last_line.csv").write_text(text.rstrip("\n")[: -(len(last) // 2)], encoding="utf-8")
    _csv(valid.drop(columns=["coping_3"]), path("missing_required_column.csv"))
    path("empty.parquet").write_bytes(b"")
    _sav_with_labels(valid, path("sav_other_value_labels.sav"), {"sex": {1: "vrouw", 2: "man"}})
    path("utf16_encoding.csv").write_bytes(valid.to_csv(index=False, lineterminator="\n").encode("utf-16"))
    # the header contract: a name twice (exactly, after a rename, after case-folding)
    path("duplicate_header.csv").write_text(_with_header(text, "age", "age"), encoding="utf-8")
    path("duplicate_header_renamed.csv").write_text(swap_header(text, "health", "happiness", both=False), encoding="utf-8")
    valid.assign(**{"AGE ": valid["age"]}).to_parquet(path("duplicate_header_case.parquet"), index=False)
    _sav_with_labels(valid.assign(AGE=valid["age"]), path("duplicate_header_case.sav"), {})
    # misnamed columns: the ids under another name (their values never shown)
    path("swapped_resp_id_age.csv").write_text(swap_header(text, "resp_id", "age"), encoding="utf-8")
    path("not_a_survey.csv").write_bytes(_not_a_survey())

    # --- read, then failed by the raw GX suite -------------------------------------------
    duplicated = valid.copy()
    duplicated.loc[2, "resp_id"] = duplicated.loc[1, "resp_id"]
    _csv(duplicated, path("duplicated_resp_id.csv"))
    unknown = valid.copy()
    unknown.loc[0, ["gemeente_code", "buurt_code"]] = ["GM0363", ""]  # Amsterdam, no buurt
    _csv(unknown, path("unknown_gemeente.csv"))
    misplaced = valid.copy()
    aalburg_buurt = valid.loc[valid.gemeente_code == GEMEENTEN[1], "buurt_code"].iloc[0]
    misplaced.loc[1, "buurt_code"] = aalburg_buurt  # a buurt of the layout, but of Aalburg on an Eindhoven row
    _csv(misplaced, path("buurt_not_in_gemeente.csv"))
    out_of_range = valid.copy()
    out_of_range.loc[[0, 3], "coping_1"] = "6"
    out_of_range.loc[4, "age"] = "12"
    _csv(out_of_range, path("out_of_range_answers.csv"))
    _csv(valid.assign(edition="2016"), path("wrong_edition.csv"))
    path("swapped_resp_id_gemeente.csv").write_text(swap_header(text, "resp_id", "gemeente_code"), encoding="utf-8")
    # too few to weight: COROP regions whose raking pool has no respondent
    _csv(valid.head(5), path("five_respondents.csv"))
    _csv(valid[valid.gemeente_code == GEMEENTEN[0]], path("one_gemeente.csv"))

    # --- accepted ---------------------------------------------------------------------------
    extra = valid.assign(interviewer="A7", woonplaats="Eindhoven")
    extra.loc[5, "woonplaats"] = "Liëmpde"  # non-ASCII in UTF-8 is fine
    _csv(extra, path("extra_columns.csv"))

    # --- CBS key figures --------------------------------------------------------------------
    path("kwb_wrong_year_2020_layout.csv").write_text(kwb_subset(kwb_2020), encoding="utf-8", newline="")
    path("kwb_renamed_columns.csv").write_text(_renamed_kwb(kwb_2018), encoding="utf-8")
    return written


def swap_header(text: str, first: str, second: str, both: bool = True) -> str:
    """The CSV text with the header names `first` and `second` swapped (`both=False`: `first`
    renamed to `second`, so that the name occurs twice); the values stay where they are, as
    when a supplier misnames the columns."""
    header, rest = text.split("\n", 1)
    names = header.split(",")
    i, j = names.index(first), names.index(second)
    names[i] = second
    if both:
        names[j] = first
    return ",".join(names) + "\n" + rest


def _with_header(text: str, name: str, copy_of: str) -> str:
    """The CSV text with one more column `name` at the end, holding the values of `copy_of`."""
    rows = list(csv.reader(io.StringIO(text)))
    position = rows[0].index(copy_of)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([rows[0] + [name]] + [r + [r[position]] for r in rows[1:]])
    return out.getvalue()


def _not_a_survey() -> bytes:
    """Another CSV than a survey (a customer list) whose rows are not even UTF-8 (latin-1 `ë`):
    refused from its header alone, before the rest of the file is read (a whole-file check
    would have named the bytes that are not UTF-8 first)."""
    rows = "".join(f"{i},Klant {i},Dorpsstraat {i} Liëmpde\n" for i in range(1, 6))
    return b"klantnummer,naam,adres\n" + rows.encode("latin-1")


def _renamed_kwb(text: str) -> str:
    """The gemeente rows with their population columns renamed by a third party (as in
    ../shared/data/cbs/kwb_2019_gemeenten_renamed.csv): no CBS key is left."""
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str).apply(lambda c: c.str.strip())
    frame.columns = [c.lstrip("\ufeff") for c in frame.columns]
    gemeenten = frame[frame["SoortRegio_2"] == "Gemeente"]
    renamed = pd.DataFrame({
        "region": gemeenten["Gemeentenaam_1"], "unique_id": gemeenten["Codering_3"],
        "population": gemeenten["AantalInwoners_5"], "men": gemeenten["Mannen_6"],
        "women": gemeenten["Vrouwen_7"], "b_00_14": gemeenten["k_0Tot15Jaar_8"],
        "b_15_24": gemeenten["k_15Tot25Jaar_9"], "b_25_44": gemeenten["k_25Tot45Jaar_10"],
        "b_45_64": gemeenten["k_45Tot65Jaar_11"], "b_65_oo": gemeenten["k_65JaarOfOuder_12"],
    })
    return renamed.to_csv(index=False, lineterminator="\n")


if __name__ == "__main__":
    for written_path in write_corpus():
        print(f"{written_path.relative_to(HERE)}  {written_path.stat().st_size:,} bytes")
