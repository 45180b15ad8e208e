"""The raw survey check's validations of a loaded survey frame, run as the check runs them: on a
table in DuckDB (data_quality/runner.py), here an in-memory one holding the frame."""

from __future__ import annotations

import duckdb
import pandas as pd


def validate_survey(frame: pd.DataFrame, codebook, layout, batch: str, docs_dir=None) -> list:
    from data_quality.suites import raw_survey_responses as suite

    conn = duckdb.connect()
    try:
        conn.register("survey_rows", frame)
        return suite.validate(conn, "select * from survey_rows", codebook, layout, batch, docs_dir=docs_dir)
    finally:
        conn.close()
