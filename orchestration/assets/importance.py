"""Audit: which resources go with resilience (methodology section 4), per edition: in the
province (monitor_resource_importance) and, where n allows, in each regio
(monitor_resource_importance_regio, methodology section 11: the toetsingskader compares a
project's regio with the province)."""

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from monitor.codebook import load_codebook
from orchestration.assets.publish import audit_key
from orchestration.assets.weighting import WEIGHTS_KEY
from orchestration.metadata import code_version, markdown_table, table_metadata
from orchestration.partitions import edition_of, editions
from orchestration.warehouse import AUDIT, replace_edition_rows

IMPORTANCE_KEY = audit_key("monitor_resource_importance")
REGIO_IMPORTANCE_KEY = audit_key("monitor_resource_importance_regio")
OUTCOME = "veerkracht_score"
VERSION = code_version(__name__, "monitor.statistics.importance")
LEADING = ["edition", "level", "resource", "resource_group", "rank"]
READS = [
    AssetKey(["intermediate", "int_respondent_scale_scores"]),
    AssetKey(["intermediate", "int_respondent_areas"]),
    AssetKey(["intermediate", "int_gemeenten"]),
    WEIGHTS_KEY,
]


def _resource_groups() -> dict[str, str]:
    """Resource scale -> its group, in the codebook's reporting order."""
    codebook = load_codebook()
    return {s.name: s.group for g in codebook.resource_groups for s in codebook.scales_in_group(g)}


def _wide_scores_sql(scales: list[str]) -> str:
    """One row per respondent with its regio, a column per scale, pivoted by DuckDB (a pandas
    pivot of the long table took 5 s of 7 at national scale). The scale names come from the codebook."""
    columns = ",\n        ".join(f"max(case when s.scale = '{name}' then s.score end) as \"{name}\"" for name in scales)
    return f"""
    select
        s.resp_id,
        any_value(w.calibration_weight) as calibration_weight,
        any_value(r.area_code) as regio_code,
        {columns}
    from intermediate.int_respondent_scale_scores as s
    inner join weighting.respondent_weights as w using (edition, resp_id)
    inner join intermediate.int_respondent_areas as r
        on r.edition = s.edition and r.resp_id = s.resp_id and r.area_level = 'regio'
    where s.edition = ?
    group by s.resp_id
    order by s.resp_id  -- a fixed order: reruns give identical figures
    """


def _wide_scores(conn, edition: int, groups: dict[str, str]) -> pd.DataFrame:
    scales = [OUTCOME, *groups]
    wide = conn.execute(_wide_scores_sql(scales), [edition]).df().set_index("resp_id")
    return wide.astype({s: float for s in scales})


def _importance_table(wide: pd.DataFrame, groups: dict[str, str]) -> tuple[pd.DataFrame, dict]:
    """The importance table of these respondents, with the fit's R2 and n on every row."""
    from monitor.statistics.importance import (
        resource_importance,  # statsmodels: imported when the step runs, not when the UI loads
    )

    result = resource_importance(wide[[OUTCOME, *groups]], wide["calibration_weight"], OUTCOME, groups)
    fit = {"r2_total": result.r2_total, "n_used": result.n_used, "n_excluded": result.n_excluded}
    table = result.table.assign(r2_total=result.r2_total, n_respondents=result.n_used, n_excluded=result.n_excluded)
    return table, fit


def _ordered(table: pd.DataFrame, leading: list[str]) -> pd.DataFrame:
    return table[leading + [c for c in table.columns if c not in leading]]


