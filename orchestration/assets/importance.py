"""Publish: which resources go with resilience (methodology section 4), per edition."""

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from monitor.codebook import load_codebook
from monitor.statistics.importance import resource_importance
from orchestration.assets.weighting import WEIGHTS_KEY
from orchestration.metadata import markdown_table
from orchestration.warehouse import replace_table

IMPORTANCE_KEY = AssetKey(["monitor", "monitor_resource_importance"])
OUTCOME = "veerkracht_score"

SCORES_SQL = """
    select s.resp_id, s.scale, s.score, w.calibration_weight
    from intermediate.int_respondent_scale_scores as s
    inner join weighting.respondent_weights as w using (edition, resp_id)
    where s.edition = ?
"""


def _edition_table(conn, edition: int, groups: dict[str, str]) -> tuple[pd.DataFrame, dict]:
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
    deps=[AssetKey(["intermediate", "int_respondent_scale_scores"]), WEIGHTS_KEY],
    group_name="publish",
    kinds={"duckdb", "python"},
    description=(
        "monitor.monitor_resource_importance: weighted standardised regression of veerkracht_score on the "
        "resource scales, with each resource's and each group's Shapley share of explained variance, "
        "ranks and the top 10."
    ),
)
def monitor_resource_importance(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    codebook = load_codebook()
    groups = {s.name: s.group for g in codebook.resource_groups for s in codebook.scales_in_group(g)}
    with warehouse.get_connection() as conn:
        editions = [row[0] for row in conn.execute("select distinct edition from weighting.respondent_weights order by 1").fetchall()]
        results = [_edition_table(conn, edition, groups) for edition in editions]
        table = pd.concat([t for t, _ in results], ignore_index=True)
        leading = ["edition", "level", "resource", "resource_group", "rank"]
        table = table[leading + [c for c in table.columns if c not in leading]]
        rows = replace_table(conn, "monitor", "monitor_resource_importance", table)
    groups_shown = table[table["level"] == "group"][["edition", "resource", "importance_share", "rank"]]
    for edition, summary in zip(editions, (s for _, s in results), strict=True):
        context.log.info(f"edition {edition}: R2 {summary['r2_total']:.3f} on {summary['n_used']:,} respondents")
    return MaterializeResult(
        metadata={
            "rows": rows,
            "groups": MetadataValue.md(markdown_table(groups_shown)),
            "fits": MetadataValue.json({str(e): s for e, (_, s) in zip(editions, results, strict=True)}),
        }
    )
