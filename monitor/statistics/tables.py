"""The statistics as tables of the warehouse: what the dbt Python models (dbt_project/models/
weighting/*.py and audit/*.py) return, from the frames dbt hands them. The algorithms are in
weighting.py, importance.py and small_area.py; this module only shapes their results into the
tables the flow publishes, and computes each result once per dbt invocation where several models
share it (the four weighting tables rest on one calibration, the small-area estimates and their
validation on one fit).

Every function takes the rows of one or more editions and handles each edition on its own, as
the incremental models replace only their edition's rows."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable

import pandas as pd

from monitor.contract import MIN_RESPONDENTS_PER_CELL

OUTCOME = "veerkracht_score"

# -- one computation for several models of one dbt invocation ------------------------------

_LAST: dict[str, tuple[tuple, object]] = {}  # per computation: the inputs' key and the result
_COMPUTING: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)


def once(name: str, compute: Callable[[], object], *frames: pd.DataFrame):
    """`compute()` for these inputs, kept for the next model that asks with the same inputs (the
    models of a dbt invocation run in one process). Per computation only the last result is kept:
    a later edition or other inputs compute again. dbt runs independent models in parallel
    threads: a model asking while another computes waits for that result."""
    key = tuple(int(pd.util.hash_pandas_object(frame, index=False).sum()) if len(frame) else 0 for frame in frames)
    with _COMPUTING[name]:
        if name not in _LAST or _LAST[name][0] != key:
            _LAST[name] = (key, compute())
        return _LAST[name][1]


def _edition_frames(relation, order: str, edition) -> pd.DataFrame:
    """The rows of a dbt relation (of `edition`, or of every edition when it is None or empty:
    a plain `dbt build` without the var), in a fixed order: float sums and the REML fit must not
    depend on how DuckDB scanned them (reruns are bit-identical)."""
    if edition not in (None, "", "None"):
        relation = relation.filter(f"edition = {int(edition)}")
    return relation.order(order).df()


# -- weighting (methodology section 2) -------------------------------------------------------

WEIGHTING_TABLES = ("respondent_weights", "gemeente_weights", "raking_domains", "raking_margins")


def _with_margins_source(gemeenten: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Which file(s) each gemeente's margins came from (the delivery, or kwb_supplement.csv where
    the data engineer supplied what the delivery lacked), for the auditor."""
    sources = targets.drop_duplicates(["edition", "gemeente_code"]).set_index(["edition", "gemeente_code"])["margins_source"]
    keys = pd.MultiIndex.from_frame(gemeenten[["edition", "gemeente_code"]])
    return gemeenten.assign(margins_source=sources.reindex(keys).to_numpy()).astype({"margins_source": "string"})


def weighting_table(name: str, respondents, targets, edition: int | None) -> pd.DataFrame:
    """One of WEIGHTING_TABLES of the calibration of `respondents` to `targets` (dbt relations of
    int_weighting_respondents and int_weighting_targets)."""
    from monitor.statistics.weighting import calibrate

    people = _edition_frames(respondents, "edition, resp_id", edition)
    margins = _edition_frames(targets, "edition, gemeente_code, margin, category", edition)
    calibration = once("calibrate", lambda: calibrate(people, margins), people, margins)
    tables = {
        "respondent_weights": calibration.weights,
        "gemeente_weights": _with_margins_source(calibration.gemeenten, margins),
        "raking_domains": calibration.domains,
        "raking_margins": calibration.margins,
    }
    return tables[name].reset_index(drop=True)


# -- what goes with resilience (methodology sections 4 and 11) -------------------------------

IMPORTANCE_LEADING = ["edition", "level", "resource", "resource_group", "rank"]


def resource_groups() -> dict[str, str]:
    """Resource scale -> its group, in the codebook's reporting order."""
    from monitor.codebook import load_codebook

    codebook = load_codebook()
    return {s.name: s.group for g in codebook.resource_groups for s in codebook.scales_in_group(g)}


def _importance(part: pd.DataFrame, groups: dict[str, str]) -> pd.DataFrame:
    """The importance table of these respondents, with the fit's R2 and n on every row."""
    from monitor.statistics.importance import resource_importance

    scales = [OUTCOME, *groups]
    result = resource_importance(part[scales].astype(float), part["calibration_weight"], OUTCOME, groups)
    return result.table.assign(r2_total=result.r2_total, n_respondents=result.n_used, n_excluded=result.n_excluded)


def _ordered(table: pd.DataFrame, leading: list[str]) -> pd.DataFrame:
    return table[leading + [c for c in table.columns if c not in leading]]


def _wide(resources, edition: int | None) -> pd.DataFrame:
    return _edition_frames(resources, "edition, resp_id", edition).set_index("resp_id")


def importance_table(resources, edition: int | None) -> pd.DataFrame:
    """monitor_resource_importance from int_respondent_resources (a row per respondent: weight,
    regio, outcome and every resource scale)."""
    wide, groups = _wide(resources, edition), resource_groups()
    tables = [_importance(part, groups).assign(edition=int(year)) for year, part in wide.groupby("edition", sort=True)]
    return _ordered(pd.concat(tables, ignore_index=True), IMPORTANCE_LEADING)


