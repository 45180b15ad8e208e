"""How long the two largest GX checks would take as SQL in DuckDB (evidence for the optimisation).

    .venv/bin/python bench/probe_sql_checks.py WAREHOUSE.duckdb [--edition 2018] [--gx]

Takes the suites the pipeline's checks build (data_quality.suites: staging item answers, on
their distinct answer patterns where the suite says so, and raw survey responses), translates every expectation into a count of unexpected rows in ONE SQL
query per table on the warehouse (read only), and times it. With --gx it also runs the
pipeline's validate_frame (GX on a pandas frame, no Data Docs) on the same rows and compares
every unexpected count (use it at Brabant scale: at national scale GX takes minutes and GBs).

GX semantics kept: column-map expectations ignore NULLs (except the (not-)null ones); row
conditions (pandas query syntax in the suites) become SQL WHERE clauses; uniqueness counts
every row whose value occurs more than once. A prototype for measurement, not a replacement
for the checks: it produces counts, not the Data Docs, examples or metadata.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TYPE_CLASSES = {  # GX type names of data_quality.expectations.TYPE_NAMES -> DuckDB types
    "str": {"VARCHAR"}, "object": {"VARCHAR"},
    "int64": {"BIGINT"}, "int32": {"INTEGER"}, "Int64Dtype": {"BIGINT"}, "Int32Dtype": {"INTEGER"},
    "float64": {"DOUBLE"}, "Float64Dtype": {"DOUBLE"},
}


def _literal(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if value is None:
        return "null"
    return repr(value)


def _condition(kwargs: dict) -> str:
    condition = kwargs.get("row_condition")
    if not condition:
        return "true"
    sql = condition.replace("==", "=").replace('"', "'")
    sql = re.sub(r"\bin \[([^\]]*)\]", r"in (\1)", sql)
    return f"({sql})"


def _q(column: str) -> str:
    return '"' + column + '"'


def expectation_sql(spec, relation: str, types: dict[str, str]) -> tuple[str | None, list[str]]:
    """SQL giving the unexpected count of one expectation (None: checked in Python), plus the
    CTEs it needs."""
    k, kw = spec.kind, spec.kwargs
    where = _condition(kw)
    col = kw.get("column")
    if k == "ExpectColumnValuesToNotBeNull":
        return f"count_if({where} and {_q(col)} is null)", []
    if k == "ExpectColumnValuesToBeNull":
        return f"count_if({where} and {_q(col)} is not null)", []
    if k == "ExpectColumnValuesToBeInSet":
        values = ", ".join(_literal(v) for v in kw["value_set"]) or "null"
        if len(kw["value_set"]) > 50:  # a long list (the layout's buurten) as a hashed set
            values = f"select unnest([{values}])"
        return f"count_if({where} and {_q(col)} is not null and {_q(col)} not in ({values}))", []
    if k == "ExpectColumnValuesToBeBetween":
        parts = []
        if kw.get("min_value") is not None:
            parts.append(f"{_q(col)} {'<=' if kw.get('strict_min') else '<'} {kw['min_value']}")
        if kw.get("max_value") is not None:
            parts.append(f"{_q(col)} {'>=' if kw.get('strict_max') else '>'} {kw['max_value']}")
        return f"count_if({where} and {_q(col)} is not null and ({' or '.join(parts) or 'false'}))", []
    if k == "ExpectColumnValuesToMatchRegex":
        return f"count_if({where} and {_q(col)} is not null and not regexp_matches({_q(col)}::varchar, {_literal(kw['regex'])}))", []
    if k == "ExpectColumnPairValuesToBeEqual":
        a, b = _q(kw["column_A"]), _q(kw["column_B"])
        return f"count_if({where} and {a} is not null and {b} is not null and {a} <> {b})", []
    if k == "ExpectColumnDistinctValuesToEqualSet":
        values = ", ".join(_literal(v) for v in kw["value_set"])
        name = f"set_{col}"
        cte = f"{name} as (select count(*) as n from (select distinct {_q(col)} as v from {relation} where v is not null) " \
              f"full join (select unnest([{values}]) as v) using (v) where v not in ({values}) " \
              f"or v not in (select {_q(col)} from {relation} where {_q(col)} is not null))"
        return f"(select n from {name})", [cte]
    if k in ("ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique"):
        columns = kw.get("column_list") or [col]
        keys = ", ".join(map(_q, columns))
        name = "dup_" + "_".join(c.replace(" ", "_") for c in columns)
        cte = f"{name} as (select coalesce(sum(n), 0) as n from (select count(*) as n from {relation} where {where} " \
              f"and ({' or '.join(f'{_q(c)} is not null' for c in columns)}) group by {keys} having count(*) > 1))"
        return f"(select n from {name})", [cte]
    return None, []


def python_check(spec, columns: dict[str, str], row_count: int) -> int | None:
    """Table-level expectations answered from the schema and the row count."""
    k, kw = spec.kind, spec.kwargs
    if k == "ExpectTableColumnsToMatchSet":
        return len(set(kw["column_set"]) - set(columns))
    if k == "ExpectTableRowCountToBeBetween":
        low, high = kw.get("min_value"), kw.get("max_value")
        return int((low is not None and row_count < low) or (high is not None and row_count > high))
    if k == "ExpectColumnValuesToBeInTypeList":
        allowed = set().union(*(TYPE_CLASSES.get(t, set()) for t in kw["type_list"]))
        return 0 if columns.get(kw["column"]) in allowed else 1
    return None


def probe(conn, name: str, relation: str, specs: list) -> tuple[float, list[int | None]]:
    started = time.perf_counter()
    columns = dict(conn.execute(f"select column_name, column_type from (describe {relation})").fetchall())
    row_count = conn.execute(f"select count(*) from {relation}").fetchone()[0]
    selects, ctes, where_to = [], [], []
    counts: list[int | None] = []
    for spec in specs:
        sql, needed = expectation_sql(spec, relation, columns)
        if sql is None:
            counts.append(python_check(spec, columns, row_count))
            continue
        where_to.append(len(counts))
        counts.append(None)
        selects.append(sql)
        ctes += [c for c in needed if c not in ctes]
    query = (f"with {', '.join(ctes)} " if ctes else "") + f"select {', '.join(selects)} from {relation}"
    values = conn.execute(query).fetchone() if selects else []
    for position, value in zip(where_to, values):
        counts[position] = int(value)
    seconds = time.perf_counter() - started
    failed = sum(1 for c in counts if c)
    print(f"{name}: {row_count:,} rows, {len(specs)} expectations ({sum(c is None for c in counts)} not translated) "
          f"in {seconds:.2f} s; {failed} failing", flush=True)
    return seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--edition", type=int, default=2018)
    parser.add_argument("--gx", action="store_true", help="also run GX (validate_frame) and compare the counts")
    args = parser.parse_args()

    from data_quality.suites import raw_survey_responses, staging
    from monitor.codebook import load_codebook
    from monitor.reference import brabant_gemeenten

    codebook = load_codebook()
    conn = duckdb.connect(str(args.warehouse), read_only=True)
    edition = args.edition
    brabant = brabant_gemeenten(edition)["gemeente_code"].tolist()
    regions = conn.execute(
        "select region_code, region_type from raw.kwb_key_figures where edition = ? and region_type in ('Gemeente', 'Buurt') "
        "and gemeente_code in (select unnest(?))", [edition, brabant]).fetchall()
    layout = raw_survey_responses.EditionLayout(
        edition=edition,
        gemeente_codes=sorted(c for c, t in regions if t == "Gemeente"),
        buurt_codes=sorted(c for c, t in regions if t == "Buurt"),
    )
    rows = f"(select * from staging.stg_survey__item_answers where edition = {edition})"
    if hasattr(staging, "ANSWER_PATTERNS_SQL"):  # the suite validates distinct answer patterns
        conn.execute(f"create temp view item_answers as {staging.ANSWER_PATTERNS_SQL.format(relation=rows)}")
    else:
        conn.execute(f"create temp view item_answers as select {', '.join(staging.ITEM_ANSWER_COLUMNS)} from {rows}")
    conn.execute(f"create temp view survey as select *, 'GM' || substr(buurt_code, 3, 4) as {raw_survey_responses.BUURT_GEMEENTE} "
                 f"from raw.survey_responses where _landing_edition = {edition}")
    cases = [
        ("staging item answers", "item_answers", staging.item_answers_suite(codebook), codebook.private_columns),
        ("raw survey responses", "survey", raw_survey_responses.build_suite(codebook, layout), codebook.private_columns),
    ]
    if hasattr(staging, "ITEM_GRAIN_SQL"):
        conn.execute(f"create temp view item_grain as {staging.ITEM_GRAIN_SQL.format(relation=rows)}")
        cases.insert(1, ("staging item grain", "item_grain", staging.item_grain_suite(codebook), set()))
    for name, relation, specs, private in cases:
        _, counts = probe(conn, name, relation, specs)
        if args.gx:
            from data_quality.runner import validate_frame

            frame = conn.execute(f"select * from {relation}").df()
            started = time.perf_counter()
            outcome = validate_frame(frame, f"probe_{relation}", relation, specs, private_columns=private)
            seconds = time.perf_counter() - started
            gx_counts = [0 if o.success else (o.unexpected_count if o.unexpected_count is not None else 1) for o in outcome.outcomes]
            differ = [(s.kind, s.column, c, g) for s, c, g in zip(specs, counts, gx_counts) if (c or 0) != (g or 0)]
            print(f"  GX validate_frame on the same rows: {seconds:.2f} s; counts "
                  + ("all equal" if not differ else f"DIFFER for {differ}"), flush=True)


if __name__ == "__main__":
    main()
