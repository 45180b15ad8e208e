"""The tabellenboek export (monitor/exports/tabellenboek.py, asset exports/tabellenboek), on a
copy of a real warehouse built by the pipeline (conftest's built_demo, edition 2018, with
gemeente GM0744 on 3 respondents), plus hand-made rows where the demo has none (a trend of
two editions, a withheld composition of the profiles). Real files throughout: the xlsx is read
back with openpyxl."""

from __future__ import annotations

import hashlib
import re
import shutil
import time
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitor.codebook import load_codebook
from monitor.exports.tabellenboek import (
    TOELICHTING,
    ExportError,
    RespondentDataRefused,
    derived_sheets,
    export_dir,
    export_tables,
    size_classes_by_regio_sheet,
    workbook_name,
    workbook_sheets,
    write_tabellenboek,
)
from monitor.presentation.folders import swap_by_renames
from monitor.presentation.labels import (
    FEW_RESPONDENTS_CELL,
    MIN_RESPONDENTS_TEXT,
    SUPPRESSED_CELL,
    SUPPRESSED_EXPLANATION,
    column_label,
    indicator_label,
    indicator_unit,
)
from tests.conftest import EDITION, TINY_GEMEENTE
from tests.test_privacy import ID_PATTERN

pytestmark = pytest.mark.pipeline
SHEETS = {spec.table: spec.sheet for spec in export_tables()}
SIZE_CLASS_SHEET = "Grootteklasse per regio"
# table -> (key columns, figure columns compared cell by cell with the warehouse)
FIGURES = ["estimate", "ci_lower", "ci_upper", "n_respondents"]
KEYS = {
    "monitor_area_estimates": (["area_level", "area_code", "indicator"], FIGURES),
    "monitor_typology": (["area_level", "area_code", "type"], ["share", "ci_lower", "ci_upper", "n_respondents"]),
    "monitor_small_area_estimates": (["area_level", "area_code", "indicator"], FIGURES),
    "monitor_profiles": (
        ["characteristic", "category", "indicator"],
        [*FIGURES, "share_among_resilient", "share_among_less_resilient", "difference", "difference_ci_lower",
         "difference_ci_upper", "n_resilient", "n_less_resilient"],
    ),
    "monitor_resources_by_resilience": (
        ["indicator"],
        ["estimate_resilient", "ci_lower_resilient", "ci_upper_resilient", "estimate_less_resilient",
         "ci_lower_less_resilient", "ci_upper_less_resilient", "difference", "ci_lower", "ci_upper", "n_resilient",
         "n_less_resilient"],
    ),
}


@pytest.fixture(scope="module")
def warehouse(built_demo, tmp_path_factory) -> Path:
    """A copy of the built warehouse: others read the original."""
    folder = tmp_path_factory.mktemp("export_warehouse")
    shutil.copy(built_demo.duckdb_path, folder / "warehouse.duckdb")
    return folder / "warehouse.duckdb"


def _export(database: Path, out_dir: Path, edition: int = EDITION, progress=None):
    lines = []
    with duckdb.connect(str(database), read_only=True) as conn:
        summary = write_tabellenboek(conn, edition, out_dir, progress or lines.append)
    return summary, lines


@pytest.fixture(scope="module")
def export(warehouse):
    started = time.perf_counter()
    summary, lines = _export(warehouse, export_dir(EDITION, warehouse.parent))
    print(f"\nexport of edition {EDITION}: {time.perf_counter() - started:.2f} s, {summary.total_bytes:,} bytes")
    return summary, lines


def _query(database: Path, sql: str, params=None) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(sql, params or []).df()


