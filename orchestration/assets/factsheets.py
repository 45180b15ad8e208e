"""Factsheets: one static HTML page per gemeente and an index, per edition, in
`<MONITOR_WAREHOUSE>/factsheets/<edition>/` (interfaces spec), from the published monitor
tables only. Runs after publication, so the pages never show figures that failed a check."""

import time

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from monitor.contract import layer
from orchestration.assets.publish import EDITION_TABLES, LOG_TABLE, WHOLE_TABLES, published_key
from orchestration.metadata import code_version, markdown_table
from orchestration.partitions import edition_of, editions

FACTSHEETS_KEY = AssetKey(["factsheets", "gemeenten"])
VERSION = code_version(__name__, "monitor.factsheets.page", "monitor.factsheets.data", "monitor.factsheets.charts", "monitor.factsheets.maps", "monitor.maps.svg")
# the tables the pages read (monitor_scale_reliability and the validation are not shown)
READS = [
    "monitor_area_estimates",
    "monitor_typology",
    "monitor_resource_importance",
    "monitor_small_area_estimates",
    "monitor_profiles",
]
TOP_FLAGGED = 10


@asset(
    key=FACTSHEETS_KEY,
    partitions_def=editions,
    deps=[published_key(t) for t in [*EDITION_TABLES, *WHOLE_TABLES, LOG_TABLE]],
    group_name=layer("share"),
    kinds={"html", "python"},
    code_version=VERSION,
    description=(
        "Static HTML factsheets of the edition, one per gemeente (<gemeente_code>.html) plus index.html, in "
        "<MONITOR_WAREHOUSE>/factsheets/<edition>/: resilience against region, the gemeente's size class within "
        "its region (regio_grootteklasse) and province, resources, typology, trend since the previous edition and "
        "the wijken and buurten below the gemeente (monitor.monitor_below_gemeente); the index shows who is "
        "resilient in the province (monitor_profiles) as a chart. Self-contained (inline SVG and CSS, no JavaScript); read from "
        f"schema monitor ({', '.join(READS)}, monitor_trend, the view monitor_below_gemeente and "
        f"{LOG_TABLE}), the reference seeds and each gemeente's size class (intermediate.int_gemeenten), never "
        "from respondent data. Written into a temporary "
        "folder and swapped in, so a failed run leaves the previous pages."
    ),
)
def factsheets_gemeenten(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    from monitor.factsheets import (  # scipy via the flag rule: imported when the step runs
        factsheet_dir,
        gather_edition,
        write_factsheet_files,
    )

    edition = edition_of(context)
    out_dir = factsheet_dir(edition)
    started = time.perf_counter()
    with warehouse.get_connection() as conn:
        data = gather_edition(conn, edition)
    # the connection is closed: writing the pages holds no warehouse handle
    summary = write_factsheet_files(data, out_dir, progress=context.log.info, started=started)
    flagged = pd.DataFrame(
        [(code, name, n) for code, (name, n) in summary.flagged.items()],
        columns=["gemeente_code", "gemeente", "flagged_areas"],
    )
    top = flagged[flagged["flagged_areas"] > 0].sort_values(["flagged_areas", "gemeente"], ascending=[False, True])
    metadata = {
        "folder": MetadataValue.path(str(summary.out_dir)),
        "index": MetadataValue.path(str(summary.index_path)),
        "pages": summary.pages,
        "files": len(summary.files),
        "seconds": round(summary.seconds, 2),
        "gemeenten_suppressed": MetadataValue.json(summary.suppressed),
        "flagged_areas_total": int(flagged["flagged_areas"].sum()),
        "flagged_areas_top10": MetadataValue.md(
            markdown_table(top.head(TOP_FLAGGED)) if len(top) else "no wijk or buurt flagged below its gemeente"
        ),
    }
    return MaterializeResult(metadata=metadata)
