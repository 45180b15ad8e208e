"""Land: the landing-zone files and the codebook become raw tables in DuckDB.

Landing files are only read. Every row of a delivered file ends up in a raw table or, for CBS
rows that cannot be read, in raw.kwb_rejected_rows with the reason: nothing is dropped."""


import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)
from dagster_duckdb import DuckDBResource

from monitor.cbs import kwb_spec, kwb_variables
from monitor.cbs.kwb import load_kwb
from monitor.codebook import load_codebook
from monitor.codebook.tables import TABLE_BUILDERS, codebook_tables
from monitor.contract import layer
from monitor.geo.boundaries import COLUMNS as BOUNDARY_COLUMNS
from monitor.geo.boundaries import load_boundaries
from monitor.landing.survey import load_survey
from orchestration.metadata import code_version, table_metadata
from orchestration.partitions import edition_of, editions
from orchestration.resources import LandingZone
from orchestration.warehouse import replace_edition_rows, replace_table

RAW_SCHEMA = layer("raw")
GROUP = RAW_SCHEMA  # one name per layer: schema and group (monitor/contract.yaml)
SURVEY_KEY = AssetKey([RAW_SCHEMA, "survey_responses"])
KWB_KEY = AssetKey([RAW_SCHEMA, "kwb_key_figures"])
KWB_REJECTED_KEY = AssetKey([RAW_SCHEMA, "kwb_rejected_rows"])
KWB_COLUMNS_KEY = AssetKey([RAW_SCHEMA, "kwb_columns"])
BOUNDARIES_KEY = AssetKey([RAW_SCHEMA, "area_boundaries"])
# DuckDB types of raw.area_boundaries, declared so that an edition without boundaries (no rows)
# still gives dbt a table with a BLOB geometry
BOUNDARY_TYPES = {"int64": "bigint", "string": "varchar", "object": "blob", "bool": "boolean"}
CODEBOOK_TABLES = tuple(TABLE_BUILDERS)  # raw.<name> for every codebook table (names only: no work at import)
CODEBOOK_VERSION = code_version(__name__, "monitor.codebook", "monitor.codebook.tables")
SURVEY_VERSION = code_version(__name__, "monitor.landing.survey", "monitor.codebook")
KWB_VERSION = code_version(__name__, "monitor.cbs.kwb", "monitor.cbs.supplement", "monitor.cbs.statline")
BOUNDARIES_VERSION = code_version(__name__, "monitor.geo.boundaries")


@multi_asset(
    specs=[
        AssetSpec(
            AssetKey([RAW_SCHEMA, name]),
            group_name=GROUP,
            kinds={"duckdb"},
            description=f"raw.{name}: the survey codebook (monitor/codebook/survey_codebook.yaml) as a table for dbt.",
            code_version=CODEBOOK_VERSION,
        )
        for name in CODEBOOK_TABLES
    ],
)
def raw_codebook(context: AssetExecutionContext, warehouse: DuckDBResource):
    """Write the codebook tables that dbt recodes and scores with."""
    tables = codebook_tables(load_codebook())
    with warehouse.get_connection() as conn:
        for name in CODEBOOK_TABLES:
            replace_table(conn, RAW_SCHEMA, name, tables[name])
            yield MaterializeResult(asset_key=AssetKey([RAW_SCHEMA, name]), metadata=table_metadata(conn, RAW_SCHEMA, name))


@asset(
    key=SURVEY_KEY,
    partitions_def=editions,
    group_name=GROUP,
    kinds={"duckdb", "pandas"},
    code_version=SURVEY_VERSION,
    description=(
        "raw.survey_responses: each edition's survey file as delivered, one row per respondent, "
        "typed by the codebook (extra columns kept); raw.survey_value_labels: the value labels of an "
        "SPSS delivery. Guarded by the raw GX suite."
    ),
)
def raw_survey_responses(context: AssetExecutionContext, landing: LandingZone, warehouse: DuckDBResource) -> MaterializeResult:
    found = landing.edition(edition_of(context))
    loaded = load_survey(found.survey_path, found.edition, load_codebook())
    with warehouse.get_connection() as conn:
        rows = replace_edition_rows(conn, RAW_SCHEMA, "survey_responses", loaded.frame, found.edition, "_landing_edition")
        replace_edition_rows(conn, RAW_SCHEMA, "survey_value_labels", _value_labels(loaded, found.edition), found.edition)
        table = table_metadata(conn, RAW_SCHEMA, "survey_responses", found.edition, "_landing_edition")
    context.log.info(f"edition {found.edition}: {rows:,} respondents from {found.survey_path}")
    return MaterializeResult(
        metadata={
            **table,
            "file": str(found.survey_path),
            "extra_columns": MetadataValue.json(loaded.extra_columns),
            "defaulted_columns": MetadataValue.json(loaded.defaulted_columns),
        }
    )


