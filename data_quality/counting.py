"""Expectations as counts in DuckDB: every row-level `Expect` spec becomes the count of the
rows that break it, all of them in one query over the rows, and the first values and lines
that break each failing one; table-level specs (columns, row count, types, distinct values,
extremes) are measured on their own. Great Expectations then judges the counts
(data_quality/runner.py).

Why: a warehouse table of a national edition has half a million respondents (14 million
answers); GX on those rows in pandas took 25 s of a 115 s national refresh for the raw survey
suite alone, and GX's SQL datasource over duckdb-engine returns no rows for its metric queries
(GX issues #10738, #11579). Counted here: 0.5 s at Brabant scale where GX on the frame took 7 s,
with the same counts, examples and lines.

GX semantics kept (the result of each spec has GX's SUMMARY shape): column-map expectations
ignore NULLs (except the (not-)null ones) and give `unexpected_percent` among non-missing
values; row conditions (pandas syntax in the suites) become SQL conditions; uniqueness counts
every row whose value occurs more than once; pair expectations skip rows as their
`ignore_row_if` says; a type is judged on the column's DuckDB type (a pandas frame's dtypes as
DuckDB reads them: NaN is NULL)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from data_quality.expectations import Expect

ROW_COLUMN = "_source_row"  # the line in the delivered file (set by the loaders)
ROWS = "{rows}"  # where a query names the validated rows (replaced, not str.format: regexes hold braces)
PARTIAL = 20  # unexpected values and lines kept per failing expectation, as GX's SUMMARY format keeps

# DuckDB type -> the dtype names GX would see for the column in pandas (data_quality.expectations.TYPE_NAMES)
DTYPE_NAMES = {
    "VARCHAR": ["object", "str"],
    "BIGINT": ["int64", "Int64Dtype"],
    "INTEGER": ["int32", "Int32Dtype", "int64", "Int64Dtype"],
    "SMALLINT": ["int16", "int64"],
    "TINYINT": ["int8", "int64"],
    "HUGEINT": ["int64", "Int64Dtype"],
    "DOUBLE": ["float64", "Float64Dtype"],
    "FLOAT": ["float32", "float64"],
    "BOOLEAN": ["bool", "boolean"],
}


class UnsupportedExpectation(ValueError):
    """An expectation kind this module has no counting for: its result says so (add the kind to
    `counting` or `_table_level`), and the suite fails rather than passing it unseen."""


def q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def literal(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, float) and not math.isfinite(value):
        return f"'{value}'::double"
    return repr(value)


def sql_condition(kwargs: Mapping) -> str:
    """A suite's row condition (pandas query syntax: `suppressed == False`, `region_type=="Buurt"`,
    `flag_basis in ['a', 'b']`, a bare boolean column) as a SQL condition."""
    condition = kwargs.get("row_condition")
    if not condition:
        return "true"
    if kwargs.get("condition_parser", "pandas") != "pandas":
        raise UnsupportedExpectation(f"row condition parser {kwargs['condition_parser']!r}")
    sql = condition.replace("==", "=").replace('"', "'")
    sql = re.sub(r"\bTrue\b", "true", re.sub(r"\bFalse\b", "false", sql))
    sql = re.sub(r"\bin\s*[\[(]([^\])]*)[\])]", r"in (\1)", sql)
    return f"({sql})"


@dataclass(frozen=True)
class Counting:
    """How one expectation is counted: the rows it looks at (`domain`), the rows among them that
    break it (`unexpected`) and what a failure shows (`shown`: a value, or a pair of values)."""

    domain: str
    unexpected: str
    nonmissing: str | None = None  # rows that count for unexpected_percent (None: the domain)
    shown: str | None = None
    duplicates_of: tuple[str, ...] = ()  # uniqueness: the columns whose repeated values are unexpected


def _between(column: str, kw: Mapping) -> str:
    parts = []
    if kw.get("min_value") is not None:
        parts.append(f"{q(column)} {'<=' if kw.get('strict_min') else '<'} {literal(kw['min_value'])}")
    if kw.get("max_value") is not None:
        parts.append(f"{q(column)} {'>=' if kw.get('strict_max') else '>'} {literal(kw['max_value'])}")
    return " or ".join(parts) or "false"


LONG_SET = 100  # a longer value set is matched by a join: DuckDB tests a long IN list value by value


def _in_sql(column: str, values: list) -> str:
    """`column IN values`: a list, or for a long set of text values (the buurt codes of a
    national edition: 13,000) a subquery, which DuckDB matches with a hash join (7 s -> 0.05 s on
    500,000 rows). The column is compared as text there, as DuckDB compares a text literal of a
    short list with a column of another type."""
    shown = [v for v in values if v is not None]  # NULL is never in a set: GX leaves NULLs out
    listed = ", ".join(literal(v) for v in shown) or "null"
    if len(shown) > LONG_SET and all(isinstance(v, str) for v in shown):
        return f"{q(column)}::varchar in (select unnest([{listed}]))"
    return f"{q(column)} in ({listed})"


def _in_set(column: str, values: list) -> str:
    if not values:
        return "true"
    return f"not ({_in_sql(column, values)})"


def _pair_ignored(a: str, b: str, rule: str) -> str:
    return {
        "both_values_are_missing": f"({q(a)} is null and {q(b)} is null)",
        "either_value_is_missing": f"({q(a)} is null or {q(b)} is null)",
        "neither": "false",
    }[rule]


def counting(spec: Expect) -> Counting | None:
    """The counting of a row-level expectation; None for one judged on the whole table."""
    kind, kw = spec.kind, spec.kwargs
    where = sql_condition(kw)
    col = kw.get("column")
    if kind == "ExpectColumnValuesToNotBeNull":
        return Counting(where, f"{q(col)} is null", nonmissing=where, shown=q(col))
    if kind == "ExpectColumnValuesToBeNull":
        return Counting(where, f"{q(col)} is not null", nonmissing=where, shown=q(col))
    present = f"{where} and {q(col)} is not null" if col else where
    if kind == "ExpectColumnValuesToBeInSet":
        return Counting(where, _in_set(col, kw["value_set"]), present, q(col))
    if kind == "ExpectColumnValuesToNotBeInSet":
        return Counting(where, _in_sql(col, kw["value_set"]), present, q(col))
    if kind == "ExpectColumnValuesToBeBetween":
        return Counting(where, _between(col, kw), present, q(col))
    if kind == "ExpectColumnValuesToMatchRegex":
        return Counting(where, f"not regexp_matches({q(col)}::varchar, {literal(kw['regex'])})", present, q(col))
    if kind == "ExpectColumnValuesToBeUnique":
        return Counting(where, "false", present, q(col), duplicates_of=(col,))
    if kind in (
        "ExpectColumnPairValuesToBeEqual",
        "ExpectColumnPairValuesAToBeGreaterThanB",
        "ExpectColumnPairValuesToBeInSet",
    ):
        a, b = kw["column_A"], kw["column_B"]
        kept = f"{where} and not {_pair_ignored(a, b, kw.get('ignore_row_if', 'both_values_are_missing'))}"
        # GX counts every row as an element, and the rows it does not ignore for the percentage
        if kind == "ExpectColumnPairValuesToBeEqual":
            broken = f"{q(a)} is distinct from {q(b)}"
        elif kind == "ExpectColumnPairValuesAToBeGreaterThanB":
            broken = f"not coalesce({q(a)} {'>=' if kw.get('or_equal') else '>'} {q(b)}, false)"
        else:
            pairs = ", ".join(f"({literal(x)}, {literal(y)})" for x, y in kw["value_pairs_set"]) or "(null, null)"
            broken = f"({q(a)}, {q(b)}) not in ({pairs})"
        return Counting(
            where,
            f"not {_pair_ignored(a, b, kw.get('ignore_row_if', 'both_values_are_missing'))} and {broken}",
            kept,
            f"row({q(a)}, {q(b)})",
        )
    if kind == "ExpectCompoundColumnsToBeUnique":
        columns = kw["column_list"]
        all_missing = " and ".join(f"{q(c)} is null" for c in columns)
        kept = f"{where} and not ({all_missing})"
        return Counting(
            where,
            "false",
            kept,
            "struct_pack(" + ", ".join(f"{q(c)} := {q(c)}" for c in columns) + ")",  # as GX lists them: by name
            duplicates_of=tuple(columns),
        )
    if kind.startswith(
        (
            "ExpectTable",
            "ExpectColumnDistinct",
            "ExpectColumnMax",
            "ExpectColumnMin",
            "ExpectColumnToExist",
            "ExpectColumnValuesToBeInTypeList",
            "ExpectColumnValuesToBeOfType",
        )
    ):
        return None
    raise UnsupportedExpectation(kind)


def _columns(spec: Expect) -> list[str]:
    kw = spec.kwargs
    named = [kw.get("column"), kw.get("column_A"), kw.get("column_B"), *(kw.get("column_list") or [])]
    condition = re.sub(r"'[^']*'|\"[^\"]*\"", "", kw.get("row_condition") or "")  # not the quoted values
    named += re.findall(r"[A-Za-z_][A-Za-z0-9_]*", condition)
    return [c for c in named if c]


@dataclass
class Measured:
    """What SQL found for one expectation: GX's result dictionary, the unexpected count GX is to
    judge and the count its `mostly` allows, or why it could not be evaluated."""

    result: dict = field(default_factory=dict)
    unexpected: int = 0
    allowed: int = 0
    error: str | None = None


class Table:
    """The rows to validate: a relation of the warehouse (`select` or table name), its columns
    and their DuckDB types."""

    def __init__(self, conn, relation: str):
        self.conn = conn
        text = relation.strip()
        self.relation = f"({text})" if text.lower().startswith(("select", "with")) else f"(select * from {text})"
        described = conn.execute(f"describe select * from {self.relation}").fetchall()
        self.types = {row[0]: str(row[1]) for row in described}
        self.row_count = conn.execute(f"select count(*) from {self.relation}").fetchone()[0]

    def fetch(self, sql: str) -> list[tuple]:
        return self.conn.execute(sql.replace(ROWS, f"{self.relation} as rows")).fetchall()

    def has(self, column: str) -> bool:
        return column in self.types


def _missing_columns(table: Table, spec: Expect) -> list[str]:
    known = {*table.types, "True", "False", "true", "false", "and", "or", "not", "in", "is", "null", "None"}
    return [c for c in _columns(spec) if c not in known and not c.isdigit()]


def _allowed(kw: Mapping, nonmissing: int) -> int:
    mostly = kw.get("mostly", 1.0)
    return math.floor((1.0 - mostly) * nonmissing + 1e-9) if mostly < 1 else 0


def _map_result(table: Table, spec: Expect, how: Counting, counts: tuple[int, int, int]) -> Measured:
    element, nonmissing, unexpected = counts
    missing = element - nonmissing
    null_kind = spec.kind in ("ExpectColumnValuesToNotBeNull", "ExpectColumnValuesToBeNull")
    base = element if null_kind else nonmissing
    percent = unexpected / base * 100 if base else 0.0  # in GX's order of operations: the same float
    result = {"element_count": element, "unexpected_count": unexpected, "unexpected_percent": percent}
    if not null_kind:
        result |= {
            "missing_count": missing,
            "missing_percent": missing / element * 100 if element else None,
            "unexpected_percent_total": unexpected / element * 100 if element else 0.0,
            "unexpected_percent_nonmissing": percent,
        }
    result["partial_unexpected_list"] = []
    return Measured(result, unexpected, _allowed(spec.kwargs, base))


def _map_counts_sql(how: Counting) -> str:
    if how.duplicates_of:
        key = ", ".join(q(c) for c in how.duplicates_of)
        repeated = f"({key}) in (select ({key}) from {{rows}} where {how.nonmissing} group by all having count(*) > 1)"
        unexpected = f"count(*) filter (where {how.nonmissing} and {repeated})"
    else:
        unexpected = f"count(*) filter (where {how.domain} and coalesce({how.unexpected}, false))"
    return f"count(*) filter (where {how.domain}), count(*) filter (where {how.nonmissing or how.domain}), {unexpected}"


def _unexpected_rows(how: Counting) -> str:
    if how.duplicates_of:
        key = ", ".join(q(c) for c in how.duplicates_of)
        return (
            f"{how.nonmissing} and ({key}) in "
            f"(select ({key}) from {{rows}} where {how.nonmissing} group by all having count(*) > 1)"
        )
    return f"{how.domain} and coalesce({how.unexpected}, false)"


def _examples(table: Table, how: Counting, result: dict) -> None:
    """The first unexpected values in the order of the rows (with their lines in the delivered
    file, where the table has them), as GX's SUMMARY result lists them."""
    lines = table.has(ROW_COLUMN)
    rows = table.fetch(
        f"select {how.shown or 'null'} as value, {q(ROW_COLUMN) if lines else 'null'} as line from {{rows}} "
        f"where {_unexpected_rows(how)} {f'order by {q(ROW_COLUMN)}' if lines else ''} limit {PARTIAL}"
    )
    values = [tuple(v) if isinstance(v, (list, tuple)) else v for v, _ in rows]  # pairs as GX lists them
    result["partial_unexpected_list"] = values
    counts: dict = {}
    for value in values:  # GX counts compound values (dicts by column) by their tuple of values
        key = tuple(value.values()) if isinstance(value, dict) else value
        counts[key] = counts.get(key, 0) + 1
    result["partial_unexpected_counts"] = [
        {"value": v, "count": n} for v, n in sorted(counts.items(), key=lambda kv: -kv[1])
    ]
    if lines:
        result["partial_unexpected_index_list"] = [{ROW_COLUMN: int(line)} for _, line in rows]


