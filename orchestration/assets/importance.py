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



def _wide_scores_sql(scales: list[str]) -> str:
    """One row per respondent, a column per scale, pivoted by DuckDB (a pandas pivot of the long
    table took 5 s of 7 at national scale). The scale names come from the codebook."""
    columns = ",\n        ".join(f"max(case when s.scale = '{name}' then s.score end) as \"{name}\"" for name in scales)
    return f"""
    select
        s.resp_id,
        any_value(w.calibration_weight) as calibration_weight,
        {columns}
    from intermediate.int_respondent_scale_scores as s
    inner join weighting.respondent_weights as w using (edition, resp_id)
    where s.edition = ?
    group by s.resp_id
    order by s.resp_id  -- a fixed order: reruns give identical figures
    """


def _edition_table(conn, edition: int, groups: dict[str, str]) -> tuple[pd.DataFrame, dict]:
    from monitor.statistics.importance import (
        resource_importance,  # statsmodels: imported when the step runs, not when the UI loads
    )

    scales = [OUTCOME, *groups]
    wide = conn.execute(_wide_scores_sql(scales), [edition]).df().set_index("resp_id")
    result = resource_importance(wide[scales].astype(float), wide["calibration_weight"], OUTCOME, groups)
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