@asset(
    key=IMPORTANCE_KEY,
    partitions_def=editions,
    deps=READS,
    group_name="audit",
    kinds={"duckdb", "python"},
    code_version=VERSION,
    description=(
        "audit.monitor_resource_importance (published as monitor.monitor_resource_importance): weighted standardised regression of veerkracht_score on the "
        "resource scales, with each resource's and each group's Shapley share of explained variance, "
        "ranks and the top 10."
    ),
)
def monitor_resource_importance(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    groups = _resource_groups()
    edition = edition_of(context)
    with warehouse.get_connection() as conn:
        table, fit = _importance_table(_wide_scores(conn, edition, groups), groups)
        table = _ordered(table.assign(edition=edition), LEADING)
        replace_edition_rows(conn, AUDIT, "monitor_resource_importance", table, edition)
        metadata = table_metadata(conn, AUDIT, "monitor_resource_importance", edition)
    groups_shown = table[table["level"] == "group"][["edition", "resource", "importance_share", "rank"]]
    context.log.info(f"edition {edition}: R2 {fit['r2_total']:.3f} on {fit['n_used']:,} respondents")
    return MaterializeResult(
        metadata={**metadata, "groups": MetadataValue.md(markdown_table(groups_shown)), "fit": MetadataValue.json(fit)}
    )


def _suppressed_rows(groups: dict[str, str], reason: str, n_used: int, n_excluded: int) -> pd.DataFrame:
    """The rows of a regio whose n does not allow the regression: every resource and group kept
    (in the codebook's order), every figure NULL, the reason said, as suppressed cells are kept."""
    group_names = list(dict.fromkeys(groups.values()))
    rows = pd.DataFrame({
        "level": ["resource"] * len(groups) + ["group"] * len(group_names),
        "resource": [*groups, *group_names],
        "resource_group": [*groups.values(), *group_names],
    })
    for figure in ("std_coefficient", "ci_lower", "ci_upper", "shapley_r2", "importance_share", "r2_total"):
        rows[figure] = float("nan")
    return rows.assign(
        rank=pd.array([None] * len(rows), dtype="Int64"), top10=pd.array([None] * len(rows), dtype="boolean"),
        n_respondents=n_used, n_excluded=n_excluded, suppressed=True, suppression_reason=reason,
    )  # fmt: skip


def regio_importance(wide: pd.DataFrame, groups: dict[str, str], names: dict[str, str]) -> pd.DataFrame:
    """Per regio (code -> name) the importance table of its own respondents, or its rows
    suppressed where it has fewer complete respondents than `minimum_respondents`."""
    from monitor.statistics.importance import minimum_respondents, too_few_reason

    scales = [OUTCOME, *groups]
    tables = []
    for code, name in sorted(names.items()):
        part = wide[wide["regio_code"] == code]
        complete = int(part[scales].notna().all(axis=1).sum())
        if complete >= minimum_respondents(len(groups)):
            table = _importance_table(part, groups)[0].assign(suppressed=False, suppression_reason=None)
        else:
            table = _suppressed_rows(groups, too_few_reason(len(groups)), complete, len(part) - complete)
        tables.append(table.assign(regio_code=code, regio_name=name))
    types = {"rank": "Int64", "top10": "boolean", "suppressed": bool, "suppression_reason": "string"}
    return pd.concat(tables, ignore_index=True).astype(types)  # the same column types, however many are suppressed


@asset(
    key=REGIO_IMPORTANCE_KEY,
    partitions_def=editions,
    deps=READS,
    group_name="audit",
    kinds={"duckdb", "python"},
    code_version=VERSION,
    description=(
        "audit.monitor_resource_importance_regio (published as monitor.monitor_resource_importance_regio): the "
        "regression of monitor_resource_importance on the respondents of each regio (COROP) alone, where n allows "
        "(at least 50 complete respondents per resource); a regio below that keeps its rows with every figure "
        "suppressed and the reason. What the toetsingskader shows beside the province."
    ),
)
def monitor_resource_importance_regio(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    groups = _resource_groups()
    edition = edition_of(context)
    with warehouse.get_connection() as conn:
        names = dict(conn.execute(
            "select distinct corop_code, corop_name from intermediate.int_gemeenten where edition = ? order by 1", [edition]
        ).fetchall())  # fmt: skip
        table = regio_importance(_wide_scores(conn, edition, groups), groups, names)
        table = _ordered(table.assign(edition=edition), ["edition", "regio_code", "regio_name", *LEADING[1:]])
        replace_edition_rows(conn, AUDIT, "monitor_resource_importance_regio", table, edition)
        metadata = table_metadata(conn, AUDIT, "monitor_resource_importance_regio", edition)
    fits = table.drop_duplicates("regio_code")[["regio_code", "regio_name", "n_respondents", "r2_total", "suppressed"]]
    for fit in fits.itertuples():
        context.log.info(
            f"edition {edition}, regio {fit.regio_code} {fit.regio_name}: "
            + (f"not estimated ({fit.n_respondents:,} complete respondents)" if fit.suppressed
               else f"R2 {fit.r2_total:.3f} on {fit.n_respondents:,} respondents")
        )  # fmt: skip
    return MaterializeResult(metadata={**metadata, "regios": MetadataValue.md(markdown_table(fits))})
