"""Publish: which resources go with resilience (methodology section 4), per edition."""

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from monitor.codebook import load_codebook
from orchestration.assets.publish import audit_key
from orchestration.assets.weighting import WEIGHTS_KEY
from orchestration.metadata import markdown_table
from orchestration.partitions import edition_of, editions
from orchestration.warehouse import AUDIT, replace_edition_rows

IMPORTANCE_KEY = audit_key("monitor_resource_importance")
OUTCOME = "veerkracht_score"

SCORES_SQL = """
    select s.resp_id, s.scale, s.score, w.calibration_weight
    from intermediate.int_respondent_scale_scores as s
    inner join weighting.respondent_weights as w using (edition, resp_id)
    where s.edition = ?
    order by s.resp_id, s.scale  -- a fixed order: reruns give identical figures
"""


def _edition_table(conn, edition: int, groups: dict[str, str]) -> tuple[pd.DataFrame, dict]:
    from monitor.statistics.importance import (
        resource_importance,  # statsmodels: imported when the step runs, not when the UI loads
    )

    long = conn.execute(SCORES_SQL, [edition]).df()
    wide = long.pivot(index="resp_id", columns="scale", values="score")  # one row per respondent
    weights = long.groupby("resp_id")["calibration_weight"].first().reindex(wide.index)
    result = resource_importance(wide[[OUTCOME, *groups]].astype(float), weights, OUTCOME, groups)
    table = result.table.assign(
        edition=edition, r2_total=result.r2_total, n_respondents=result.n_used, n_excluded=result.n_excluded
    )
    return table, {"r2_total": result.r2_total, "n_used": result.n_used, "n_excluded": result.n_excluded}


@asset(
    key=IMPORTANCE_KEY,
    partitions_def=editions,
    deps=[AssetKey(["intermediate", "int_respondent_scale_scores"]), WEIGHTS_KEY],
    group_name="audit",
    kinds={"duckdb", "python"},
    description=(
        "audit.monitor_resource_importance (published as monitor.monitor_resource_importance): weighted standardised regression of veerkracht_score on the "
        "resource scales, with each resource's and each group's Shapley share of explained variance, "
        "ranks and the top 10."
    ),
)
def monitor_resource_importance(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    codebook = load_codebook()
    groups = {s.name: s.group for g in codebook.resource_groups for s in codebook.scales_in_group(g)}
    edition = edition_of(context)
    with warehouse.get_connection() as conn:
        table, fit = _edition_table(conn, edition, groups)
        leading = ["edition", "level", "resource", "resource_group", "rank"]
        table = table[leading + [c for c in table.columns if c not in leading]]
        rows = replace_edition_rows(conn, AUDIT, "monitor_resource_importance", table, edition)
    groups_shown = table[table["level"] == "group"][["edition", "resource", "importance_share", "rank"]]
    context.log.info(f"edition {edition}: R2 {fit['r2_total']:.3f} on {fit['n_used']:,} respondents")
    return MaterializeResult(
        metadata={"rows": rows, "groups": MetadataValue.md(markdown_table(groups_shown)), "fit": MetadataValue.json(fit)}
    )
