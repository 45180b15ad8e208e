"""The tabellenboek export (monitor/exports/tabellenboek.py, asset exports/tabellenboek), on a
copy of a real warehouse built by the pipeline (conftest's built_demo, edition 2018, with
gemeente GM0744 on 3 respondents), plus hand-made rows where the demo has none (a trend of
two editions). Real files throughout: the xlsx is read back with openpyxl."""

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
import pyarrow.parquet as pq
import pytest

from monitor.exports.tabellenboek import (
    TOELICHTING,
    ExportError,
    RespondentDataRefused,
    export_dir,
    export_tables,
    workbook_name,
    write_tabellenboek,
)
from monitor.presentation.folders import swap_by_renames
from monitor.presentation.labels import (
    MIN_RESPONDENTS_TEXT,
    SUPPRESSED_CELL,
    SUPPRESSED_EXPLANATION,
    column_label,
    indicator_label,
)
from tests.conftest import EDITION, TINY_GEMEENTE
from tests.test_privacy import ID_PATTERN

pytestmark = pytest.mark.pipeline
SHEETS = {spec.table: spec.sheet for spec in export_tables()}
KEYS = {
    "monitor_area_estimates": ["area_level", "area_code", "indicator"],
    "monitor_typology": ["area_level", "area_code", "type"],
    "monitor_small_area_estimates": ["area_level", "area_code", "indicator"],
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
    assert book.sheetnames == [TOELICHTING, *SHEETS.values()]
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
        assert [column_label(c) for c in columns] == [h for h in headers if h in {column_label(c) for c in columns}]
        assert not set(headers) & set(columns), f"{sheet}: untranslated heading"
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
    assert (few["Directe schatting"] == SUPPRESSED_CELL).all()
    nobody = small[(small["Aantal respondenten"] == 0) & (small["Onderdrukt"] == "nee")]
    assert len(nobody) and nobody["Directe schatting"].isna().all()  # no respondents: no direct figure at all
    hidden = small[small["Onderdrukt"] == "ja"]
    assert len(hidden) and (hidden["Schatting"] == SUPPRESSED_CELL).all()
    assert (hidden["Reden onderdrukking"] == "minder dan 50 inwoners").all()
    validation = _sheet_frame(summary.workbook, SHEETS["monitor_small_area_validation"])
    assert (validation.loc[validation["Gemeentecode"] == TINY_GEMEENTE, "Directe schatting"] == SUPPRESSED_CELL).all()


def test_numbers_equal_the_warehouse(export, warehouse):
    summary, _ = export
    for table, keys in KEYS.items():
        expected = _query(warehouse, f"select * from monitor.{table} where edition = ?", [EDITION])
        shown = _sheet_frame(summary.workbook, SHEETS[table]).rename(
            columns={column_label(c): c for c in expected.columns}
        )
        merged = expected.merge(shown, on=keys, suffixes=("", "_xlsx"), validate="one_to_one")
        assert len(merged) == len(expected) == len(shown)
        figure = "share" if table == "monitor_typology" else "estimate"
        for column in [figure, "ci_lower", "ci_upper", "n_respondents"]:
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


# progress lines: 1 read, 2..9 one per sheet, 10 Parquet and CSV written (then the swap)
@pytest.mark.parametrize("fail_at", [3, 10], ids=["mid-workbook", "after-parquet-and-csv"])
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