def _sheet_frame(workbook: Path, sheet: str) -> pd.DataFrame:
    rows = list(openpyxl.load_workbook(workbook, read_only=True)[sheet].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_export_writes_every_file_and_reports(export, warehouse):
    summary, lines = export
    folder = export_dir(EDITION, warehouse.parent)
    assert summary.folder == folder
    tables = [spec.table for spec in export_tables()]
    expected = {workbook_name(EDITION), "manifest.json"} | {f"{t}.{ext}" for t in tables for ext in ("parquet", "csv")}
    assert {p.name for p in folder.iterdir()} == expected == set(summary.files)
    assert all(summary.files[name] == (folder / name).stat().st_size > 0 for name in expected)
    for table in tables:
        where = "edition_to" if table == "monitor_trend" else "edition"
        n = _query(warehouse, f"select count(*) as n from monitor.{table} where {where} = ?", [EDITION])["n"][0]
        assert summary.rows[table] == n
    assert summary.rows["monitor_area_estimates"] > 1000
    assert f"tabellenboek {EDITION}: sheet Cijfers per gebied {summary.rows['monitor_area_estimates']:,} rows" in lines
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp folder left


def test_workbook_has_toelichting_and_one_sheet_per_table(export, warehouse):
    summary, _ = export
    book = openpyxl.load_workbook(summary.workbook)
    assert book.sheetnames == [TOELICHTING, *(spec.sheet for spec in workbook_sheets())]
    assert {"Profielen", "Hulpbronnen naar veerkracht", SIZE_CLASS_SHEET} <= set(book.sheetnames)
    assert all(len(name) <= 31 for name in book.sheetnames)
    text = "\n".join(str(v) for row in book[TOELICHTING].iter_rows(values_only=True) for v in row if v is not None)
    log = _query(warehouse, "select * from monitor.monitor_publication_log where edition = ?", [EDITION])
    assert log["dagster_run_id"][0] in text
    assert SUPPRESSED_EXPLANATION in text
    assert "95%-betrouwbaarheidsinterval" in text
    assert f"editie {EDITION}" in text
    assert str(EDITION) in text and "(Nederlandse tijd)" in text
    assert all(sheet in text for sheet in SHEETS.values())


def test_headers_are_dutch_bold_frozen_and_formatted(export, warehouse):
    summary, _ = export
    book = openpyxl.load_workbook(summary.workbook)
    for table, sheet in SHEETS.items():
        ws = book[sheet]
        headers = [c.value for c in ws[1]]
        columns = list(_query(warehouse, f"select * from monitor.{table} limit 0").columns)
        dutch = [column_label(c, table) for c in columns]
        assert dutch == [h for h in headers if h in set(dutch)], sheet
        assert not set(headers) & set(columns), f"{sheet}: untranslated heading"
        assert len(set(headers)) == len(headers), f"{sheet}: two columns with one heading"
        assert all(c.font.bold and c.alignment.wrap_text for c in ws[1])
        assert ws.freeze_panes == "A2"
    ws = book[SHEETS["monitor_area_estimates"]]
    headers = [c.value for c in ws[1]]
    for heading in ["Schatting", "Ondergrens 95%-BI", "Indicator (omschrijving)", "Niveau (omschrijving)", "Gebied"]:
        assert heading in headers
    first = {h: c for h, c in zip(headers, ws[2])}
    assert first["Schatting"].number_format == "0.00"
    assert first["Aantal respondenten"].number_format == "#,##0"
    assert first["Editie"].number_format == "0"
    assert first["Onderdrukt"].value in {"ja", "nee"}
    assert first["Indicator (omschrijving)"].value == indicator_label(first["Indicator"].value)
    typology = book[SHEETS["monitor_typology"]]
    shares = {h.value: c for h, c in zip(typology[1], typology[2])}
    assert shares["Aandeel (%)"].number_format == "0.0" == shares["Ondergrens 95%-BI"].number_format


def test_suppressed_cells_read_onderdrukt(export):
    summary, _ = export
    area = _sheet_frame(summary.workbook, SHEETS["monitor_area_estimates"])
    tiny = area[area["Gebiedscode"] == TINY_GEMEENTE]
    assert len(tiny) > 10
    for heading in ["Schatting", "Ondergrens 95%-BI", "Bovengrens 95%-BI", "Ongewogen schatting"]:
        assert (tiny[heading] == SUPPRESSED_CELL).all()
    assert (tiny["Onderdrukt"] == "ja").all() and (tiny["Reden onderdrukking"] == MIN_RESPONDENTS_TEXT).all()
    assert (tiny["Aantal respondenten"] == 3).all()
    published = area[area["Onderdrukt"] == "nee"]
    assert not (published["Schatting"] == SUPPRESSED_CELL).any() and published["Schatting"].notna().all()
    typology = _sheet_frame(summary.workbook, SHEETS["monitor_typology"])
    assert (typology.loc[typology["Gebiedscode"] == TINY_GEMEENTE, "Aandeel (%)"] == SUPPRESSED_CELL).all()
    small = _sheet_frame(summary.workbook, SHEETS["monitor_small_area_estimates"])
    few = small[small["Aantal respondenten"].between(1, 9)]
    # the direct figure on 1..9 respondents has a mark of its own: its row is published
    assert len(few[few["Onderdrukt"] == "nee"]) and (few.loc[few["Onderdrukt"] == "nee", "Directe schatting"] == FEW_RESPONDENTS_CELL).all()
    assert (few.loc[few["Onderdrukt"] == "ja", "Directe schatting"] == SUPPRESSED_CELL).all()
    nobody = small[(small["Aantal respondenten"] == 0) & (small["Onderdrukt"] == "nee")]
    assert len(nobody) and nobody["Directe schatting"].isna().all()  # no respondents: no direct figure at all
    hidden = small[small["Onderdrukt"] == "ja"]
    assert len(hidden) and (hidden["Schatting"] == SUPPRESSED_CELL).all()
    assert (hidden["Reden onderdrukking"] == "minder dan 50 inwoners").all()
    validation = _sheet_frame(summary.workbook, SHEETS["monitor_small_area_validation"])
    assert (validation.loc[validation["Gemeentecode"] == TINY_GEMEENTE, "Directe schatting"] == SUPPRESSED_CELL).all()


def test_wijken_and_buurten_are_named_in_the_tabellenboek(export, warehouse):
    """Name, gemeente and where the name comes from beside every code (methodology section 12)."""
    from monitor.presentation.labels import NAME_SOURCE

    summary, _ = export
    names = _query(warehouse, "select distinct area_code, area_name, gemeente_name, name_source "
                              "from monitor.monitor_small_area_estimates where edition = ?", [EDITION]).set_index("area_code")
    small = _sheet_frame(summary.workbook, SHEETS["monitor_small_area_estimates"])
    assert (small["Gebied"] == small["Gebiedscode"].map(names["area_name"])).all()
    assert (small["Gemeente"] == small["Gebiedscode"].map(names["gemeente_name"])).all()
    assert set(small["Bron van de naam"]) == {NAME_SOURCE[s] for s in set(names["name_source"])}
    flagged = _sheet_frame(summary.workbook, SHEETS["monitor_below_gemeente"])
    assert len(flagged) and (flagged["Gebied"] == flagged["Gebiedscode"].map(names["area_name"])).all()


def test_numbers_equal_the_warehouse(export, warehouse):
    summary, _ = export
    for table, (keys, figures) in KEYS.items():
        expected = _query(warehouse, f"select * from monitor.{table} where edition = ?", [EDITION])
        assert len(expected), table
        shown = _sheet_frame(summary.workbook, SHEETS[table]).rename(
            columns={column_label(c, table): c for c in expected.columns}
        )
        merged = expected.merge(shown, on=keys, suffixes=("", "_xlsx"), validate="one_to_one")
        assert len(merged) == len(expected) == len(shown)
        for column in figures:
            published = merged[merged[column].notna()]
            assert published[f"{column}_xlsx"].astype(float).to_numpy() == pytest.approx(
                published[column].to_numpy(), rel=1e-14
            ), f"{table}.{column}"


def test_parquet_round_trips_and_keeps_nulls(export, warehouse):
    summary, _ = export
    for spec in export_tables():
        with duckdb.connect(str(warehouse), read_only=True) as conn:
            expected = conn.sql(
                f"select * from monitor.{spec.table} where {spec.edition_column} = ? order by {spec.order_by}",
                params=[EDITION],
            ).to_arrow_table()
        written = pq.read_table(summary.folder / f"{spec.table}.parquet")
        assert written.schema.remove_metadata() == expected.schema.remove_metadata(), spec.table
        assert written.replace_schema_metadata(None).equals(expected), spec.table
        assert written.schema.metadata[b"monitor.edition"] == str(EDITION).encode()
    area = pq.read_table(summary.folder / "monitor_area_estimates.parquet").to_pandas()
    tiny = area[area["area_code"] == TINY_GEMEENTE]
    assert tiny["estimate"].isna().all() and tiny["suppressed"].all()


def test_csv_is_readable_and_equals_the_table(export, warehouse):
    summary, _ = export
    for spec in export_tables():
        path = summary.folder / f"{spec.table}.csv"
        assert path.read_bytes()[:3] != b"\xef\xbb\xbf"  # UTF-8 without BOM
        frame = pd.read_csv(path, encoding="utf-8")
        expected = _query(
            warehouse, f"select * from monitor.{spec.table} where {spec.edition_column} = ? order by {spec.order_by}", [EDITION]
        )
        assert list(frame.columns) == list(expected.columns), spec.table
        assert len(frame) == len(expected), spec.table
        numeric = [c for c in expected.columns if pd.api.types.is_float_dtype(expected[c])]
        for column in numeric:
            assert frame[column].to_numpy() == pytest.approx(expected[column].to_numpy(), nan_ok=True), column
    area = pd.read_csv(summary.folder / "monitor_area_estimates.csv")
    assert area.loc[area["area_code"] == TINY_GEMEENTE, "estimate"].isna().all()


@pytest.fixture(scope="module")
def respondent_ids(built_demo) -> set[str]:
    ids = pd.read_csv(built_demo.landing / str(EDITION) / "survey.csv", dtype=str)["resp_id"]
    assert ids.str.fullmatch(ID_PATTERN).all()
    return set(ids)


def test_no_respondent_id_in_any_exported_file(export, respondent_ids):
    summary, _ = export
    scanned = 0
    for path in summary.folder.iterdir():
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                texts = [archive.read(name).decode("utf-8") for name in archive.namelist()]
        elif path.suffix == ".parquet":
            texts = [pq.read_table(path).to_pandas().astype(str).to_csv(index=False), path.read_bytes().decode("latin-1")]
        else:
            texts = [path.read_text(encoding="utf-8")]
        for text in texts:
            assert not set(ID_PATTERN.findall(text)) & respondent_ids, path.name
            scanned += 1
    assert scanned >= 18


def _scratch(warehouse: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(warehouse, folder / "warehouse.duckdb")
    return folder / "warehouse.duckdb"


def test_refuses_a_respondent_level_column(warehouse, tmp_path):
    database = _scratch(warehouse, tmp_path / "wh")
    with duckdb.connect(str(database)) as conn:
        conn.execute("alter table monitor.monitor_typology add column resp_id varchar")
    out_dir = tmp_path / "exports" / str(EDITION)
    with pytest.raises(RespondentDataRefused, match=r"monitor\.monitor_typology.*'resp_id'"):
        _export(database, out_dir)
    assert not out_dir.exists()


def test_refuses_an_edition_that_was_not_published(warehouse, tmp_path):
    with pytest.raises(ExportError, match=f"edition {EDITION - 2} has not been published"):
        _export(warehouse, tmp_path / "exports" / str(EDITION - 2), edition=EDITION - 2)


def test_trend_sheet_shows_the_editions_pairs_and_suppressed_changes(warehouse, tmp_path):
    """Hand-made trend rows: one significant change into this edition, one suppressed, and one
    between two earlier editions that does not belong to this edition's export."""
    database = _scratch(warehouse, tmp_path / "wh")
    with duckdb.connect(str(database)) as conn:
        conn.execute(
            """insert into monitor.monitor_trend by name
            select * from (values
                ('gemeente', 'GM0748', 'Bergen op Zoom', 'happiness', 2016, 2018, 7.1, 7.4, 0.3, 0.1, 0.5, true, 120, 130,
                 'same boundaries', false, null),
                ('gemeente', ?, 'Baarle-Nassau', 'happiness', 2016, 2018, null, null, null, null, null, null, 12, 3,
                 'same boundaries', true, 'fewer than 10 respondents in an edition'),
                ('gemeente', 'GM0748', 'Bergen op Zoom', 'happiness', 2014, 2016, 7.0, 7.1, 0.1, -0.1, 0.3, false, 110, 120,
                 'same boundaries', false, null)
            ) as t(area_level, area_code, area_name, indicator, edition_from, edition_to, estimate_from, estimate_to,
                   difference, ci_lower, ci_upper, significant, n_from, n_to, comparability, suppressed, suppression_reason)""",
            [TINY_GEMEENTE],
        )
    summary, _ = _export(database, tmp_path / "exports" / str(EDITION))
    assert summary.rows["monitor_trend"] == 2
    trend = _sheet_frame(summary.workbook, SHEETS["monitor_trend"]).set_index("Gebiedscode")
    shown = trend.loc["GM0748"]
    assert (shown["Editie van"], shown["Editie naar"], shown["Verschil"], shown["Significant"]) == (2016, 2018, 0.3, "ja")
    assert shown["Vergelijkbaarheid"] == "Zelfde grenzen"
    hidden = trend.loc[TINY_GEMEENTE]
    for heading in ["Schatting van", "Schatting naar", "Verschil", "Ondergrens 95%-BI", "Bovengrens 95%-BI", "Significant"]:
        assert hidden[heading] == SUPPRESSED_CELL, heading
    assert hidden["Onderdrukt"] == "ja" and hidden["Reden onderdrukking"].startswith(MIN_RESPONDENTS_TEXT)
    assert (hidden["Respondenten van"], hidden["Respondenten naar"]) == (12, 3)
    parquet = pq.read_table(summary.folder / "monitor_trend.parquet").to_pandas().set_index("area_code")
    assert parquet.loc[TINY_GEMEENTE, ["difference", "significant"]].isna().all()
    assert set(parquet["edition_to"]) == {EDITION}


def _failing_after(count: int):
    calls = []

    def progress(line: str) -> None:
        calls.append(line)
        if len(calls) == count:
            raise RuntimeError(f"injected failure after: {line}")

    return progress


# progress lines: 1 read, then one per sheet, then one when Parquet and CSV are written (then the swap)
@pytest.mark.parametrize("fail_at", [3, 2 + len(workbook_sheets())], ids=["mid-workbook", "after-parquet-and-csv"])
def test_failed_export_leaves_the_previous_export_intact(export, warehouse, tmp_path, fail_at):
    summary, _ = export
    out_dir = tmp_path / "exports" / str(EDITION)
    shutil.copytree(summary.folder, out_dir)
    before = _digest(out_dir)
    with pytest.raises(RuntimeError, match="injected failure"):
        with duckdb.connect(str(warehouse), read_only=True) as conn:
            write_tabellenboek(conn, EDITION, out_dir, _failing_after(fail_at))
    assert _digest(out_dir) == before
    assert [p.name for p in out_dir.parent.iterdir()] == [str(EDITION)]  # no half-built folder left


def test_unwritable_place_fails_clearly_and_changes_nothing(warehouse, tmp_path):
    blocker = tmp_path / "exports"
    blocker.write_text("a file where the exports folder should be")
    with pytest.raises(ExportError, match="cannot write the export"):
        _export(warehouse, blocker / str(EDITION))
    assert blocker.read_text().startswith("a file")


def test_a_new_export_replaces_the_previous_one_whole(warehouse, tmp_path):
    out_dir = tmp_path / "exports" / str(EDITION)
    out_dir.mkdir(parents=True)
    (out_dir / "stale.csv").write_text("from an earlier export\n")
    summary, _ = _export(warehouse, out_dir)
    assert not (out_dir / "stale.csv").exists()
    assert set(summary.files) == {p.name for p in out_dir.iterdir()}
    assert [p.name for p in out_dir.parent.iterdir()] == [str(EDITION)]


def test_swap_by_renames_where_no_atomic_exchange_exists(tmp_path):
    target, new = tmp_path / "2018", tmp_path / ".2018.building"
    target.mkdir()
    (target / "old.txt").write_text("old")
    new.mkdir()
    (new / "new.txt").write_text("new")
    swap_by_renames(new, target)
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["2018"]


def test_asset_materializes_the_export_with_metadata(warehouse, tmp_path):
    from dagster import DagsterInstance, materialize
    from dagster_duckdb import DuckDBResource

    from orchestration.assets.exports import EXPORTED_KEYS, TABELLENBOEK_KEY, tabellenboek
    from orchestration.assets.publish import EDITION_TABLES, LOG_TABLE, WHOLE_TABLES, published_key
    from orchestration.partitions import EDITION_PARTITIONS_NAME

    database = _scratch(warehouse, tmp_path / "wh")
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(EDITION_PARTITIONS_NAME, [str(EDITION)])
    result = materialize(
        [tabellenboek],
        partition_key=str(EDITION),
        resources={"warehouse": DuckDBResource(database=str(database))},
        instance=instance,
    )
    assert result.success
    assert set(tabellenboek.asset_deps[TABELLENBOEK_KEY]) == set(EXPORTED_KEYS)
    published = {published_key(table) for table in [*EDITION_TABLES, *WHOLE_TABLES, LOG_TABLE]}
    assert published == set(EXPORTED_KEYS)
    [materialization] = result.asset_materializations_for_node(tabellenboek.op.name)
    assert materialization.asset_key == TABELLENBOEK_KEY
    metadata = materialization.metadata
    folder = database.parent / "exports" / str(EDITION)
    assert metadata["folder"].value == str(folder)
    assert (folder / workbook_name(EDITION)).is_file()
    assert "| Cijfers per gebied | monitor.monitor_area_estimates |" in metadata["rows_per_sheet"].value
    assert workbook_name(EDITION) in metadata["files"].value
    messages = [e.user_message for e in instance.all_logs(result.run_id)]
    assert any(re.search(rf"tabellenboek {EDITION}: sheet Cijfers per gebied [\d,]+ rows", m) for m in messages)


# -- issue 16: who is resilient, and size classes within regions -------------------------------
def test_profile_sheets_have_every_row_in_the_codebooks_order_with_dutch_labels(export, warehouse):
    summary, _ = export
    expected = _query(warehouse, "select * from monitor.monitor_profiles where edition = ?", [EDITION])
    profiles = _sheet_frame(summary.workbook, "Profielen")
    assert len(profiles) == len(expected) == summary.rows["monitor_profiles"] > 0
    # characteristics in the codebook's reporting order, categories in category_order
    order = list(load_codebook().profiles["characteristics"])
    shown = list(dict.fromkeys(profiles[column_label("characteristic")]))
    assert shown == [c for c in order if c in set(expected["characteristic"])] and len(shown) == len(order)
    for characteristic, rows in profiles.groupby(column_label("characteristic"), sort=False):
        ranks = rows[column_label("category_order")].tolist()
        assert ranks == sorted(ranks), characteristic
    # the unknown category is there with its Dutch label, and every code has one
    unknown = profiles[profiles[column_label("category")] == "onbekend"]
    assert len(unknown) and (unknown[column_label("category_label")] == "geen antwoord").all()
    assert profiles[column_label("category_label")].notna().all()
    assert profiles["Indicator (omschrijving)"].notna().all()
    assert set(profiles[column_label("suppressed")]) <= {"ja", "nee"}
    resources = _sheet_frame(summary.workbook, "Hulpbronnen naar veerkracht")
    n = _query(warehouse, "select count(*) as n from monitor.monitor_resources_by_resilience where edition = ?", [EDITION])
    assert len(resources) == n["n"][0] == summary.rows["monitor_resources_by_resilience"] > 0
    assert set(resources[column_label("indicator_kind")]) == {"Hulpbron (schaal)", "Groep hulpbronnen"}
    assert set(resources[column_label("significant")]) <= {"ja", "nee", SUPPRESSED_CELL}
    assert column_label("ci_lower", "monitor_resources_by_resilience") == "Ondergrens 95%-BI verschil"


def test_size_classes_within_regions_side_by_side(export, warehouse):
    summary, _ = export
    area = _query(warehouse, "select * from monitor.monitor_area_estimates where edition = ?", [EDITION])
    regios = area[area["area_level"] == "regio"]
    cells = area[area["area_level"] == "regio_grootteklasse"]
    # every regio has its size classes (the demo layout has all three in each of the four regios)
    assert set(cells["area_code"].str.split("_").str[0]) == set(regios["area_code"])
    assert len(cells) == 3 * len(regios)
    sheet = _sheet_frame(summary.workbook, SIZE_CLASS_SHEET)
    assert len(sheet) == len(regios)  # one row per regio and indicator
    names = dict(zip(area.loc[area["area_level"] == "grootteklasse", "area_code"],
                     area.loc[area["area_level"] == "grootteklasse", "area_name"]))
    assert len(names) == 3
    blocks = [h.split(": ")[0] for h in sheet.columns if h.endswith(": schatting")]
    assert blocks == [names["groot"], names["middelgroot"], names["klein"], "Regio totaal"]
    assert not set(sheet.columns) & set(area.columns)  # Dutch headings, not column names
    assert list(sheet.columns[:5]) == ["Editie", "Regiocode", "Regio", "Indicator", "Indicator (omschrijving)"]
    indexed = sheet.set_index(["Regiocode", "Indicator"])
    checked = suppressed = 0
    for r in cells.itertuples():
        regio, size_class = r.area_code.split("_")
        row = indexed.loc[(regio, r.indicator)]
        name = names[size_class]
        if r.suppressed:
            assert row[f"{name}: schatting"] == SUPPRESSED_CELL, r.area_code
            suppressed += 1
            continue
        assert float(row[f"{name}: schatting"]) == pytest.approx(r.estimate, rel=1e-14), (r.area_code, r.indicator)
        assert float(row[f"{name}: ondergrens 95%-BI"]) == pytest.approx(r.ci_lower, rel=1e-14)
        assert float(row[f"{name}: bovengrens 95%-BI"]) == pytest.approx(r.ci_upper, rel=1e-14)
        assert row[f"{name}: aantal respondenten"] == r.n_respondents
        checked += 1
    assert checked > 0.9 * len(cells)
    for r in regios.itertuples():
        assert float(indexed.loc[(r.area_code, r.indicator), "Regio totaal: schatting"]) == pytest.approx(r.estimate)
    # a combination the layout does not have stays empty (not zero, not "onderdrukt")
    present = set(zip(cells["area_code"], cells["indicator"]))
    for (regio, indicator), row in indexed.iterrows():
        for code, name in names.items():
            if (f"{regio}_{code}", indicator) not in present:
                assert row[f"{name}: schatting"] is None
    toelichting = "\n".join(
        str(v) for row in openpyxl.load_workbook(summary.workbook)[TOELICHTING].iter_rows(values_only=True) for v in row if v
    )
    assert "area_level in ('regio', 'regio_grootteklasse')" in toelichting and "CR35_middelgroot" in toelichting
    manifest = (summary.folder / "manifest.json").read_text(encoding="utf-8")
    assert SIZE_CLASS_SHEET in manifest


def test_withheld_composition_reads_onderdrukt_with_a_dutch_reason(warehouse, tmp_path):
    """Hand-made: one category's composition withheld (few resilient respondents in it) while
    its estimate stays, as the mart writes it."""
    database = _scratch(warehouse, tmp_path / "wh")
    with duckdb.connect(str(database)) as conn:
        conn.execute(
            """update monitor.monitor_profiles set n_resilient = 4, share_among_resilient = null,
                   share_among_less_resilient = null, difference = null, difference_ci_lower = null,
                   difference_ci_upper = null, significant = null, composition_suppressed = true,
                   composition_suppression_reason = 'composition: fewer than 10 respondents of the category among the resilient'
               where edition = ? and characteristic = 'education' and category = '1'""",
            [EDITION],
        )
    summary, _ = _export(database, tmp_path / "exports" / str(EDITION))
    profiles = _sheet_frame(summary.workbook, "Profielen")
    withheld = profiles[(profiles[column_label("characteristic")] == "education") & (profiles[column_label("category")] == "1")]
    assert len(withheld) == len(load_codebook().indicators)
    for column in ["share_among_resilient", "share_among_less_resilient", "difference", "difference_ci_lower",
                   "difference_ci_upper", "significant"]:
        assert (withheld[column_label(column, "monitor_profiles")] == SUPPRESSED_CELL).all(), column
    assert (withheld[column_label("composition_suppressed")] == "ja").all()
    assert (withheld[column_label("composition_suppression_reason")]
            == "samenstelling: minder dan 10 respondenten van de categorie onder de veerkrachtigen").all()
    assert (withheld[column_label("estimate", "monitor_profiles")] != SUPPRESSED_CELL).all()  # the estimate stays
    others = profiles[profiles[column_label("composition_suppressed")] == "nee"]
    assert len(others) and not (others[column_label("share_among_resilient")] == SUPPRESSED_CELL).any()


def _area_rows(rows: list[tuple]) -> dict[str, pa.Table]:
    """Rows of monitor_area_estimates with the regio and size class each area lies in, as
    int_areas places them (a regio_grootteklasse code is '<regio>_<size class>')."""
    columns = ["edition", "area_level", "area_code", "area_name", "indicator", "estimate", "ci_lower", "ci_upper",
               "n_respondents", "suppressed"]
    records = []
    for row in rows:
        record = dict(zip(columns, row))
        level, code = record["area_level"], record["area_code"]
        regio, _, size_class = code.partition("_") if level == "regio_grootteklasse" else (None, None, None)
        record["regio_code"] = code if level == "regio" else regio
        record["size_class"] = code if level == "grootteklasse" else size_class
        records.append(record)
    return {"monitor_area_estimates": pa.Table.from_pylist(records)}


def test_size_class_sheet_from_small_frames():
    """Without the pipeline: two regios, one without grote steden, one cell suppressed."""
    rows = [
        (2018, "grootteklasse", "groot", "Grote steden (B5)", "happiness", 7.0, 6.8, 7.2, 500, False),
        (2018, "grootteklasse", "klein", "Kleine gemeenten", "happiness", 7.2, 7.0, 7.4, 400, False),
        (2018, "regio", "CR34", "Midden-Noord-Brabant", "happiness", 7.1, 6.9, 7.3, 300, False),
        (2018, "regio", "CR33", "West-Noord-Brabant", "happiness", 6.9, 6.7, 7.1, 200, False),
        (2018, "regio_grootteklasse", "CR33_groot", "West-Noord-Brabant, grote steden", "happiness", 6.5, 6.1, 6.9, 120, False),
        (2018, "regio_grootteklasse", "CR33_klein", "West-Noord-Brabant, kleine gemeenten", "happiness", None, None, None, 6, True),
        (2018, "regio_grootteklasse", "CR34_klein", "Midden-Noord-Brabant, kleine gemeenten", "happiness", 7.3, 7.0, 7.6, 180, False),
    ]
    [spec] = derived_sheets()
    sheet = size_classes_by_regio_sheet(spec, _area_rows(rows))
    frame = pd.DataFrame(sheet.frame.to_numpy(), columns=sheet.headings).set_index("Regiocode")
    assert list(frame.index) == ["CR34", "CR33"]  # regios by name, as on "Cijfers per gebied"
    assert frame.loc["CR33", "Grote steden (B5): schatting"] == 6.5
    assert frame.loc["CR33", "Kleine gemeenten: schatting"] == SUPPRESSED_CELL
    assert frame.loc["CR33", "Kleine gemeenten: aantal respondenten"] == 6  # the count is published
    assert frame.loc["CR34", "Grote steden (B5): schatting"] is None  # no grote stad in CR34
    assert frame.loc["CR34", "Regio totaal: schatting"] == 7.1
    withheld = {sheet.headings[column] for row, column in sheet.suppressed}
    assert withheld == {f"Kleine gemeenten: {what}" for what in ("schatting", "ondergrens 95%-BI", "bovengrens 95%-BI")}
    bad = _area_rows([*rows, (2018, "regio_grootteklasse", "CR99_klein", "?", "happiness", 7.0, 6.0, 8.0, 50, False)])
    with pytest.raises(ExportError, match=r"regio_code that is not a regio of the edition.*CR99_klein"):
        size_classes_by_regio_sheet(spec, bad)


# -- what readers see: units, Dutch, two marks, one label, one count ----------------------------
def _sheets(workbook: Path) -> dict[str, pd.DataFrame]:
    book = openpyxl.load_workbook(workbook, read_only=True)
    out = {}
    for ws in book.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        out[ws.title] = pd.DataFrame(rows[1:], columns=rows[0]) if ws.title != TOELICHTING else pd.DataFrame(rows)
    return out


def test_a_unit_column_beside_every_estimate_column_that_mixes_indicators(export):
    """'Schatting' holds scores 0-10 and percentages 0-100 in one column: 'Eenheid' says which,
    right beside the indicator's name, on every sheet with an indicator per row."""
    summary, _ = export
    sheets = _sheets(summary.workbook)
    with_indicator = [name for name, frame in sheets.items() if name != TOELICHTING and "Indicator" in frame.columns]
    assert {SHEETS["monitor_area_estimates"], SHEETS["monitor_small_area_estimates"], SHEETS["monitor_below_gemeente"],
            SHEETS["monitor_profiles"], SIZE_CLASS_SHEET} <= set(with_indicator)  # fmt: skip
    for name in with_indicator:
        frame = sheets[name]
        columns = list(frame.columns)
        assert columns[columns.index("Indicator (omschrijving)") + 1] == "Eenheid", name
        rows = frame[frame["Indicator"].notna()]  # a sheet without rows says so in its first cell
        assert (rows["Eenheid"] == rows["Indicator"].map(indicator_unit)).all(), name
    area = sheets[SHEETS["monitor_area_estimates"]]
    assert set(area["Eenheid"]) == {"score 0-10", "%"}
    assert set(area.loc[area["Indicator"] == "pct_veerkrachtig", "Eenheid"]) == {"%"}
    toelichting = "\n".join(str(v) for v in sheets[TOELICHTING].to_numpy().ravel() if v is not None)
    assert "'Eenheid'" in toelichting and "procentpunten" in toelichting


ENGLISH = re.compile(
    r"\b(the|and|with|to|mean|estimate|benchmarked|covariates|synthetic|clipped|respondents|fewer|than|"
    r"suppressed|no|not|edition|calibration|weighted|linearised|published|figure|boundaries|unknown)\b"
)
# columns whose values are codes as in the database, Parquet and CSV (each with a Dutch label beside it)
CODE_HEADINGS = {column_label(c) for c in ("indicator", "area_level", "level", "resource", "resource_group", "type",
                                           "characteristic", "category", "scale", "size_class", "covariates_absent",
                                           "regio_grootteklasse_code")} | {"Indicator (code)"}  # fmt: skip


def test_every_text_a_reader_sees_is_dutch(export):
    """The Toelichting and every text cell of the data sheets in Dutch: the method columns
    translated, where the rows come from said in words (codes stay codes, beside their label)."""
    summary, _ = export
    sheets = _sheets(summary.workbook)
    found = []
    toelichting = sheets[TOELICHTING]
    for value in toelichting.to_numpy().ravel():
        if isinstance(value, str) and value not in load_codebook().indicators:
            text = re.sub(r"monitor\.monitor_\w+|\([^)]*area_level[^)]*\)|manifest\.json|Dagster-run|[\w-]+\.(csv|parquet)", "", value)
            found += [(TOELICHTING, value)] if ENGLISH.search(text.lower()) else []
    for name, frame in sheets.items():
        if name == TOELICHTING:
            continue
        for heading in frame.columns:
            if heading in CODE_HEADINGS or heading in {"Gebied", "Gemeente", "Regio", "Reden"}:
                continue  # codes, and names and reasons written in Dutch by people
            for value in set(frame[heading].dropna()):
                if isinstance(value, str) and ENGLISH.search(value.lower()):
                    found.append((name, heading, value))
    assert not found, found[:10]
    small = sheets[SHEETS["monitor_small_area_estimates"]]
    assert small["Methode"].str.startswith("Fay-Herriot-model").all()
    assert set(sheets[SHEETS["monitor_area_estimates"]]["Schattingsmethode"]) == {
        "gewogen gemiddelde (kalibratiegewichten), 95%-BI door Taylor-linearisatie"
    }


def test_two_marks_for_two_rules_each_explained(export):
    """'onderdrukt' where a row (an area, a cell) is withheld, '< 10 resp.' where only the direct
    figure of a published wijk or buurt on 1..9 respondents is: never both meanings in one row,
    and the Toelichting explains each."""
    summary, _ = export
    sheets = _sheets(summary.workbook)
    for table in ("monitor_small_area_estimates", "monitor_below_gemeente"):
        frame = sheets[SHEETS[table]]
        marked = frame.isin([FEW_RESPONDENTS_CELL]).any(axis=1)
        assert marked.any(), table
        assert frame.loc[marked, "Aantal respondenten"].between(1, 9).all(), table
        assert not frame[marked].isin([SUPPRESSED_CELL]).any(axis=1).any(), table  # never both in a row
        if "Onderdrukt" in frame.columns:
            assert (frame.loc[marked, "Onderdrukt"] == "nee").all()
            hidden = frame[frame["Onderdrukt"] == "ja"]
            assert len(hidden) and not hidden.isin([FEW_RESPONDENTS_CELL]).any(axis=None)
    other = [name for name, frame in sheets.items() if name not in (TOELICHTING, SHEETS["monitor_small_area_estimates"],
                                                                     SHEETS["monitor_below_gemeente"])]  # fmt: skip
    assert not [name for name in other if sheets[name].isin([FEW_RESPONDENTS_CELL]).any(axis=None)]
    notes = dict(
        (row[0], row[1]) for row in sheets[TOELICHTING].itertuples(index=False) if isinstance(row[0], str) and isinstance(row[1], str)
    )
    assert SUPPRESSED_EXPLANATION in notes[f"'{SUPPRESSED_CELL}'"] and "'Onderdrukt' zegt 'ja'" in notes[f"'{SUPPRESSED_CELL}'"]
    assert "1 tot 9 eigen respondenten" in notes[f"'{FEW_RESPONDENTS_CELL}'"] and "= nee" in notes[f"'{FEW_RESPONDENTS_CELL}'"]


def test_one_label_for_the_resilience_score_and_one_flagged_count(export, warehouse):
    """The tabellenboek names veerkracht_score as the factsheets do (the codebook's label), and
    counts flagged wijken and buurten as they do (each area once), saying how."""
    from monitor.presentation.flagged import flagged_definition, read_flagged_areas

    summary, _ = export
    sheets = _sheets(summary.workbook)
    area = sheets[SHEETS["monitor_area_estimates"]]
    assert set(area.loc[area["Indicator"] == "veerkracht_score", "Indicator (omschrijving)"]) == {"Veerkrachtscore"}
    text = "\n".join(str(v) for frame in sheets.values() for v in frame.to_numpy().ravel() if v is not None)
    assert "Sociale veerkracht (coping)" not in text and "coping)" not in text
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        flagged = read_flagged_areas(conn, EDITION)
    assert flagged.total < flagged.rows == summary.rows["monitor_below_gemeente"]
    notes = {row[0]: row[1] for row in sheets[TOELICHTING].itertuples(index=False) if isinstance(row[0], str)}
    note = notes["Gesignaleerde wijken en buurten"]
    assert flagged_definition() in note
    assert f"In editie {EDITION}: {flagged.total} wijken en buurten." in note and f"({flagged.rows} rijen)" in note
