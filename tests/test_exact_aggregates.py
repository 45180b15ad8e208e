"""The order-independent aggregates of the dbt models (dbt_project/macros/exact_aggregates.sql),
rendered from the macro files with Jinja as dbt renders them and run in DuckDB: the same bits
whatever the order of the rows and the number of threads (plain sums of doubles differ, which
shows the comparison can fail), the same figures as DuckDB's own aggregates, and no model
with a bare sum, mean or variance."""

import re
import struct
from pathlib import Path

import duckdb
import jinja2
import pytest

DBT = Path(__file__).resolve().parents[1] / "dbt_project"
MACROS = [DBT / "macros" / "exact_aggregates.sql", DBT / "macros" / "weighted_estimates.sql"]


def render(expression: str) -> str:
    """`expression` (Jinja, e.g. "{{ exact_sum('x') }}") with the project's macros defined."""
    macros = "".join(path.read_text(encoding="utf-8") for path in MACROS)
    return jinja2.Environment().from_string(macros + expression).render().strip()


def bits(values) -> list:
    """Doubles as their IEEE bytes (so that -0.0 == 0.0 or a last-bit change is not missed)."""
    return [struct.pack("<d", v) if isinstance(v, float) else v for v in values]


@pytest.fixture(scope="module")
def con():
    """Two million weighted values in two physical orders: as drawn and shuffled."""
    con = duckdb.connect()
    con.execute("select setseed(0.42)")
    con.execute(
        """create table drawn as
        select i, i % 7 as cell, 0.2 + random() * 900 as w, (random() * 10) ^ 3 / 100 as y, (random() * 4)::integer as k
        from range(2000000) as t(i)"""
    )
    con.execute("create table shuffled as select * from drawn order by hash(i * 7919)")
    yield con
    con.close()


def aggregate(con, table: str, threads: int, select: str) -> list:
    con.execute(f"set threads = {threads}")
    return [bits(row) for row in con.execute(f"select cell, {select} from {table} group by cell order by cell").fetchall()]


def test_exact_sum_gives_the_same_bits_in_any_order_on_any_number_of_threads(con):
    select = render("{{ exact_sum('w * w * y * y') }}, {{ exact_avg('y') }}")
    results = {(table, threads): aggregate(con, table, threads, select) for table in ("drawn", "shuffled") for threads in (1, 4)}
    assert len({str(r) for r in results.values()}) == 1


def test_a_plain_sum_of_doubles_does_not(con):
    """What the macros are for: DuckDB's sum of the same doubles in another order differs."""
    plain = {table: aggregate(con, table, 1, "sum(w * w * y * y)") for table in ("drawn", "shuffled")}
    assert plain["drawn"] != plain["shuffled"]


def test_weighted_cell_sums_are_order_independent_and_equal_to_plain_sums(con):
    select = render("{{ weighted_cell_sums('y', 'w') }}")
    exact = aggregate(con, "drawn", 4, select)
    assert exact == aggregate(con, "shuffled", 4, select) == aggregate(con, "shuffled", 1, select)
    con.execute("set threads = 1")
    plain = con.execute(
        "select cell, count(*), sum(w), sum(w * w), sum(w * y), sum(w * w * y), sum(w * w * y * y) from drawn group by cell order by cell"
    ).fetchall()
    for exact_row, plain_row in zip(con.execute(f"select cell, {select} from drawn group by cell order by cell").fetchall(), plain):
        assert exact_row[:2] == plain_row[:2]
        for a, b in zip(exact_row[2:], plain_row[2:]):
            assert a == pytest.approx(b, rel=1e-12)


def test_exact_var_samp_and_integer_sum_equal_duckdbs_own(con):
    select = render("{{ exact_var_samp('k') }}, {{ integer_sum('k') }}, var_samp(k), sum(k)")
    for row in con.execute(f"select cell, {select} from shuffled group by cell").fetchall():
        assert row[1] == pytest.approx(row[3], rel=1e-12)
        assert row[2] == row[4]
    assert aggregate(con, "drawn", 4, render("{{ exact_var_samp('k') }}")) == aggregate(con, "shuffled", 1, render("{{ exact_var_samp('k') }}"))


def test_exact_aggregates_of_no_values_are_null_as_duckdbs():
    con = duckdb.connect()
    con.execute("create table t as select * from (values (1, 2.5, 3), (2, null, null)) as t(g, y, k)")
    select = render("{{ exact_sum('y') }}, {{ exact_avg('y') }}, {{ exact_var_samp('k') }}, {{ integer_sum('k') }}")
    assert con.execute(f"select g, {select} from t group by g order by g").fetchall() == [
        (1, 2.5, 2.5, None, 3),  # one value: no sample variance, as var_samp
        (2, None, None, None, None),
    ]


def test_an_overflowing_sum_stops_with_an_error_instead_of_a_wrong_figure():
    con = duckdb.connect()
    total = render("{{ exact_sum('x') }}")
    with pytest.raises(duckdb.Error, match="(?i)overflow|out of range"):
        con.execute(f"select {total} from (values (9e19), (9e19)) as t(x)").fetchall()


BARE = re.compile(r"\b(sum|avg|mean|var_samp|var_pop|variance|stddev\w*|fsum|kahan_sum|sumkahan)\s*\(", re.I)


def test_no_model_has_a_bare_sum_mean_or_variance():
    """A model that adds doubles with DuckDB's sum() would change in the last bits from one
    refresh to the next on several threads: every one goes through the macros."""
    found = []
    for path in sorted((DBT / "models").rglob("*.sql")):
        text = re.sub(r"--[^\n]*|\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        found += [f"{path.relative_to(DBT)}: {m.group(0)}" for m in BARE.finditer(text)]
    assert not found, "use exact_sum/exact_avg/exact_var_samp/integer_sum (macros/exact_aggregates.sql): " + ", ".join(found)