def _suppressed_rows(groups: dict[str, str], reason: str, n_used: int, n_excluded: int) -> pd.DataFrame:
    """The rows of a regio whose n does not allow the regression: every resource and group kept
    (in the codebook's order), every figure NULL, the reason said, as suppressed cells are kept."""
    group_names = list(dict.fromkeys(groups.values()))
    rows = pd.DataFrame({
        "level": ["resource"] * len(groups) + ["group"] * len(group_names),
        "resource": [*groups, *group_names],
        "resource_group": [*groups.values(), *group_names],
    })
    for figure in ("std_coefficient", "ci_lower", "ci_upper", "shapley_r2", "importance_share", "r2_total"):
        rows[figure] = float("nan")
    return rows.assign(
        rank=pd.array([None] * len(rows), dtype="Int64"), top10=pd.array([None] * len(rows), dtype="boolean"),
        n_respondents=n_used, n_excluded=n_excluded, suppressed=True, suppression_reason=reason,
    )  # fmt: skip


def regio_importance(wide: pd.DataFrame, groups: dict[str, str], names: dict[str, str]) -> pd.DataFrame:
    """Per regio (code -> name) the importance table of its own respondents, or its rows
    suppressed where it has fewer complete respondents than `minimum_respondents`."""
    from monitor.statistics.importance import minimum_respondents, too_few_reason

    scales = [OUTCOME, *groups]
    tables = []
    for code, name in sorted(names.items()):
        part = wide[wide["regio_code"] == code]
        complete = int(part[scales].notna().all(axis=1).sum())
        if complete >= minimum_respondents(len(groups)):
            table = _importance(part, groups).assign(suppressed=False, suppression_reason=None)
        else:
            table = _suppressed_rows(groups, too_few_reason(len(groups)), complete, len(part) - complete)
        tables.append(table.assign(regio_code=code, regio_name=name))
    types = {"rank": "Int64", "top10": "boolean", "suppressed": bool, "suppression_reason": "string"}
    return pd.concat(tables, ignore_index=True).astype(types)  # the same column types, however many are suppressed


def regio_importance_table(resources, gemeenten, edition: int | None) -> pd.DataFrame:
    """monitor_resource_importance_regio: the regression on each regio's respondents alone."""
    wide, groups = _wide(resources, edition), resource_groups()
    regios = _edition_frames(gemeenten, "edition, gemeente_code", edition)
    tables = []
    for year, part in wide.groupby("edition", sort=True):
        names = regios[regios["edition"] == year].drop_duplicates("corop_code").set_index("corop_code")["corop_name"]
        tables.append(regio_importance(part, groups, names.to_dict()).assign(edition=int(year)))
    return _ordered(pd.concat(tables, ignore_index=True), ["edition", "regio_code", "regio_name", *IMPORTANCE_LEADING[1:]])


# -- wijk and buurt (methodology section 5) --------------------------------------------------

SMALL_AREA_TABLES = ("estimates", "validation")


def _named(estimates: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """The estimates with area_name, gemeente_name and name_source after area_code. Every wijk
    and buurt has a row in int_area_names (its code where no source names it)."""
    named = estimates.merge(names, on=["edition", "area_level", "area_code"], how="left", validate="many_to_one")
    named["area_name"] = named["area_name"].fillna(named["area_code"])
    named["name_source"] = named["name_source"].fillna("code")
    order = list(estimates.columns)
    at = order.index("area_code") + 1
    return named[order[:at] + ["area_name", "gemeente_name", "name_source"] + order[at:]]


def _without_small_direct_figures(estimates: pd.DataFrame) -> pd.DataFrame:
    """The direct estimate beside the model one is a direct figure too: not published on
    fewer than 10 respondents (methodology section 6)."""
    few = estimates["n_respondents"] < MIN_RESPONDENTS_PER_CELL
    return estimates.assign(direct_estimate=estimates["direct_estimate"].where(~few))


def small_area_inputs(respondents, areas, direct, edition) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The frames small_area_estimates takes, in a fixed order, from relations of
    int_small_area_respondents, int_small_area_covariates and monitor_area_estimates (the
    gemeente and province direct estimates of the two small-area indicators)."""
    from monitor.statistics.small_area import INDICATORS

    shown = ", ".join(f"'{indicator}'" for indicator in INDICATORS)
    direct = direct.filter(f"area_level in ('provincie', 'gemeente') and indicator in ({shown})").project(
        "edition, area_level, area_code, indicator, estimate, ci_lower, ci_upper, n_respondents"
    )
    return (
        _edition_frames(respondents, "edition, resp_id", edition),
        _edition_frames(areas, "edition, area_level, area_code", edition),
        _edition_frames(direct, "edition, area_level, area_code, indicator", edition),
    )


def warehouse_small_area_inputs(conn, edition: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The same frames from a built warehouse (DuckDB connection), for comparisons and benchmarks."""
    return small_area_inputs(conn.table("intermediate.int_small_area_respondents"),
                             conn.table("intermediate.int_small_area_covariates"),
                             conn.table("audit.monitor_area_estimates"), edition)  # fmt: skip


def small_area_table(name: str, respondents, areas, direct, names, edition) -> pd.DataFrame:
    """monitor_small_area_estimates ("estimates") or monitor_small_area_validation ("validation")
    from int_small_area_respondents, int_small_area_covariates, monitor_area_estimates and
    int_area_names (dbt relations)."""
    from monitor.statistics.small_area import small_area_estimates

    people, covariates, estimates = small_area_inputs(respondents, areas, direct, edition)
    result = once("small_area", lambda: small_area_estimates(people, covariates, estimates), people, covariates, estimates)
    if name == "validation":
        return result.validation.reset_index(drop=True)
    labels = _edition_frames(
        names.filter("area_level in ('wijk', 'buurt')").project("edition, area_level, area_code, area_name, gemeente_name, name_source"),
        "edition, area_level, area_code", edition,
    )  # fmt: skip
    return _named(_without_small_direct_figures(result.estimates), labels).reset_index(drop=True)
