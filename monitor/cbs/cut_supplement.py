"""A kwb_supplement.csv cut from another CBS delivery (monitor/cbs/supplement.py says what a
supplement is and how the loader merges it): the rows and variables a delivery lacks, taken
from the nearest earlier edition's file or from an export made on another machine. A tool of
its own because it reads a delivery with the loader (monitor/cbs/kwb.py), which itself merges
supplements: the imports go one way, loader <- this module."""

from __future__ import annotations

import pandas as pd

from monitor.cbs import kwb_variables
from monitor.cbs.kwb import load_kwb
from monitor.cbs.statline import write_statline_csv


def supplement_rows(
    source, source_edition: int, gemeenten: list[str] | None = None, variables: list[str] | None = None,
    region_types: tuple[str, ...] = ("Gemeente", "Wijk", "Buurt"),
) -> pd.DataFrame:
    """Rows for a kwb_supplement.csv taken from another CBS delivery `source` of
    `source_edition` (e.g. the nearest earlier edition's file, or an export made on another
    machine): the rows of `gemeenten` (default: all) of `region_types`, with `variables`
    (default: every variable of kwb_variables.yaml the source has values for), by base name."""
    frame = load_kwb(source, source_edition).frame
    rows = frame[frame["region_type"].isin(region_types)]
    if gemeenten:
        rows = rows[rows["gemeente_code"].isin(gemeenten)]
    if rows.empty:
        raise ValueError(f"{source}: no {'/'.join(region_types)} rows of {gemeenten or 'any gemeente'} to supplement from")
    variables = variables or [v for v in kwb_variables() if v in rows.columns and rows[v].notna().any()]
    missing = [v for v in variables if v not in rows.columns]
    if missing:
        raise ValueError(f"{source}: lacks the variable(s) {missing}; it cannot supply them")
    return pd.DataFrame({
        "WijkenEnBuurten": rows["region_code"].to_numpy(),
        "Gemeentenaam": rows["gemeente_name"].to_numpy(),
        "SoortRegio": rows["region_type"].to_numpy(),
        "Codering": rows["region_code"].to_numpy(),
        "IndelingswijzigingWijkenEnBuurten": rows["indeling_wijziging"].to_numpy(),
        **{v: rows[v].to_numpy() for v in variables},
    })


def write_supplement(parts: list[pd.DataFrame], out, edition: int) -> int:
    """Write `out` (a kwb_supplement.csv for `edition`, StatLine CSV) from `supplement_rows`
    parts; a region in several parts is written once, its values combined. Returns the rows."""
    table = pd.concat(parts, ignore_index=True).groupby("Codering", sort=False, as_index=False).first()
    table.insert(0, "ID", range(len(table)))
    write_statline_csv(table[["ID", *[c for c in table.columns if c != "ID"]]], out, edition)
    return len(table)
