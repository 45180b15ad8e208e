"""Metadata helpers: aggregate tables as markdown for the Dagster UI (never respondent rows)."""

import pandas as pd


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A frame as a markdown table, numbers rounded; no dependency on tabulate."""
    shown = frame.round(digits).astype(object).where(frame.notna(), "")
    header = "| " + " | ".join(map(str, shown.columns)) + " |"
    rule = "|" + "---|" * len(shown.columns)
    rows = ["| " + " | ".join(map(str, row)) + " |" for row in shown.itertuples(index=False)]
    return "\n".join([header, rule, *rows])
