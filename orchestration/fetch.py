"""Fetch CBS key figures into the landing zone (a job of its own: it writes a new delivery
folder, it never changes one that exists)."""

from pathlib import Path

from dagster import Config, MetadataValue, OpExecutionContext, Output, in_process_executor, job, op
from pydantic import Field

from monitor.cbs.fetch import CBS_BASE_URL, fetch_kwb
from monitor.reference import brabant_gemeenten
from orchestration.resources import LandingZone


class FetchCbsConfig(Config):
    year: int = Field(description="The KWB year (= edition) to download, 2015-2024.")
    overwrite: bool = Field(default=False, description="Replace an existing download folder of that year.")
    base_url: str = Field(default=CBS_BASE_URL, description="The CBS OData API (or a mirror of it).")


def fetch_brabant_kwb(year: int, landing: Path, overwrite: bool = False, base_url: str = CBS_BASE_URL) -> Path:
    """Download the year's KWB rows of the Brabant gemeenten of that year's layout."""
    codes = brabant_gemeenten(year)["gemeente_code"].tolist()
    return fetch_kwb(year, landing, codes, overwrite=overwrite, base_url=base_url)


@op(description="Download a year's CBS Kerncijfers wijken en buurten for Noord-Brabant into <landing>/<year>/kwb/.")
def fetch_cbs_kwb(context: OpExecutionContext, config: FetchCbsConfig, landing: LandingZone):
    folder = fetch_brabant_kwb(config.year, Path(landing.path), config.overwrite, config.base_url)
    context.log.info(f"CBS key figures {config.year} written to {folder}")
    log = folder / "fetch_log.json"
    yield Output(
        str(folder),
        metadata={"folder": str(folder), "fetch_log": MetadataValue.path(str(log)) if log.exists() else "none"},
    )


@job(executor_def=in_process_executor, description="Fetch a year's CBS key figures for Noord-Brabant (config: year).")
def fetch_cbs_job():
    fetch_cbs_kwb()
