"""The content suites of every published table with figures, each with the helper frame it
validates (data_quality/suites/mart_contents.py and profile_contents.py hold the suites): the
list orchestration/checks/audit.py makes its blocking checks from."""

from __future__ import annotations

from data_quality.suites.mart_contents import (
    REGIO,
    SUITE_AREA_ESTIMATES,
    SUITE_REGIO_IMPORTANCE,
    SUITE_RESOURCE_IMPORTANCE,
    SUITE_SCALE_RELIABILITY,
    SUITE_TREND,
    SUITE_TYPOLOGY,
    ContentSuite,
    area_estimates_frame,
    area_estimates_suite,
    indicator_ranges,
    regio_importance_frame,
    resource_importance_frame,
    resource_importance_suite,
    scale_reliability_suite,
    trend_frame,
    trend_suite,
    typology_frame,
    typology_suite,
)
from data_quality.suites.profile_contents import profile_content_suites
from monitor.codebook import Codebook


def content_suites(codebook: Codebook) -> list[ContentSuite]:
    """Every monitor table with its helper frame and suite, built from the codebook."""
    ranges = indicator_ranges(codebook)
    same = lambda rows: rows  # noqa: E731
    return [
        ContentSuite("monitor_area_estimates", SUITE_AREA_ESTIMATES, area_estimates_frame, area_estimates_suite(ranges)),
        ContentSuite("monitor_typology", SUITE_TYPOLOGY, typology_frame, typology_suite(list(codebook.typology["types"]))),
        ContentSuite("monitor_trend", SUITE_TREND, trend_frame, trend_suite(ranges)),
        ContentSuite(
            "monitor_resource_importance", SUITE_RESOURCE_IMPORTANCE, resource_importance_frame, resource_importance_suite(codebook)
        ),
        ContentSuite(
            "monitor_resource_importance_regio", SUITE_REGIO_IMPORTANCE, regio_importance_frame,
            resource_importance_suite(codebook, by=REGIO),
        ),
        ContentSuite("monitor_scale_reliability", SUITE_SCALE_RELIABILITY, same, scale_reliability_suite(codebook)),
        *profile_content_suites(codebook, ranges),
    ]