def _value_labels(loaded, edition: int) -> pd.DataFrame:
    """The value labels an SPSS delivery carries, one row per column and code (empty for CSV
    and Parquet), kept as column metadata beside the raw table."""
    rows = [
        {"edition": edition, "column_name": column, "code": str(code), "label": str(label), "source_file": loaded.source_file.name}
        for column, labels in sorted(loaded.value_labels.items())
        for code, label in labels.items()
    ]
    columns = ["edition", "column_name", "code", "label", "source_file"]
    return pd.DataFrame(rows, columns=columns).astype({"edition": "int64", "column_name": "string", "code": "string", "label": "string", "source_file": "string"})


def _with_spec_variables(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Add the spec's CBS variables a file lacks as empty columns, so staging can select them
    in every edition; which ones were absent is recorded in raw.kwb_columns, and the raw check
    names those a stage requires."""
    absent = [name for name in kwb_variables() if name not in frame.columns]
    for name in absent:
        frame[name] = pd.Series(pd.NA, index=frame.index, dtype="Float64")
    return frame, absent


def _kwb_columns(loaded, frame: pd.DataFrame, absent: list[str], edition: int) -> pd.DataFrame:
    """One row per CBS variable of kwb_variables.yaml: its key in the delivery (NULL when the
    delivery and the supplement lack it), what requires it, and how many regions have a value
    (0 for a column CBS kept secret throughout): what the checks and the small-area model go by."""
    rows = [
        {
            "edition": edition,
            "variable": spec["name"],
            "cbs_key": None if spec["name"] in absent else loaded.source_columns.get(spec["name"]),
            "required_for": ",".join(spec["required_for"]),
            "regions_with_value": int(frame[spec["name"]].notna().sum()),
        }
        for spec in kwb_spec()["variables"]
    ]
    columns = {"edition": "int64", "variable": "string", "cbs_key": "string", "required_for": "string", "regions_with_value": "int64"}
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


@multi_asset(
    partitions_def=editions,
    specs=[
        AssetSpec(
            KWB_KEY,
            group_name=GROUP,
            code_version=KWB_VERSION,
            kinds={"duckdb", "pandas"},
            description=(
                "raw.kwb_key_figures: each edition's CBS Kerncijfers wijken en buurten, all regions of "
                "the file, codes stripped, `.` as NULL, columns named by CBS key without the number."
            ),
        ),
        AssetSpec(
            KWB_REJECTED_KEY,
            group_name=GROUP,
            code_version=KWB_VERSION,
            kinds={"duckdb"},
            description=(
                "raw.kwb_rejected_rows: rows of a CBS file that could not be read, with the reason, the line, "
                "the region and gemeente they belong to, and whether kwb_supplement.csv replaced them."
            ),
        ),
        AssetSpec(
            KWB_COLUMNS_KEY,
            group_name=GROUP,
            code_version=KWB_VERSION,
            kinds={"duckdb"},
            description=(
                "raw.kwb_columns: per CBS variable the project uses (monitor/cbs/kwb_variables.yaml), its key in "
                "the delivery or NULL when absent, the stages that require it and how many regions have a value."
            ),
        ),
    ],
)
def raw_kwb_key_figures(context: AssetExecutionContext, landing: LandingZone, warehouse: DuckDBResource):
    found = landing.edition(edition_of(context))
    loaded = load_kwb(found.kwb_path, found.edition, supplement=found.kwb_supplement_path)
    frame, absent = _with_spec_variables(loaded.frame)
    rejected = loaded.rejected.astype("string").assign(edition=found.edition)
    columns = _kwb_columns(loaded, frame, absent, found.edition)
    with warehouse.get_connection() as conn:
        rows = replace_edition_rows(conn, RAW_SCHEMA, "kwb_key_figures", frame, found.edition)
        replace_edition_rows(conn, RAW_SCHEMA, "kwb_rejected_rows", rejected, found.edition)
        replace_edition_rows(conn, RAW_SCHEMA, "kwb_columns", columns, found.edition)
        tables = {name: table_metadata(conn, RAW_SCHEMA, name, found.edition) for name in ("kwb_key_figures", "kwb_rejected_rows", "kwb_columns")}
    if len(rejected):
        context.log.warning(
            f"edition {found.edition}: {len(rejected)} row(s) of {found.kwb_path} could not be read; "
            f"see raw.kwb_rejected_rows and the check raw_kwb_unusable_rows (first reason: {rejected['reason'].iloc[0]})"
        )
    sources = [str(found.kwb_path), *([str(found.kwb_supplement_path)] if found.kwb_supplement_path else [])]
    context.log.info(f"edition {found.edition}: {rows:,} CBS regions from {' + '.join(sources)}")
    yield MaterializeResult(
        asset_key=KWB_KEY,
        metadata={
            **tables["kwb_key_figures"],
            "file": str(found.kwb_path),
            "supplement": str(found.kwb_supplement_path or "none"),
            "cbs_table_id": loaded.table_id or "unknown",
            "rows_by_region_type": MetadataValue.json(frame["region_type"].value_counts().to_dict()),
            "variables_absent_from_file": MetadataValue.json(absent),
        },
    )
    yield MaterializeResult(asset_key=KWB_REJECTED_KEY, metadata=tables["kwb_rejected_rows"])
    yield MaterializeResult(asset_key=KWB_COLUMNS_KEY, metadata={**tables["kwb_columns"], "absent": MetadataValue.json(absent)})


@asset(
    key=BOUNDARIES_KEY,
    partitions_def=editions,
    group_name=GROUP,
    kinds={"duckdb", "geojson"},
    code_version=BOUNDARIES_VERSION,
    description=(
        "raw.area_boundaries: each edition's optional boundaries (`<edition>/boundaries/`: PDOK GeoJSON "
        "or the CBS wijk- en buurtkaart GeoPackage), one row per gemeente, wijk and buurt delivered: code, "
        "CBS name, geometry (WKB, EPSG:28992; repaired when shapely could, else the reason in `problem`), "
        "the CRS the file declares and where it came from. No rows when none were delivered: the refresh "
        "then publishes everything without maps. Guarded by the raw GX check raw_area_boundaries_contract."
    ),
)
def raw_area_boundaries(context: AssetExecutionContext, landing: LandingZone, warehouse: DuckDBResource) -> MaterializeResult:
    found = landing.edition(edition_of(context))
    loaded = load_boundaries(found.boundaries_path, found.edition)
    columns = ", ".join(f"{name} {BOUNDARY_TYPES[kind]}" for name, kind in BOUNDARY_COLUMNS.items())
    with warehouse.get_connection() as conn:
        conn.execute(f"create schema if not exists {RAW_SCHEMA}")
        conn.execute(f"create table if not exists {RAW_SCHEMA}.area_boundaries ({columns})")
        rows = replace_edition_rows(conn, RAW_SCHEMA, "area_boundaries", loaded.frame, found.edition)
        table = table_metadata(conn, RAW_SCHEMA, "area_boundaries", found.edition)
    by_type = loaded.frame["region_type"].value_counts().to_dict()
    where = found.boundaries_path or f"{found.folder}/boundaries (not there: no maps for this edition)"
    context.log.info(f"edition {found.edition}: {rows:,} boundaries ({by_type or 'none'}) from {where}")
    return MaterializeResult(
        metadata={
            **table,
            "folder": str(where),
            "files": MetadataValue.json(loaded.files),
            "rows_by_region_type": MetadataValue.json(by_type),
            "repaired": int(loaded.frame["repaired"].sum()),
            "unusable_geometries": int(loaded.frame["problem"].notna().sum()),
            "water_features_left_out": loaded.water_features,
            "features_merged_by_code": loaded.merged_features,
            "ignored_layers": MetadataValue.json(loaded.ignored_layers),
        }
    )