def source_lines(result: dict) -> list[int]:
    """Line numbers in the delivered file of the failing rows GX lists (frames from raw tables
    carry `_source_row`). Without that column GX lists bare frame positions, not lines."""
    items = result.get("partial_unexpected_index_list") or []
    return [int(item[ROW_COLUMN]) for item in items if isinstance(item, dict) and ROW_COLUMN in item]


def _table_level(table: Table, spec: Expect) -> Measured:
    """Expectations on the whole table: columns, row count, types, distinct values, extremes."""
    kind, kw = spec.kind, spec.kwargs
    col = kw.get("column")
    if kind == "ExpectTableColumnsToMatchSet":
        expected, present = list(kw["column_set"]), list(table.types)
        missing = [c for c in expected if c not in present]
        unexpected = [c for c in present if c not in expected] if kw.get("exact_match", True) else []
        ok = not missing and not unexpected
        details = {} if ok else {"details": {"mismatched": {"missing": missing, "unexpected": unexpected}}}
        return Measured({"observed_value": sorted(present), **details}, 0 if ok else 1)
    if kind == "ExpectColumnToExist":
        return Measured({}, 0 if table.has(col) else 1)
    if kind in ("ExpectTableRowCountToBeBetween", "ExpectTableRowCountToEqual"):
        n = table.row_count
        if kind == "ExpectTableRowCountToEqual":
            ok = n == kw["value"]
        else:
            ok = (kw.get("min_value") is None or n >= kw["min_value"]) and (
                kw.get("max_value") is None or n <= kw["max_value"]
            )
        return Measured({"observed_value": n}, 0 if ok else 1)
    if kind in ("ExpectColumnValuesToBeInTypeList", "ExpectColumnValuesToBeOfType"):
        duckdb_type = table.types[col]
        accepted = kw.get("type_list") or [kw.get("type_")]
        ok = bool(set(DTYPE_NAMES.get(duckdb_type, [duckdb_type.lower()])) & set(accepted))
        return Measured({"observed_value": duckdb_type}, 0 if ok else 1)
    where = sql_condition(kw)
    if kind == "ExpectColumnDistinctValuesToEqualSet":
        observed = sorted(
            v for (v,) in table.fetch(f"select distinct {q(col)} from {{rows}} where {where} and {q(col)} is not null")
        )
        expected = list(kw["value_set"])
        extra, absent = [v for v in observed if v not in expected], [v for v in expected if v not in observed]
        result = {
            "observed_value": observed,
            "unexpected_count": len(extra),
            "missing_count": len(absent),
            "partial_unexpected_list": extra[:PARTIAL],
            "partial_missing_list": absent[:PARTIAL],
        }
        return Measured(result, 0 if not extra and not absent else 1)
    if kind in ("ExpectColumnMaxToBeBetween", "ExpectColumnMinToBeBetween"):
        function = "max" if kind == "ExpectColumnMaxToBeBetween" else "min"
        (observed,) = table.fetch(f"select {function}({q(col)}) from {{rows}} where {where}")[0]
        low, high = kw.get("min_value"), kw.get("max_value")
        ok = observed is not None and (low is None or observed >= low) and (high is None or observed <= high)
        return Measured({"observed_value": observed}, 0 if ok else 1)
    raise UnsupportedExpectation(kind)


