"""Read a CBS Kerncijfers wijken en buurten (KWB) delivery into a typed frame.

CBS delivers the same table in more than one shape: comma-separated with a UTF-8 BOM and
unquoted values padded with spaces (the 2017 export), or `;`-separated with every value quoted
and right-aligned (the 2019 OData export), or as the folder `cbsodata.get_data(table, dir=...)`
writes (one JSON file per part of the OData table; read by `monitor.cbs.cbsodata_dir`). This
reader accepts all of them and returns one layout.

Each format is first read into a `RawTable` (column keys and rows of text, plus the rows that
could not even be split into fields); everything after that -- base names, cleaning, typing,
row checks, the rejected rows -- is `load_table`, the same for every format.

Column keys carry a number that shifts between years (`GemiddeldInkomenPerInwoner_66` in 2017,
`_72` in 2019), so every column is mapped by its base name, never by its key or position.

Three outcomes, never a silent one:
- the whole file is refused (`KwbFileError`) when it cannot be a KWB export at all;
- a row that cannot be read goes to `KwbLoad.rejected`, with its row number (the line of a CSV
  file, the position of the record in a cbsodata data set), a reason and its raw fields, so
  that quarantine can report it;
- every other row is accepted into `KwbLoad.frame`. Nothing is filtered by province here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.cbs import CODE_PATTERN, kwb_spec, kwb_variables
from monitor.cbs.cbsodata_dir import read_cbsodata_dir
from monitor.cbs.raw_table import KwbFileError, RawTable
from monitor.cbs.supplement import mark_resolved, merge_supplement, place_rejected_rows
from monitor.landing.text import decode_utf8

# Identification columns (base name -> output name). The output names are the project's, so
# that later stages do not depend on CBS spelling.
IDENTIFICATION = {
    "Codering": "region_code",
    "SoortRegio": "region_type",
    "Gemeentenaam": "gemeente_name",
    "WijkenEnBuurten": "region_label",
    "ID": "cbs_row_id",
    "IndelingswijzigingWijkenEnBuurten": "indeling_wijziging",
    # the same column under the name of the newer tables (`IndelingswijzigingGemeenteWijkBuurt_4`)
    "IndelingswijzigingGemeenteWijkBuurt": "indeling_wijziging",
}
# Without these a file cannot be placed in the regional layout at all (the variables each
# stage needs are `required_for` in kwb_variables.yaml; the raw check names those missing).
PLACING = ("Codering", "SoortRegio", "Gemeentenaam")  # what any table of regions needs, a supplement too
REQUIRED = (*PLACING, *kwb_variables("layout"))
# Variables CBS publishes as text although their values look like numbers (a postcode, a
# coverage class); typing them as numbers would turn codes into quantities.
TEXT_VARIABLES = frozenset({"MeestVoorkomendePostcode", "Dekkingspercentage"})
LEADING_COLUMNS = [
    "edition",
    "region_code",
    "region_type",
    "gemeente_code",
    "gemeente_name",
    "region_label",
    "cbs_row_id",
    "indeling_wijziging",
]
REGION_TYPE_OF_PREFIX = {"NL": "Land", "GM": "Gemeente", "WK": "Wijk", "BU": "Buurt"}
DELIMITERS = (";", ",", "\t")
HEADER_LINES = 1  # row numbers count the header line, as an editor shows them


@dataclass
class KwbLoad:
    frame: pd.DataFrame
    rejected: pd.DataFrame
    source_file: Path
    table_id: str | None
    unknown_columns: list[str] = field(default_factory=list)
    # output column -> CBS key in this file (e.g. "GemiddeldInkomenPerInwoner" ->
    # "GemiddeldInkomenPerInwoner_66"), to trace any value back to the export
    source_columns: dict[str, str] = field(default_factory=dict)
    supplement_file: Path | None = None  # kwb_supplement.csv beside the delivery, when there is one


def base_name(key: str) -> str:
    """`AantalInwoners_5` -> `AantalInwoners`; `ID`, `WijkenEnBuurten` unchanged.

    Only a trailing `_<digits>` is CBS's number: `k_15Tot25Jaar` keeps its inner underscore."""
    key = key.strip()
    stem, sep, number = key.rpartition("_")
    return stem if sep and stem and number.isdigit() else key


