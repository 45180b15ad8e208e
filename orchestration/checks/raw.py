"""Validate: the raw Great Expectations suites as blocking Dagster asset checks.

A failing raw check stops every asset downstream of the raw table in the same run. The check
metadata shows each expectation, what was observed and how many rows fail; respondent ids
are never shown (only counts)."""


import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    MetadataValue,
    asset_check,
)
from dagster_duckdb import DuckDBResource

from data_quality.runner import validate_frame, validate_table
from data_quality.suites import raw_area_boundaries, raw_kwb_key_figures, raw_survey_responses
from monitor.cbs import kwb_variables
from monitor.codebook import load_codebook
from monitor.reference import brabant_gemeenten
from orchestration.assets.raw import BOUNDARIES_KEY, KWB_COLUMNS_KEY, KWB_KEY, KWB_REJECTED_KEY, SURVEY_KEY
from orchestration.checks.kwb_report import unusable_rows_result
from orchestration.checks.results import check_result, data_docs_dir
from orchestration.partitions import edition_of, editions
from orchestration.resources import LandingZone


def _edition_rows(warehouse: DuckDBResource, table: str, edition_column: str, edition: int) -> pd.DataFrame:
    with warehouse.get_connection() as conn:
        return conn.execute(f"select * from raw.{table} where {edition_column} = ?", [edition]).df()


def survey_layout(warehouse: DuckDBResource, edition: int) -> "raw_survey_responses.EditionLayout":
    """The Brabant gemeenten of the edition (reference seed) and the buurten of its CBS file, as
    loaded in raw. Whether a respondent's gemeente has usable CBS figures is the check
    raw_survey_gemeenten_have_cbs_margins's question, with its own advice; the gemeenten that
    have them are those the weighting rakes, in pools per COROP region."""
    with warehouse.get_connection() as conn:
        regions = conn.execute(
            "select region_code, region_type, gemeente_code from raw.kwb_key_figures "
            "where edition = ? and region_type in ('Gemeente', 'Buurt')",
            [edition],
        ).df()
    coverage = kwb_coverage(warehouse, edition, with_respondents=False)
    return raw_survey_responses.edition_layout(edition, regions, coverage.loc[coverage["usable"], "gemeente_code"])


def _respondents_per_gemeente(warehouse: DuckDBResource, edition: int) -> pd.Series:
    with warehouse.get_connection() as conn:
        counts = conn.execute(
            "select gemeente_code, count(*) as n from raw.survey_responses where _landing_edition = ? group by 1",
            [edition],
        ).df()
    return counts.set_index("gemeente_code")["n"]


def _kwb_files(found) -> str:
    return " + ".join(p.name for p in (found.kwb_path, found.kwb_supplement_path) if p)


def kwb_coverage(
    warehouse: DuckDBResource, edition: int, rows: pd.DataFrame | None = None, with_respondents: bool = True
) -> pd.DataFrame:
    """Per Brabant gemeente of the edition: in the CBS file, usable adult totals, respondents
    (0 throughout without `with_respondents`: for checks that must not depend on the survey)."""
    rows = _edition_rows(warehouse, "kwb_key_figures", "edition", edition) if rows is None else rows
    respondents = _respondents_per_gemeente(warehouse, edition) if with_respondents else pd.Series(dtype="int64")
    return raw_kwb_key_figures.gemeente_coverage(rows, brabant_gemeenten(edition), respondents, kwb_variables("weighting"))


@asset_check(
    asset=KWB_KEY,
    name="raw_kwb_key_figures_contract",
    blocking=True,
    partitions_def=editions,
    additional_deps=[KWB_COLUMNS_KEY],
    description=(
        "GX suite raw_kwb_key_figures: region codes and types, every CBS variable the layout and the weighting "
        "require (named when missing), and key figures of Noord-Brabant gemeenten of the edition at all."
    ),
)
def raw_kwb_key_figures_contract(
    context: AssetCheckExecutionContext, landing: LandingZone, warehouse: DuckDBResource
) -> AssetCheckResult:

    found = landing.edition(edition_of(context))
    files = _kwb_files(found)
    rows = _edition_rows(warehouse, "kwb_key_figures", "edition", found.edition)
    columns = raw_kwb_key_figures.columns_frame(_edition_rows(warehouse, "kwb_columns", "edition", found.edition))
    coverage = kwb_coverage(warehouse, found.edition, rows, with_respondents=False)
    docs = data_docs_dir(context)
    suite = raw_kwb_key_figures.SUITE_NAME
    with warehouse.get_connection() as conn:
        rows_outcome = validate_table(
            conn, f"select * from raw.kwb_key_figures where edition = {found.edition:d}", suite,
            f"{files} (edition {found.edition})", raw_kwb_key_figures.build_suite(found.edition), docs_dir=docs,
        )
    outcomes = [
        rows_outcome,
        validate_frame(columns, f"{suite}_columns", f"columns of {files} (edition {found.edition})",
                       raw_kwb_key_figures.build_columns_suite(columns), docs_dir=docs),
        validate_frame(coverage, f"{suite}_gemeenten", f"gemeenten of {files} (edition {found.edition})",
                       raw_kwb_key_figures.build_layout_suite(found.edition), docs_dir=docs),
    ]
    return check_result(context, outcomes)