def _error(message: str) -> Measured:
    return Measured({}, 1, 0, message)


def measure(table: Table, specs: list[Expect]) -> list[Measured]:
    """Every spec measured: the row-level ones in one query over the table, the table-level ones
    each on its own (cheap), and the first unexpected values of each failing one."""
    measured: dict[int, Measured] = {}
    row_level: dict[int, Counting] = {}
    for i, spec in enumerate(specs):
        absent = _missing_columns(table, spec)
        if absent:
            names = ", ".join(f'"{c}"' for c in absent)
            measured[i] = _error(f"the column{'s' if len(absent) > 1 else ''} {names} {'are' if len(absent) > 1 else 'is'} not in the table")
            continue
        try:
            how = counting(spec)
            if how is None:
                measured[i] = _table_level(table, spec)
            else:
                row_level[i] = how
        except UnsupportedExpectation as err:
            measured[i] = _error(f"cannot be counted in SQL: {err}")
        except Exception as err:  # a SQL error of one expectation must not hide the others
            measured[i] = _error(str(err).splitlines()[0])
    measured |= _count_rows(table, {i: (specs[i], how) for i, how in row_level.items()})
    return [measured[i] for i in range(len(specs))]


def _count_rows(table: Table, counted: dict[int, tuple[Expect, Counting]]) -> dict[int, Measured]:
    if not counted:
        return {}
    try:
        rows = table.fetch(f"select {', '.join(_map_counts_sql(how) for _, how in counted.values())} from {{rows}}")[0]
        counts = {i: rows[3 * k : 3 * k + 3] for k, i in enumerate(counted)}
    except Exception:  # one broken expectation: count each alone, so the others still count
        counts = {}
        for i, (_, how) in counted.items():
            try:
                counts[i] = table.fetch(f"select {_map_counts_sql(how)} from {{rows}}")[0]
            except Exception as err:
                counts[i] = str(err).splitlines()[0]
    measured = {}
    for i, (spec, how) in counted.items():
        if isinstance(counts[i], str):
            measured[i] = _error(counts[i])
            continue
        measured[i] = _map_result(table, spec, how, tuple(int(c) for c in counts[i]))
        if measured[i].unexpected:
            _examples(table, how, measured[i].result)
    return measured




def private_values_shown(table: Table, shown: set[str], private: set[str]) -> set[str]:
    """Which of the `shown` values (what the results would show) are values of a private
    column of the rows, e.g. a resp_id among the values of a swapped column: the results
    showing them keep only counts."""
    columns = [c for c in private if table.has(c)]
    if not shown or not columns:
        return set()
    values = ", ".join(literal(v) for v in shown)
    hits = table.fetch(
        " union ".join(f"select distinct {q(c)}::varchar from {{rows}} where {q(c)}::varchar in ({values})" for c in columns)
    )
    return {v for (v,) in hits}
