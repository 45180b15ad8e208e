"""Validate: the raw Great Expectations suites as blocking Dagster asset checks.

A failing raw check stops every asset downstream of the raw table in the same run. The check
metadata shows each expectation, what was observed and how many rows fail; respondent ids
are never shown (only counts)."""


import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    asset_check,
)
from dagster_duckdb import DuckDBResource

from data_quality.suites import raw_kwb_key_figures, raw_survey_responses
from monitor.cbs import kwb_variables
from monitor.codebook import load_codebook
from monitor.reference import brabant_gemeenten
from orchestration.assets.raw import KWB_KEY, SURVEY_KEY
from orchestration.checks.results import check_result, data_docs_dir
from orchestration.partitions import edition_of, editions
from orchestration.resources import LandingZone


def _edition_rows(warehouse: DuckDBResource, table: str, edition_column: str, edition: int) -> pd.DataFrame:
    with warehouse.get_connection() as conn:
        return conn.execute(f"select * from raw.{table} where {edition_column} = ?", [edition]).df()


def survey_layout(warehouse: DuckDBResource, edition: int) -> "raw_survey_responses.EditionLayout":
    """The Brabant gemeenten and buurten of the edition's CBS file, as loaded in raw."""
    brabant = brabant_gemeenten(edition)["gemeente_code"].tolist()
    with warehouse.get_connection() as conn:
        regions = conn.execute(
            "select region_code, region_type from raw.kwb_key_figures "
            "where edition = ? and region_type in ('Gemeente', 'Buurt') and gemeente_code in (select unnest(?))",
            [edition, brabant],
        ).df()
    return raw_survey_responses.EditionLayout(
        edition=edition,
        gemeente_codes=sorted(regions.loc[regions.region_type == "Gemeente", "region_code"]),
        buurt_codes=sorted(regions.loc[regions.region_type == "Buurt", "region_code"]),
    )


@asset_check(
    asset=KWB_KEY,
    name="raw_kwb_key_figures_contract",
    blocking=True,
    partitions_def=editions,
    description="GX suite raw_kwb_key_figures: the CBS file has the layout of its edition and the variables weighting needs.",
)
def raw_kwb_key_figures_contract(
    context: AssetCheckExecutionContext, landing: LandingZone, warehouse: DuckDBResource
) -> AssetCheckResult:
    from data_quality.runner import validate_frame  # imports great_expectations (slow)

    found = landing.edition(edition_of(context))
    suite = raw_kwb_key_figures.build_suite(
        found.edition, brabant_gemeenten(found.edition)["gemeente_code"].tolist(), kwb_variables("weighting")
    )
    rows = _edition_rows(warehouse, "kwb_key_figures", "edition", found.edition)
    outcome = validate_frame(
        rows,
        raw_kwb_key_figures.SUITE_NAME,
        f"{found.kwb_path.name} (edition {found.edition})",
        suite,
        docs_dir=data_docs_dir(context),
    )
    return check_result(context, [outcome])


@asset_check(
    asset=SURVEY_KEY,
    name="raw_survey_responses_contract",
    blocking=True,
    partitions_def=editions,
    additional_deps=[KWB_KEY],
    description=(
        "GX suite raw_survey_responses, built from the codebook: required columns, types, codes incl. "
        "missing codes, ranges, unique resp_id, code patterns, gemeente and buurt in the edition's CBS "
        "layout, buurt inside its gemeente, edition equals the folder."
    ),
)
def raw_survey_responses_contract(
    context: AssetCheckExecutionContext, landing: LandingZone, warehouse: DuckDBResource
) -> AssetCheckResult:
    from data_quality.runner import validate_frame  # imports great_expectations (slow)

    codebook = load_codebook()
    found = landing.edition(edition_of(context))
    rows = _edition_rows(warehouse, "survey_responses", "_landing_edition", found.edition)
    outcome = validate_frame(
        raw_survey_responses.validation_frame(rows),
        raw_survey_responses.SUITE_NAME,
        f"{found.survey_path.name} (edition {found.edition})",
        raw_survey_responses.build_suite(codebook, survey_layout(warehouse, found.edition)),
        private_columns=codebook.private_columns,
        docs_dir=data_docs_dir(context),
    )
    return check_result(context, [outcome])
