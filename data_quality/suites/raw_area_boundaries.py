"""The raw boundaries suite: one edition's raw.area_boundaries (monitor/geo/boundaries.py)
against what the maps need of them.

The rows are validated without their geometry (a GX frame of codes and flags, small): the file
declares EPSG:28992, every code is a CBS code of its level and unique, and every geometry is a
valid polygon (the loader repaired what shapely could and wrote the reason into `problem`
where it could not, with the code). Which gemeenten, wijken and buurten of the key figures
have no geometry is not a failure (a map then shows them as "geen grens"): the check lists
them in its metadata (`coverage`)."""

from __future__ import annotations

import pandas as pd

from data_quality.expectations import Expect, in_set
from monitor.geo import CODE_PREFIX, EPSG

SUITE_NAME = "raw_area_boundaries"
CODE_DIGITS = {"gemeente": 4, "wijk": 6, "buurt": 8}
COLUMNS = ["region_type", "region_code", "region_name", "repaired", "problem", "crs", "source_file"]


def build_suite() -> list[Expect]:
    code_rules = [
        Expect(
            "ExpectColumnValuesToMatchRegex",
            f"the code of every {kind} is {prefix} and {CODE_DIGITS[kind]} digits",
            {"column": "region_code", "regex": f"^{prefix}[0-9]{{{CODE_DIGITS[kind]}}}$",
             "row_condition": f'region_type=="{kind}"', "condition_parser": "pandas"},
        )
        for kind, prefix in CODE_PREFIX.items()
    ]
    return [
        in_set("crs", [f"EPSG:{EPSG}"], f"every file declares EPSG:{EPSG} (Amersfoort / RD New), as CBS and PDOK deliver it"),
        in_set("region_type", list(CODE_PREFIX), "region_type is gemeente, wijk or buurt"),
        Expect("ExpectColumnValuesToNotBeNull", "every feature has a code", {"column": "region_code"}),
        Expect("ExpectColumnValuesToBeUnique", "one geometry per code", {"column": "region_code"}),
        *code_rules,
        Expect(
            "ExpectColumnValuesToBeNull",
            "every geometry is a valid polygon (repaired where shapely could; the code and the reason are the values)",
            {"column": "problem"},
        ),
    ]


def coverage(boundaries: pd.DataFrame, regions: pd.DataFrame) -> dict:
    """Per level: the key figures' areas (`regions`: region_type, region_code of the Brabant
    gemeenten of the edition) without a geometry, and geometries of areas the key figures lack.
    A level without any geometry is said to be not delivered rather than listed code by code."""
    result = {}
    for kind in CODE_PREFIX:
        wanted = set(regions.loc[regions["region_type"] == kind, "region_code"])
        have = set(boundaries.loc[boundaries["region_type"] == kind, "region_code"])
        if not have:
            result[kind] = {"delivered": False, "areas_in_key_figures": len(wanted)}
            continue
        result[kind] = {
            "delivered": True,
            "areas_in_key_figures": len(wanted),
            "with_geometry": len(wanted & have),
            "missing": sorted(wanted - have),
            "not_in_key_figures": len(have - wanted),
        }
    return result