def _table_id(edition: int) -> str | None:
    return kwb_spec().get("table_ids", {}).get(int(edition))


def _known_numeric() -> set[str]:
    return {v["name"] for v in kwb_spec().get("variables", [])}


def load_kwb(path: Path, edition: int, supplement: Path | None = None) -> KwbLoad:
    """Read one KWB delivery of `edition`: a StatLine CSV export, or a folder written by
    `cbsodata.get_data(table, dir=...)`, and the optional supplement beside it
    (monitor.cbs.supplement). See the module docstring for what is refused, rejected and
    accepted; every rejected row names the gemeente it belongs to where its code or name says."""
    loaded = _load_one(Path(path), edition)
    gemeenten = _brabant_layout(edition)
    rejected = place_rejected_rows(loaded.rejected, gemeenten)
    if supplement is None:
        frame = merge_supplement(loaded.frame, loaded.frame.iloc[:0], "")
        rejected = rejected.assign(resolved_by=pd.Series(pd.NA, index=rejected.index, dtype="string"))
    else:
        extra = _load_one(Path(supplement), edition, required=PLACING)  # may hold only the missing columns
        frame = merge_supplement(loaded.frame, extra.frame, Path(supplement).name)
        extra_rejected = place_rejected_rows(extra.rejected, gemeenten)
        rejected = pd.concat([rejected, extra_rejected], ignore_index=True)
        rejected = mark_resolved(rejected, frame, Path(supplement).name)
        loaded.source_columns.update({k: v for k, v in extra.source_columns.items() if k not in loaded.source_columns})
        loaded.unknown_columns += [c for c in extra.unknown_columns if c not in loaded.unknown_columns]
    loaded.frame, loaded.rejected, loaded.supplement_file = frame, rejected, supplement
    return loaded


def _brabant_layout(edition: int) -> pd.DataFrame:
    from monitor.reference import brabant_gemeenten  # the seed of every edition

    return brabant_gemeenten(edition)[["gemeente_code", "gemeente_name"]]


def _load_one(path: Path, edition: int, required: tuple[str, ...] = REQUIRED) -> KwbLoad:
    if path.is_dir():
        table = read_cbsodata_dir(path, expected_table_id=_table_id(edition))
    else:
        table = read_csv_table(path)
    return load_table(table, edition, required)


def load_table(table: RawTable, edition: int, required: tuple[str, ...] = REQUIRED) -> KwbLoad:
    """Base names, cleaning, typing and row checks of a table of text, whatever its format."""
    names = _output_names(table.source, table.keys, required)
    raw = pd.DataFrame([fields for _, fields in table.rows], columns=names, dtype="str")
    raw.insert(0, "_line", pd.array([row for row, _ in table.rows], dtype="int64"))
    values = _clean(raw[names])
    parsed = _numbers(values, names)
    reasons = _row_reasons(values, parsed, names)

    bad = reasons.notna()
    frame = _typed_frame(values[~bad], {k: v[~bad] for k, v in parsed.items()}, names, edition)
    frame["_source_file"] = table.source_file
    frame["_source_row"] = raw["_line"][~bad].to_numpy()
    rejected = _rejected_frame(raw[bad], reasons[bad], table.unreadable, names, table.source_file, edition)
    _refuse_layout_of_another_year(table.source, frame, edition)
    known = set(IDENTIFICATION) | _known_numeric() | TEXT_VARIABLES
    return KwbLoad(
        frame=frame.reset_index(drop=True),
        rejected=rejected,
        source_file=table.source,
        table_id=table.table_id or _table_id(edition),
        unknown_columns=[n for n, k in zip(names, table.keys) if base_name(k) not in known],
        source_columns=dict(zip(names, table.keys)),
    )