@asset_check(
    asset=SURVEY_KEY,
    name="raw_survey_gemeenten_have_cbs_margins",
    blocking=True,
    partitions_def=editions,
    additional_deps=[KWB_KEY],
    description=(
        "GX: every gemeente with respondents has usable adult totals (the weighting margins) in the edition's CBS "
        "key figures or in kwb_supplement.csv; a gemeente without them and without respondents does not block "
        "(it is published suppressed, see raw_kwb_unusable_rows)."
    ),
)
def raw_survey_gemeenten_have_cbs_margins(
    context: AssetCheckExecutionContext, landing: LandingZone, warehouse: DuckDBResource
) -> AssetCheckResult:
    found = landing.edition(edition_of(context))
    coverage = kwb_coverage(warehouse, found.edition)
    outcome = validate_frame(
        coverage,
        f"{raw_kwb_key_figures.SUITE_NAME}_margins",
        f"gemeenten of {found.survey_path.name} in {_kwb_files(found)} (edition {found.edition})",
        raw_kwb_key_figures.build_margins_suite(found.edition, coverage),
        docs_dir=data_docs_dir(context),
    )
    return check_result(context, [outcome])


@asset_check(
    asset=KWB_KEY,
    name="raw_kwb_unusable_rows",
    blocking=False,
    partitions_def=editions,
    additional_deps=[SURVEY_KEY, KWB_REJECTED_KEY, KWB_COLUMNS_KEY],
    description=(
        "Warning (does not block): the rows of the CBS file the loader could not use (file, line, code, gemeente, "
        "reason), the Brabant gemeenten without usable key figures (published with every figure suppressed when "
        "they have no respondents) and the CBS variables absent from the file (the small-area model goes without)."
    ),
)
def raw_kwb_unusable_rows(context: AssetCheckExecutionContext, landing: LandingZone, warehouse: DuckDBResource) -> AssetCheckResult:
    found = landing.edition(edition_of(context))
    rejected = _edition_rows(warehouse, "kwb_rejected_rows", "edition", found.edition)
    coverage = kwb_coverage(warehouse, found.edition)
    columns = _edition_rows(warehouse, "kwb_columns", "edition", found.edition)
    return unusable_rows_result(rejected, coverage, columns)


@asset_check(
    asset=SURVEY_KEY,
    name="raw_survey_responses_contract",
    blocking=True,
    partitions_def=editions,
    additional_deps=[KWB_KEY],
    description=(
        "GX suite raw_survey_responses, built from the codebook: required columns, types, codes incl. "
        "missing codes, ranges, unique resp_id, code patterns, gemeente and buurt in the edition's CBS "
        "layout, buurt inside its gemeente, edition equals the folder, every COROP region's raking pool has "
        "respondents; values that look like respondent ids are never shown."
    ),
)
def raw_survey_responses_contract(
    context: AssetCheckExecutionContext, landing: LandingZone, warehouse: DuckDBResource
) -> AssetCheckResult:
    found = landing.edition(edition_of(context))
    layout = survey_layout(warehouse, found.edition)
    with warehouse.get_connection() as conn:
        outcomes = raw_survey_responses.validate(
            conn,
            f"select * from raw.survey_responses where _landing_edition = {found.edition:d}",
            load_codebook(),
            layout,
            f"{found.survey_path.name} (edition {found.edition})",
            docs_dir=data_docs_dir(context),
        )
    return check_result(context, outcomes)


def _brabant_regions(warehouse: DuckDBResource, edition: int) -> pd.DataFrame:
    """The gemeenten, wijken and buurten of the Brabant gemeenten of the edition in the key figures."""
    codes = brabant_gemeenten(edition)["gemeente_code"].tolist()
    with warehouse.get_connection() as conn:
        return conn.execute(
            "select lower(region_type) as region_type, region_code from raw.kwb_key_figures "
            "where edition = ? and region_type in ('Gemeente', 'Wijk', 'Buurt') and gemeente_code in (select unnest(?))",
            [edition, codes],
        ).df()


@asset_check(
    asset=BOUNDARIES_KEY,
    name="raw_area_boundaries_contract",
    blocking=True,
    partitions_def=editions,
    additional_deps=[KWB_KEY],
    description=(
        "GX suite raw_area_boundaries: the boundary files declare EPSG:28992, every code is a CBS code of its level "
        "and unique, every geometry is a valid polygon (repaired where shapely could, else refused with the code). "
        "Lists in its metadata (`coverage`) the gemeenten, wijken and buurten of the key figures without a "
        "geometry. Passes without a word of GX when no boundaries were delivered (the maps are then left out)."
    ),
)
def raw_area_boundaries_contract(
    context: AssetCheckExecutionContext, landing: LandingZone, warehouse: DuckDBResource
) -> AssetCheckResult:
    found = landing.edition(edition_of(context))
    with warehouse.get_connection() as conn:
        rows = conn.execute(
            f"select {', '.join(raw_area_boundaries.COLUMNS)} from raw.area_boundaries where edition = ?", [found.edition]
        ).df()
    if rows.empty:
        return AssetCheckResult(
            passed=True,
            metadata={"boundaries": f"none delivered in {found.folder / 'boundaries'}: the pages and the kaartenboek say the maps are missing"},
        )

    coverage = raw_area_boundaries.coverage(rows, _brabant_regions(warehouse, found.edition))
    outcome = validate_frame(
        rows, raw_area_boundaries.SUITE_NAME, f"{found.boundaries_path} (edition {found.edition})",
        raw_area_boundaries.build_suite(), docs_dir=data_docs_dir(context),
    )
    missing = {kind: len(c.get("missing", [])) for kind, c in coverage.items() if c["delivered"]}
    return check_result(context, [outcome], metadata={
        "coverage": MetadataValue.json(coverage),
        "areas_without_geometry": MetadataValue.json(missing),
        "repaired_geometries": MetadataValue.json(rows.loc[rows["repaired"], "region_code"].tolist()),
    })
