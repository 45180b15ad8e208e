"""Read the folder `cbsodata.get_data(table_id, dir=...)` writes as a KWB `RawTable`.

What cbsodata 1.x writes (cbsodata3.download_data / _save_data): for every part the table's
OData root lists, except the data set it was not asked for, `<dir>/<part>.json` holding the
part's `value` list (all pages of `odata.nextLink` joined), indented, nothing else. For a KWB
table the parts are

    TableInfos.json       [{"Identifier": "84583NED", "Title": ..., ...}]
    DataProperties.json   [{"Key": "AantalInwoners_5", "Type": "Topic", "Datatype": "Long", ...}, ...]
    CategoryGroups.json   [...]
    WijkenEnBuurten.json  [{"Key": "GM0363    ", "Title": "Amsterdam", ...}, ...]  (the region dimension)
    UntypedDataSet.json   [{"ID": 920, "WijkenEnBuurten": "GM0363    ", "AantalInwoners_5": "  862965", ...}]
      or TypedDataSet.json (typed=True: numbers as JSON numbers, secret values null)

The files hold the region *key* under `WijkenEnBuurten`: cbsodata replaces it by the region's
title only in the list `get_data` returns. Codes are read from `Codering_3` either way.

Only the JSON-specific part lives here: finding the data set, turning each record into one
text field per key. Everything after that is `monitor.cbs.kwb.load_table`, shared with the
CSV reader. A folder that is not a cbsodata download is refused with `KwbFileError`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from monitor.cbs.raw_table import KwbFileError, RawTable

DATA_SET_PARTS = ("UntypedDataSet", "TypedDataSet")
TABLE_INFOS = "TableInfos"
EXPECTED = (
    "the folder cbsodata.get_data(table_id, dir=...) writes: TableInfos.json, DataProperties.json, "
    "the region dimension WijkenEnBuurten.json and the data set UntypedDataSet.json or TypedDataSet.json"
)


def read_cbsodata_dir(path: Path, expected_table_id: str | None = None) -> RawTable:
    """The data set of a cbsodata download as a table of text.

    Rows are numbered by their position in the data set (1 = the first record). A record that
    is not a JSON object, or lacks some of the keys other records have, is unreadable. When
    TableInfos names another table than `expected_table_id` (the edition's table), the folder
    is refused: it holds another year's key figures."""
    path = Path(path)
    part = data_set_part(path)
    records = _read_json_list(part)
    if not records:
        raise KwbFileError(f"{part}: the data set holds no rows; expected one record per region")
    table_id = _table_id(path)
    if expected_table_id and table_id and table_id != expected_table_id:
        raise KwbFileError(
            f"{path}: TableInfos.json says this is table {table_id}, but the edition reads table "
            f"{expected_table_id} (monitor/cbs/kwb_variables.yaml); put the download under the right edition"
        )

    keys: list[str] = []
    seen: set[str] = set()
    for record in records:
        if isinstance(record, dict):
            for key in record:
                if key not in seen:
                    seen.add(key)
                    keys.append(key)
    rows, unreadable = [], []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            reason = f"record {number} of {part.name} is a JSON {type(record).__name__}, not an object"
            unreadable.append((number, reason, [], _truncate(json.dumps(record, ensure_ascii=False))))
            continue
        fields = [_text(record.get(key)) for key in keys]
        missing = [key for key in keys if key not in record]
        if missing:
            reason = f"record {number} of {part.name} lacks field(s) {', '.join(missing)} that other records have"
            unreadable.append((number, reason, fields, None))
        else:
            rows.append((number, fields))
    return RawTable(
        source=path,
        source_file=f"{path.name}/{part.name}",
        keys=[key.strip() for key in keys],
        rows=rows,
        unreadable=unreadable,
        table_id=table_id,
    )


def data_set_part(path: Path) -> Path:
    """`UntypedDataSet.json` or `TypedDataSet.json` of a download folder; refuses a folder
    with neither (not a cbsodata download) or with both (two downloads mixed)."""
    if not path.is_dir():
        raise KwbFileError(f"{path}: not a folder; expected {EXPECTED}")
    found = [path / f"{name}.json" for name in DATA_SET_PARTS if (path / f"{name}.json").is_file()]
    if not found:
        present = sorted(p.name for p in path.iterdir())
        raise KwbFileError(
            f"{path}: not a cbsodata download: no data set part (UntypedDataSet.json or TypedDataSet.json); "
            f"found: {', '.join(present) or 'nothing'}; expected {EXPECTED}"
        )
    if len(found) > 1:
        raise KwbFileError(
            f"{path}: holds both UntypedDataSet.json and TypedDataSet.json (two downloads in one folder); "
            "keep one, or download again into an empty folder"
        )
    return found[0]


def _read_json_list(path: Path) -> list:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as err:
        raise KwbFileError(f"{path}: not UTF-8 text ({err.reason}); expected {EXPECTED}") from None
    except json.JSONDecodeError as err:
        raise KwbFileError(f"{path}: not valid JSON (line {err.lineno}: {err.msg}); expected {EXPECTED}") from None
    if not isinstance(data, list):
        raise KwbFileError(
            f"{path}: holds a JSON {type(data).__name__}, not a list of records; cbsodata saves each part "
            f"as the list of its records; expected {EXPECTED}"
        )
    return data


def _table_id(path: Path) -> str | None:
    """The table's identifier as TableInfos.json gives it (None when the part is absent)."""
    infos = path / f"{TABLE_INFOS}.json"
    if not infos.is_file():
        return None
    records = _read_json_list(infos)
    if records and isinstance(records[0], dict) and isinstance(records[0].get("Identifier"), str):
        return records[0]["Identifier"].strip() or None
    return None


def _text(value) -> str | None:
    """A JSON value as the text a CSV export would hold: untyped data sets deliver text already,
    typed ones numbers (written so that they read back exactly) and null for a secret value."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"  # never in a KWB table; the row checks reject it
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return _truncate(json.dumps(value, ensure_ascii=False))


def _truncate(text: str, limit: int = 1000) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