def _refuse_layout_of_another_year(source: Path, frame: pd.DataFrame, edition: int) -> None:
    """A file that lacks Brabant gemeenten of the edition *and* holds Brabant gemeenten that do
    not exist in that edition (e.g. a 2019 file, with Altena and without Aalburg, for 2018) is
    the key figures of another year: refused, naming both sets and the rows. A file of another
    region (no Brabant gemeente at all) or a partial one is left to the raw CBS suite."""
    from monitor.reference import _brabant_gemeenten  # the seed of every edition

    seed = _brabant_gemeenten()
    first, last = seed["first_edition"].fillna(0), seed["last_edition"].fillna(9999)
    of_edition = seed[(first <= edition) & (edition <= last)]
    gemeenten = frame[frame["region_type"] == "Gemeente"]
    present = set(gemeenten["region_code"])
    missing = of_edition[~of_edition["gemeente_code"].isin(present)]
    foreign = seed[seed["gemeente_code"].isin(present) & ~seed["gemeente_code"].isin(of_edition["gemeente_code"])]
    if missing.empty or foreign.empty:
        return

    def _years(row) -> str:
        return f"from {int(row.first_edition)}" if pd.notna(row.first_edition) else f"until {int(row.last_edition)}"

    rows = gemeenten.loc[gemeenten["region_code"].isin(foreign["gemeente_code"]), "_source_row"].tolist()
    raise KwbFileError(
        f"{source}: the CBS key figures of another year: column Codering lacks {len(missing)} Brabant "
        f"gemeente(n) of the {edition} layout ({', '.join(f'{r.gemeente_code} {r.gemeente_name}' for r in missing.itertuples())}) "
        f"and holds {len(foreign)} that do not exist in {edition} "
        f"({', '.join(f'{r.gemeente_code} {r.gemeente_name}, {_years(r)}' for r in foreign.itertuples())}) "
        f"on row(s) {rows[:5]}; place the key figures of {edition} (CBS table {_table_id(edition) or 'of that year'}) "
        f"in the {edition} folder"
    )


# --- reading a CSV file -------------------------------------------------------------------


def read_csv_table(path: Path) -> RawTable:
    """A StatLine CSV export as a table of text; rows with another number of fields than the
    header are unreadable."""
    path = Path(path)
    text = _decode(path)
    keys, records = _parse(path, text, _delimiter(path, text))
    width = len(keys)
    return RawTable(
        source=path,
        source_file=path.name,
        keys=keys,
        rows=[(line, fields) for line, fields in records if len(fields) == width],
        unreadable=[
            (line, f"{len(fields)} fields where the header has {width}", fields, "|".join(fields[width:]) or None)
            for line, fields in records
            if len(fields) != width
        ],
    )


def _decode(path: Path) -> str:
    return decode_utf8(path, KwbFileError, "a CBS KWB CSV export as StatLine saves it (a header and one row per region)")


def _delimiter(path: Path, text: str) -> str:
    # Header keys never contain a delimiter, so the most frequent one in the header is it.
    header = text.lstrip().split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        raise KwbFileError(
            f"{path}: not a CSV file: the first line has no ';', ',' or tab separator "
            f"({header[:80]!r}); expected a header of CBS keys such as ID;WijkenEnBuurten;Codering_3"
        )
    return best


