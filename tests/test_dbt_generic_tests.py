"""The project's generic dbt tests (dbt_project/tests/generic/*.sql), rendered from their own
files with Jinja as dbt renders them and run on small DuckDB tables with planted defects: each
returns exactly the offending rows, and none on a clean table."""

import re
from pathlib import Path

import duckdb
import jinja2
import pytest

GENERIC = Path(__file__).resolve().parents[1] / "dbt_project" / "tests" / "generic"


def render(test: str, **arguments) -> str:
    """The SQL of generic test `test` for the given arguments (the body of its {% test %} block)."""
    text = (GENERIC / f"{test}.sql").read_text(encoding="utf-8")
    body = re.search(r"{%\s*test\s+\w+\(.*?\)\s*%}(.*){%\s*endtest\s*%}", text, re.S)
    assert body, f"{test}.sql has no {{% test %}} block"
    return jinja2.Environment().from_string(body.group(1)).render(**arguments)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(
        """create table answers as
        select edition, 'R' || lpad(respondent::varchar, 5, '0') as resp_id, 'item_' || item as item
        from range(2018, 2020) as e(edition), range(2000) as r(respondent), range(12) as i(item)"""
    )
    yield con
    con.close()


def test_unique_combination_passes_a_table_of_unique_rows(con):
    sql = render("unique_combination", model="answers", columns=["edition", "resp_id", "item"])
    assert con.execute(sql).fetchall() == []


def test_unique_combination_names_every_repeated_combination_and_its_count(con):
    con.execute("insert into answers values (2019, 'R00042', 'item_3'), (2019, 'R00042', 'item_3'), (2018, 'R01999', 'item_0')")
    sql = render("unique_combination", model="answers", columns=["edition", "resp_id", "item"])
    assert sorted(con.execute(sql).fetchall()) == [(2018, "R01999", "item_0", 2), (2019, "R00042", "item_3", 3)]


def test_unique_combination_sees_a_repeat_only_in_the_combination(con):
    """The same respondent and item in two editions is no repeat; within one edition it is."""
    columns = ["edition", "resp_id", "item"]
    con.execute("create table two as select * from answers where resp_id = 'R00001' and item = 'item_1'")
    assert con.execute(render("unique_combination", model="two", columns=columns)).fetchall() == []
    assert con.execute(render("unique_combination", model="two", columns=["resp_id", "item"])).fetchall() == [("R00001", "item_1", 2)]


def test_unique_combination_keeps_null_keys_together(con):
    """NULL is a value of the grain as in GROUP BY: two rows with the same NULL key repeat."""
    con.execute("insert into answers values (2018, null, 'item_0'), (2018, null, 'item_0'), (2018, null, 'item_1')")
    sql = render("unique_combination", model="answers", columns=["edition", "resp_id", "item"])
    assert con.execute(sql).fetchall() == [(2018, None, "item_0", 2)]


def test_values_between_returns_the_values_outside_the_range():
    con = duckdb.connect()
    con.execute("create table scores as select * from (values (0.0::double), (10.0), (null), (-0.5), (10.01)) as t(score)")
    sql = render("values_between", model="scores", column_name="score", min_value=0, max_value=10)
    assert sorted(con.execute(sql).fetchall()) == [(-0.5,), (10.01,)]


def test_not_null_unless_absent_allows_a_covariate_an_edition_does_not_carry():
    con = duckdb.connect()
    con.execute(
        """create table covariates as select * from (values
            (2018, 'BU1', null), (2018, 'BU2', null),
            (2020, 'BU1', 3.0), (2020, 'BU2', null)) as t(edition, area_code, urbanity)"""
    )
    sql = render("not_null_unless_absent", model="covariates", column_name="urbanity")
    assert con.execute(sql).fetchall() == [(2020, None)]
