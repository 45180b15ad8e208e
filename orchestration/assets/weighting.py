"""Model: calibration weights (methodology section 2), between the dbt staging/intermediate
models that feed them and the dbt marts that use them."""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset
from dagster_duckdb import DuckDBResource

from monitor.statistics.weighting import calibrate
from orchestration.metadata import code_version, markdown_table, table_metadata
from orchestration.partitions import edition_of, editions
from orchestration.warehouse import replace_edition_rows

SCHEMA = "weighting"
GROUP = "model"
WEIGHTS_KEY = AssetKey([SCHEMA, "respondent_weights"])
TABLES = {
    "respondent_weights": "One row per respondent: design weight, calibration weight, raking domain, trimmed or not.",
    "gemeente_weights": (
        "Per gemeente: raked alone or pooled in its region, respondents, adults, Kish design effect, and the "
        "file(s) its CBS margins came from (margins_source)."
    ),
    "raking_domains": "Per raking domain: respondents, trim-rake rounds, convergence, collapsed categories.",
    "raking_margins": "Per raking domain, margin and category: target total and weighted total.",
}
INPUTS = [
    AssetKey(["staging", "stg_survey__respondents"]),
    AssetKey(["intermediate", "int_weighting_targets"]),
    AssetKey(["intermediate", "int_gemeenten"]),
]

VERSION = code_version(__name__, "monitor.statistics.weighting")

RESPONDENTS_SQL = """
    select r.edition, r.resp_id, r.gemeente_code, g.corop_code, r.sex, r.age_band, r.design_weight
    from staging.stg_survey__respondents as r
    inner join intermediate.int_gemeenten as g using (edition, gemeente_code)
    where r.edition = ?
    order by r.resp_id  -- a fixed order: float sums must not depend on how DuckDB parallelised
"""


def _with_margins_source(gemeenten, targets):
    """Which file(s) each gemeente's margins came from (the delivery, or kwb_supplement.csv
    where the data engineer supplied what the delivery lacked), for the auditor."""
    sources = targets.drop_duplicates("gemeente_code").set_index("gemeente_code")["margins_source"]
    return gemeenten.assign(margins_source=gemeenten["gemeente_code"].map(sources).astype("string"))


def _edition_summary(calibration, edition: int) -> dict:
    gemeenten = calibration.gemeenten[calibration.gemeenten["edition"] == edition]
    margins = calibration.margins[calibration.margins["edition"] == edition]
    weights = calibration.weights[calibration.weights["edition"] == edition]
    pooled = gemeenten[gemeenten["raking_level"] == "regio"]
    return {
        "respondents": len(weights),
        "raking_domains": int(gemeenten["raking_domain"].nunique()),
        "gemeenten_pooled_in_region": pooled["gemeente_code"].tolist(),
        "max_relative_margin_difference": float(margins["relative_difference"].abs().max()),
        "max_weight_ratio": float(weights["weight_ratio"].max()),
        "trimmed_respondents": int(weights["trimmed"].sum()),
        "median_kish_deff_gemeente": float(gemeenten["kish_deff"].median()),
    }


@multi_asset(
    partitions_def=editions,
    specs=[
        AssetSpec(AssetKey([SCHEMA, name]), deps=INPUTS, group_name=GROUP, kinds={"duckdb", "python"}, description=text,
                  code_version=VERSION)
        for name, text in TABLES.items()
    ],
)
def calibration_weights(context: AssetExecutionContext, warehouse: DuckDBResource):
    """Rake design weights to the CBS gemeente x sex and gemeente x age-band margins."""
    edition = edition_of(context)
    with warehouse.get_connection() as conn:
        respondents = conn.execute(RESPONDENTS_SQL, [edition]).df()
        targets = conn.execute(
            "select * from intermediate.int_weighting_targets where edition = ? order by gemeente_code, margin, category",
            [edition],
        ).df()
    calibration = calibrate(respondents, targets)
    frames = {
        "respondent_weights": calibration.weights,
        "gemeente_weights": _with_margins_source(calibration.gemeenten, targets),
        "raking_domains": calibration.domains,
        "raking_margins": calibration.margins,
    }
    summary = _edition_summary(calibration, edition)
    context.log.info(f"edition {edition}: weights for {summary['respondents']:,} respondents in {summary['raking_domains']} raking domains")
    with warehouse.get_connection() as conn:
        for name, frame in frames.items():
            replace_edition_rows(conn, SCHEMA, name, frame, edition)
            metadata = table_metadata(conn, SCHEMA, name, edition)
            if name == "respondent_weights":  # aggregates only: no respondent rows in metadata
                metadata["weighting"] = MetadataValue.json(summary)
            if name == "gemeente_weights":
                metadata["kish_deff_per_gemeente"] = MetadataValue.md(
                    markdown_table(frame[["edition", "gemeente_code", "raking_level", "n_respondents", "kish_deff"]])
                )
            yield MaterializeResult(asset_key=AssetKey([SCHEMA, name]), metadata=metadata)