def _parse(path: Path, text: str, delimiter: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header keys and (line number, fields) per record; blank lines are skipped."""
    reader = csv.reader(io.StringIO(text.lstrip("\r\n")), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        header = next(reader)
        start = reader.line_num + 1
        for fields in reader:
            if fields:
                records.append((start, fields))
            start = reader.line_num + 1  # a quoted field may span lines: the next record starts here
    except csv.Error as err:
        raise KwbFileError(f"{path}: not readable as CSV near line {start}: {err}") from None
    if not records:
        raise KwbFileError(f"{path}: header only, no rows; expected one row per region after the header")
    return [key.strip() for key in header], records


def _output_names(path: Path, keys: list[str], required: tuple[str, ...] = REQUIRED) -> list[str]:
    """Base names, checked: identification columns present and unambiguous.

    A base name can occur twice in a real table (84583NED has `Appartement_48` under
    electricity and `Appartement_56` under gas use). Such columns are named after their
    group, the nearest earlier column whose base name is unique, without its `Totaal`:
    `GemiddeldElektriciteitsverbruikAppartement` -- CBS's own pattern
    (`PersonenPerSoortUitkeringBijstand`)."""
    bases = [base_name(k) for k in keys]
    missing = [name for name in required if name not in bases]
    if missing:
        raise KwbFileError(
            f"{path}: not a CBS KWB export: missing column(s) {', '.join(missing)} "
            f"(matched by base name, e.g. Codering_3 -> Codering); columns found: {', '.join(keys)}"
        )
    counts = pd.Series(bases).value_counts()
    twice_id = [b for b in IDENTIFICATION if counts.get(b, 0) > 1]
    if twice_id:
        raise KwbFileError(
            f"{path}: identification column(s) {', '.join(twice_id)} occur more than once; expected each once"
        )
    names, group = [], ""
    for base in bases:
        if counts[base] == 1:
            group = base.removesuffix("Totaal")
            names.append(base)
        else:
            names.append(group + base)
    reserved = {*LEADING_COLUMNS, "_source_file", "_source_row"}
    clashes = sorted({n for n in names if names.count(n) > 1} | (set(names) & reserved))
    if clashes:
        raise KwbFileError(
            f"{path}: ambiguous column name(s) {', '.join(clashes)} after mapping keys to base names; "
            f"columns found: {', '.join(keys)}"
        )
    return names


# --- cleaning and typing ------------------------------------------------------------------


def _clean(raw: pd.DataFrame) -> pd.DataFrame:
    """Strip padding; `.` (CBS: secret or not available) and empty become NULL."""
    stripped = raw.apply(lambda column: column.str.strip())
    return stripped.mask(stripped.isin(["", "."]))


def _to_number(values: pd.Series) -> pd.Series:
    number = pd.to_numeric(values, errors="coerce").astype("float64")
    return number.where(np.isfinite(number))  # `inf`/`nan` as text are not CBS numbers


def _numbers(values: pd.DataFrame, names: list[str]) -> dict[str, pd.Series]:
    """The parsed numbers of every numeric column (NULL where the text is not a number).

    Variables of the spec are numeric by definition. Others are numeric when most of their
    values are numbers, so that one stray value rejects its row instead of silently turning
    the whole column into text."""
    known = _known_numeric()
    numbers = {}
    for name in names:
        if name in IDENTIFICATION or name in TEXT_VARIABLES:
            continue
        number = _to_number(values[name])
        present = int(values[name].notna().sum())
        if name in known or int(number.notna().sum()) * 2 >= present:
            numbers[name] = number
    return numbers


def _row_reasons(values: pd.DataFrame, parsed: dict[str, pd.Series], names: list[str]) -> pd.Series:
    """One reason text per unreadable row (NULL for readable rows)."""
    checks = []
    code, kind = values["Codering"], values["SoortRegio"]
    cut = _cut_off_rows(values, names)
    name = values["Gemeentenaam"].fillna("")
    checks.append(("Codering and SoortRegio are empty and so is every field after Gemeentenaam '" + name
                   + "': the row was cut off, probably at a comma in the municipality name").where(cut))
    checks.append(pd.Series("Codering is empty", index=values.index).where(code.isna() & ~cut))
    checks.append(pd.Series("SoortRegio is empty", index=values.index).where(kind.isna() & ~cut))
    valid_code = code.str.fullmatch(CODE_PATTERN).fillna(False).astype(bool)
    checks.append(("region code '" + code.fillna("") + "' is not of the form GM####, WK######, BU######## or NL##")
                  .where(code.notna() & ~valid_code))
    expected = code.str.slice(0, 2).map(REGION_TYPE_OF_PREFIX)
    mismatch = valid_code & kind.notna() & (expected != kind)
    checks.append(("SoortRegio '" + kind.fillna("") + "' does not match region code '" + code.fillna("")
                   + "' (expected '" + expected.fillna("") + "')").where(mismatch))
    if "ID" in values:
        bad_id = values["ID"].notna() & _to_number(values["ID"]).pipe(lambda n: n.isna() | (n % 1 != 0))
        checks.append(("ID '" + values["ID"].fillna("") + "' is not a whole number").where(bad_id))
    for column, number in parsed.items():
        bad = values[column].notna() & number.isna()
        if bad.any():
            text = values[column].fillna("")
            checks.append((f"{column}: '" + text + "' is not a number (expected a number, '.' or empty)").where(bad))
    table = pd.concat(checks, axis=1)
    failing = table.notna().any(axis=1)
    reasons = pd.Series(pd.NA, index=values.index, dtype="str")
    reasons[failing] = table[failing].apply(lambda row: "; ".join(row.dropna()), axis=1)
    return reasons


def _cut_off_rows(values: pd.DataFrame, names: list[str]) -> pd.Series:
    # The 2017 export has rows whose municipality name contained a comma: the name was cut at
    # the comma and every later field is empty, so nothing after Gemeentenaam can be trusted.
    after = names[names.index("Gemeentenaam") + 1 :]
    return values["Codering"].isna() & values["SoortRegio"].isna() & values[after].isna().all(axis=1)


def _typed_frame(values: pd.DataFrame, parsed: dict[str, pd.Series], names: list[str], edition: int) -> pd.DataFrame:
    code = values["Codering"]
    columns = {
        "edition": pd.Series(int(edition), index=values.index, dtype="int64"),
        "region_code": code,
        "region_type": values["SoortRegio"],
        "gemeente_code": ("GM" + code.str.slice(2, 6)).where(~code.str.startswith("NL")),
        "gemeente_name": values["Gemeentenaam"],
        "region_label": _optional(values, "WijkenEnBuurten"),
        "cbs_row_id": pd.to_numeric(_optional(values, "ID")).astype("Int64"),
        # Kept as text: CBS marks a changed layout with a code ("1"), not with a quantity.
        "indeling_wijziging": _optional(values, "IndelingswijzigingWijkenEnBuurten", "IndelingswijzigingGemeenteWijkBuurt"),
    }
    for name in names:
        if name not in IDENTIFICATION:
            columns[name] = parsed[name].astype("Float64") if name in parsed else values[name]
    return pd.DataFrame(columns)


def _optional(values: pd.DataFrame, *names: str) -> pd.Series:
    # Absent columns still appear (all NULL) so that every edition has the same layout; the
    # first of `names` the table has is taken.
    for name in names:
        if name in values:
            return values[name]
    return pd.Series(pd.NA, index=values.index, dtype="str")


def _rejected_frame(raw, reasons, unreadable, names, source_file: str, edition: int) -> pd.DataFrame:
    """Rejected rows with their raw fields as text (unstripped), ordered by row number."""
    rows = [
        {"source_row": line, "reason": reason, **dict(zip(names, fields))}
        for line, reason, fields in zip(raw["_line"], reasons, raw[names].itertuples(index=False))
    ]
    for line, reason, fields, extra in unreadable:
        rows.append({"source_row": line, "reason": reason, **dict(zip(names, fields)), "_extra_fields": extra})
    text_columns = ["reason", *names, "_extra_fields"]
    rejected = pd.DataFrame(rows, columns=["source_row", *text_columns])
    rejected = rejected.astype({"source_row": "int64", **{c: "str" for c in text_columns}})
    leading = pd.DataFrame({"edition": int(edition), "source_file": source_file}, index=rejected.index)
    return pd.concat([leading, rejected], axis=1).sort_values("source_row", ignore_index=True)
