"""The warning check on a CBS delivery: what in it could not be used, and what follows.

Real CBS exports have damaged rows (the 2017 export: 14 rows of Nuenen cut at a comma) and
lack columns. Where nothing needs them, that must not stop the province's refresh, but it must
not pass unseen either: this check fails with severity WARN (Dagster does not block on it),
and the refresh summary lists it under "warnings" with the file, lines, codes and reasons."""

from __future__ import annotations

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue

from orchestration.checks.remedies import LAYERS
from orchestration.metadata import markdown_table

MAX_LISTED = 20  # rows and codes listed in the summary; the tables hold all of them


def _line_ranges(lines: list[int]) -> str:
    """[10809, 10810, 10811, 10815] -> '10809-10811, 10815'."""
    ranges, start, previous = [], None, None
    for line in sorted(lines):
        if start is None:
            start = previous = line
        elif line == previous + 1:
            previous = line
        else:
            ranges.append((start, previous))
            start = previous = line
    if start is not None:
        ranges.append((start, previous))
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def _rejected_lines(rejected: pd.DataFrame, names: dict[str, str]) -> list[str]:
    lines = []
    keys = ["source_file", "gemeente_code", "reason"]
    grouped = rejected.assign(gemeente_code=rejected["gemeente_code"].fillna("?"), reason=rejected["reason"].fillna(""))
    for (source, gemeente, reason), rows in grouped.groupby(keys, sort=False):
        codes = [c for c in rows["region_code"].dropna().tolist()]
        shown = ", ".join(codes[:MAX_LISTED]) + (f" and {len(codes) - MAX_LISTED} more" if len(codes) > MAX_LISTED else "")
        place = f"{gemeente} {names.get(gemeente, '')}".strip() if gemeente != "?" else "gemeente unknown"
        resolved = rows["resolved_by"].dropna()
        after = f"; replaced by {resolved.iloc[0]}" if len(resolved) == len(rows) else ""
        lines.append(
            f"{source}: {len(rows)} row(s) not usable ({place}), line(s) {_line_ranges(rows['source_row'].astype(int).tolist())}"
            f"{f', codes {shown}' if shown else ''}: {reason}{after}"
        )
    return lines


def _gemeente_lines(coverage: pd.DataFrame) -> list[str]:
    lines = []
    for row in coverage[~coverage["usable"]].itertuples():
        what = "no gemeente row" if not row.in_file else "no usable adult totals"
        if row.respondents:
            lines.append(f"{row.gemeente_code} {row.gemeente_name}: {what} and {row.respondents} respondent(s): "
                         "blocks (see raw_kwb_key_figures_contract)")
        else:
            lines.append(f"{row.gemeente_code} {row.gemeente_name}: {what} in the CBS key figures and no respondents: "
                         "published with every figure suppressed (no usable CBS key figures in the delivered file)")
    return lines


def _variable_lines(columns: pd.DataFrame) -> list[str]:
    absent = columns[columns["cbs_key"].isna()]
    secret = columns[columns["cbs_key"].notna() & (columns["regions_with_value"] == 0)]
    lines = []
    if len(absent):
        lines.append(f"CBS variable(s) absent from the file: {', '.join(absent['variable'])}")
    if len(secret):
        lines.append(f"CBS variable(s) in the file without any value ('.' throughout): {', '.join(secret['variable'])}")
    if lines:
        lines.append("the small-area model goes without the covariates built from them (monitor_small_area_validation.covariates_absent)")
    return lines


def unusable_rows_result(rejected: pd.DataFrame, coverage: pd.DataFrame, columns: pd.DataFrame) -> AssetCheckResult:
    """WARN when a row, a gemeente or a variable of the delivery cannot be used; passed otherwise."""
    names = dict(zip(coverage["gemeente_code"], coverage["gemeente_name"]))
    lines = _rejected_lines(rejected, names) + _gemeente_lines(coverage) + _variable_lines(columns)
    without = coverage[~coverage["usable"]]
    return AssetCheckResult(
        passed=not lines,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "failure_summary": MetadataValue.text("\n".join(lines) or "none"),
            "rejected_rows": len(rejected),
            "gemeenten_without_key_figures": MetadataValue.json(without[["gemeente_code", "gemeente_name", "respondents"]].to_dict("records")),
            "variables_absent": MetadataValue.json(columns.loc[columns["cbs_key"].isna(), "variable"].tolist()),
            "rows": MetadataValue.md(
                markdown_table(rejected[["source_file", "source_row", "region_code", "gemeente_code", "reason", "resolved_by"]])
                if len(rejected) else "no rejected rows"
            ),
            "layer": LAYERS["raw"],
        },
    )
