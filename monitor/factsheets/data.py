"""The figures of one edition that the factsheets show, read in a handful of queries.

Only the published monitor tables (schema `monitor`) are read, plus the reference seeds for
the region (COROP) of each gemeente and the municipal changes behind a harmonised trend
(the size class within its regio of each gemeente is a column of monitor_area_estimates):
aggregates only, never a respondent row. Everything is gathered up front, so that a caller
can close the warehouse connection before any file is written."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from monitor.maps.boundaries import Boundaries, read_boundaries
from monitor.presentation.labels import REGIO_GROOTTEKLASSE
from monitor.settings import PUBLISHED_SCHEMA

PUBLISHED = PUBLISHED_SCHEMA
HEADLINE = ("veerkracht_score", "pct_veerkrachtig")  # the two resilience figures
SMALL_AREA_LEVELS = ("wijk", "buurt")


def _value(x) -> float | None:
    """A float, or None for NULL/NaN (pandas 3 gives NaN or pd.NA for NULL)."""
    if x is None or x is pd.NA:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _count(x) -> int | None:
    value = _value(x)
    return None if value is None else int(round(value))


def _flag(x) -> bool:
    return bool(x) if x is not None and x is not pd.NA and not (isinstance(x, float) and math.isnan(x)) else False


def _text(x) -> str | None:
    return None if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) else str(x)


@dataclass(frozen=True)
class Figure:
    """One published cell: estimate with its 95 % interval and n, or suppressed with a reason."""

    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    n_respondents: int | None
    suppressed: bool
    reason: str | None = None

    @property
    def shown(self) -> bool:
        return not self.suppressed and self.estimate is not None

    @classmethod
    def from_row(cls, row, estimate: str = "estimate") -> Figure:
        suppressed = _flag(row.get("suppressed")) or _value(row.get(estimate)) is None
        return cls(
            estimate=_value(row.get(estimate)),
            ci_lower=_value(row.get("ci_lower")),
            ci_upper=_value(row.get("ci_upper")),
            n_respondents=_count(row.get("n_respondents")),
            suppressed=suppressed,
            reason=_text(row.get("suppression_reason")),
        )


MISSING = Figure(None, None, None, None, True, "no published figure")  # e.g. a gemeente without respondents


@dataclass(frozen=True)
class Gemeente:
    code: str
    name: str
    region_code: str | None
    region_name: str | None
    size_class: str | None = None  # groot, middelgroot, klein (None: unknown in the edition)
    size_class_code: str | None = None  # its regio_grootteklasse area_code, e.g. CR35_middelgroot
    size_class_peers: int = 0  # gemeenten of the edition in that size class within the regio


@dataclass(frozen=True)
class ProfileCategory:
    """One category of a background characteristic (monitor_profiles): its figures per
    indicator, and its share among the resilient and the less resilient."""

    characteristic: str
    characteristic_label: str
    category: str
    category_label: str
    figures: dict[str, Figure]  # indicator -> estimate in the category
    share_resilient: float | None
    share_less_resilient: float | None
    difference: float | None
    difference_ci_lower: float | None
    difference_ci_upper: float | None
    significant: bool
    composition_suppressed: bool
    composition_reason: str | None


@dataclass(frozen=True)
class TrendRow:
    indicator: str
    edition_from: int
    edition_to: int
    estimate_from: float | None
    estimate_to: float | None
    difference: float | None
    ci_lower: float | None
    ci_upper: float | None
    significant: bool
    n_from: int | None
    n_to: int | None
    comparability: str | None
    suppressed: bool
    reason: str | None

    @property
    def shown(self) -> bool:
        return not self.suppressed and self.difference is not None


@dataclass(frozen=True)
class SmallArea:
    """A wijk or buurt: model estimate with interval (monitor_small_area_estimates)."""

    level: str
    code: str
    indicator: str
    figure: Figure
    inhabitants: int | None
    gemeente_estimate: float | None
    below_gemeente: bool
    flag_basis: str | None = None  # monitor_below_gemeente: respondents, model or both
    direct_estimate: float | None = None  # published from 10 respondents
    name: str | None = None  # the CBS name (area_name; None in a warehouse published before names)

    @property
    def label(self) -> str:
        """The name to show, the code where the area has none."""
        return self.name or self.code


@dataclass(frozen=True)
class Change:
    """A municipal change (reference.gemeente_changes): from_name became (part of) to_code."""

    from_code: str
    from_name: str
    to_code: str
    year: int
    kind: str


@dataclass
class EditionData:
    """Everything the factsheets of one edition show."""

    edition: int
    gemeenten: list[Gemeente]
    province_code: str | None
    area_names: dict[tuple[str, str], str]
    estimates: dict[tuple[str, str, str], Figure]  # (area_level, area_code, indicator)
    typology: dict[tuple[str, str, str], Figure]  # (area_level, area_code, type)
    types: list[str]
    importance: dict[str, tuple[int, float]]  # resource or group -> (rank, importance share %)
    small_areas: dict[str, list[SmallArea]]  # gemeente_code -> wijken and buurten (all indicators)
    flagged: dict[str, list[SmallArea]]  # gemeente_code -> rows of monitor_below_gemeente
    trend: dict[tuple[str, str], list[TrendRow]]  # (area_level, area_code) -> rows to this edition
    previous_edition: int | None
    changes: list[Change]
    published_at: datetime | None
    run_id: str | None
    has_reference: bool = field(default=True)
    profiles: list[ProfileCategory] = field(default_factory=list)  # in the codebook's reporting order
    size_class_names: dict[str, str] = field(default_factory=dict)  # size class -> short Dutch name (seed)
    size_class_areas: dict[str, tuple[str, str]] = field(default_factory=dict)  # regio_grootteklasse -> (regio, size class)
    boundaries: Boundaries | None = None  # monitor_area_boundaries of the edition (None: not read)

    def figure(self, level: str, code: str | None, indicator: str) -> Figure:
        if code is None:
            return MISSING
        return self.estimates.get((level, code, indicator), MISSING)

    def type_share(self, level: str, code: str | None, type_: str) -> Figure:
        if code is None:
            return MISSING
        return self.typology.get((level, code, type_), MISSING)

    def predecessors(self, code: str, edition_from: int, edition_to: int) -> list[Change]:
        """The gemeenten that went into `code` between two editions."""
        return [c for c in self.changes if c.to_code == code and edition_from < c.year <= edition_to]


def _table_exists(conn, schema: str, table: str) -> bool:
    sql = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    return conn.execute(sql, [schema, table]).fetchone()[0] > 0


def _name_columns(conn, table: str) -> str:
    """`area_name` of a small-area table where the warehouse publishes it (warehouses published
    before the names have codes only: then NULL, and the pages show the code)."""
    present = {
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [PUBLISHED, table],
        ).fetchall()
    }
    return "area_name" if "area_name" in present else "null as area_name"


def _gemeenten(conn, edition: int, estimates: pd.DataFrame) -> tuple[list[Gemeente], bool]:
    """The gemeenten of the edition: those of the reference seed that exist in it, plus any
    with published rows; a gemeente without respondents still gets a factsheet."""
    published = (
        estimates.loc[estimates["area_level"] == "gemeente", ["area_code", "area_name"]]
        .drop_duplicates("area_code")
        .set_index("area_code")["area_name"]
    )
    regions: dict[str, tuple[str, str, str]] = {}
    has_reference = _table_exists(conn, "reference", "brabant_gemeenten")
    if has_reference:
        reference = conn.execute(
            """select gemeente_code, gemeente_name, corop_code, corop_name, first_edition, last_edition
               from reference.brabant_gemeenten order by gemeente_code"""
        ).df()
        for row in reference.to_dict("records"):
            first, last = _value(row["first_edition"]), _value(row["last_edition"])
            in_edition = (first is None or first <= edition) and (last is None or edition <= last)
            if in_edition or row["gemeente_code"] in published.index:
                regions[row["gemeente_code"]] = (row["gemeente_name"], row["corop_code"], row["corop_name"])
    codes = sorted(set(regions) | set(published.index))
    size_classes = _size_classes(estimates)
    peers: dict[str, int] = {}
    for _, code in size_classes.values():
        peers[code] = peers.get(code, 0) + 1
    gemeenten = []
    for code in codes:
        name, region_code, region_name = regions.get(code, (None, None, None))
        size_class, size_class_code = size_classes.get(code, (None, None))
        gemeenten.append(
            Gemeente(
                code, published.get(code, name) or code, region_code, region_name,
                size_class, size_class_code, peers.get(size_class_code, 0),
            )
        )
    return gemeenten, has_reference


def _size_classes(estimates: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """gemeente_code -> (size class, regio_grootteklasse code) as monitor_area_estimates
    publishes them, kept only where that code has published rows of its own (so the page
    never names an area it cannot show)."""
    published = set(estimates.loc[estimates["area_level"] == REGIO_GROOTTEKLASSE, "area_code"])
    rows = estimates.loc[estimates["area_level"] == "gemeente", ["area_code", "size_class", "regio_grootteklasse_code"]]
    return {
        gemeente: (size_class, code)
        for gemeente, size_class, code in rows.drop_duplicates("area_code").itertuples(index=False)
        if code in published
    }


def _size_class_areas(estimates: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """regio_grootteklasse code -> (regio code, size class)."""
    rows = estimates.loc[estimates["area_level"] == REGIO_GROOTTEKLASSE, ["area_code", "regio_code", "size_class"]]
    return {code: (regio, size_class) for code, regio, size_class in rows.drop_duplicates("area_code").itertuples(index=False)}


def gather_edition(conn, edition: int) -> EditionData:
    """Read everything the factsheets of `edition` need from the published tables."""
    edition = int(edition)
    estimates = conn.execute(
        f"""select area_level, area_code, area_name, regio_code, size_class, regio_grootteklasse_code,
                   indicator, estimate, ci_lower, ci_upper, n_respondents, suppressed, suppression_reason
            from {PUBLISHED}.monitor_area_estimates where edition = ?
            order by area_level, area_code, indicator""",
        [edition],
    ).df()
    if estimates.empty:
        raise ValueError(f"edition {edition} has no rows in {PUBLISHED}.monitor_area_estimates: nothing to publish")
    gemeenten, has_reference = _gemeenten(conn, edition, estimates)
    typology = conn.execute(
        f"""select area_level, area_code, type, share as estimate, ci_lower, ci_upper, n_respondents,
                   suppressed, suppression_reason
            from {PUBLISHED}.monitor_typology where edition = ? order by area_level, area_code, type""",
        [edition],
    ).df()
    importance = conn.execute(
        f"select resource, rank, importance_share from {PUBLISHED}.monitor_resource_importance where edition = ?",
        [edition],
    ).df()
    small = conn.execute(
        f"""select area_level, area_code, {_name_columns(conn, "monitor_small_area_estimates")}, gemeente_code,
                   indicator, estimate, ci_lower, ci_upper, n_respondents, inhabitants, gemeente_estimate,
                   below_gemeente, suppressed, suppression_reason
            from {PUBLISHED}.monitor_small_area_estimates where edition = ?
            order by gemeente_code, area_level desc, area_code, indicator""",
        [edition],
    ).df()
    flagged = conn.execute(
        f"""select area_level, area_code, {_name_columns(conn, "monitor_below_gemeente")}, gemeente_code,
                   indicator, estimate, ci_lower, ci_upper, n_respondents, inhabitants, gemeente_estimate,
                   flag_basis, direct_estimate
            from {PUBLISHED}.monitor_below_gemeente where edition = ?
            order by gemeente_code, indicator, area_level desc, estimate, area_code""",
        [edition],
    ).df()
    trend = conn.execute(
        f"""select * from {PUBLISHED}.monitor_trend
            where edition_to = ? and area_level in ('provincie', 'regio', 'gemeente')
            order by area_level, area_code, edition_from, indicator""",
        [edition],
    ).df()
    previous = conn.execute(
        f"select max(edition) from {PUBLISHED}.monitor_area_estimates where edition < ?", [edition]
    ).fetchone()[0]
    changes = []
    if _table_exists(conn, "reference", "gemeente_changes"):
        for row in conn.execute(
            "select from_code, from_name, to_code, change_year, kind from reference.gemeente_changes "
            "order by change_year, to_code, from_name"
        ).fetchall():
            changes.append(Change(row[0], row[1], row[2], int(row[3]), str(row[4])))
    if not _table_exists(conn, PUBLISHED, "monitor_profiles"):
        raise ValueError(
            f"{PUBLISHED}.monitor_profiles is missing from the warehouse: publish edition {edition} again "
            "(the factsheets' index shows who is resilient from it)"
        )
    profiles = conn.execute(
        f"""select characteristic, characteristic_label, category, category_label, category_order, indicator,
                   estimate, ci_lower, ci_upper, n_respondents, suppressed, suppression_reason,
                   share_among_resilient, share_among_less_resilient, difference, difference_ci_lower,
                   difference_ci_upper, significant, composition_suppressed, composition_suppression_reason
            from {PUBLISHED}.monitor_profiles where edition = ? and indicator in ({", ".join("?" for _ in HEADLINE)})
            order by category_order, category""",
        [edition, *HEADLINE],
    ).df()
    size_class_names = {}
    if _table_exists(conn, "reference", "size_classes"):
        size_class_names = dict(conn.execute("select size_class, short_label from reference.size_classes order by sort_order").fetchall())
    published_at, run_id = None, None
    if _table_exists(conn, PUBLISHED, "monitor_publication_log"):
        log = conn.execute(
            f"""select published_at, dagster_run_id from {PUBLISHED}.monitor_publication_log
                where edition = ? order by published_at desc limit 1""",
            [edition],
        ).fetchone()
        if log:
            published_at, run_id = log

    provinces = estimates.loc[estimates["area_level"] == "provincie", "area_code"].unique()
    return EditionData(
        edition=edition,
        gemeenten=gemeenten,
        province_code=str(provinces[0]) if len(provinces) else None,
        area_names={
            (r["area_level"], r["area_code"]): r["area_name"]
            for r in estimates[["area_level", "area_code", "area_name"]].drop_duplicates().to_dict("records")
        },
        estimates={
            (r["area_level"], r["area_code"], r["indicator"]): Figure.from_row(r) for r in estimates.to_dict("records")
        },
        typology={
            (r["area_level"], r["area_code"], r["type"]): Figure.from_row(r) for r in typology.to_dict("records")
        },
        types=list(dict.fromkeys(typology["type"])),
        importance={
            r["resource"]: (int(r["rank"]), float(r["importance_share"])) for r in importance.to_dict("records")
        },
        small_areas=_small_areas(small, below_column="below_gemeente"),
        flagged=_small_areas(flagged, below_column=None),
        trend=_trend(trend),
        previous_edition=None if previous is None else int(previous),
        changes=changes,
        published_at=published_at,
        run_id=run_id,
        has_reference=has_reference,
        profiles=_profiles(profiles),
        size_class_names={k: v for k, v in size_class_names.items() if v},
        size_class_areas=_size_class_areas(estimates),
        boundaries=read_boundaries(conn, edition, PUBLISHED),
    )


def _profiles(frame: pd.DataFrame) -> list[ProfileCategory]:
    """One ProfileCategory per characteristic and category, characteristics in the codebook's
    reporting order (one the codebook does not list goes last, shown all the same)."""
    from monitor.codebook import load_codebook

    order = {name: i for i, name in enumerate(load_codebook().profiles.get("characteristics", {}))}
    out: dict[tuple[str, str], ProfileCategory] = {}
    for r in frame.to_dict("records"):
        key = (r["characteristic"], r["category"])
        if key not in out:
            out[key] = ProfileCategory(
                characteristic=r["characteristic"],
                characteristic_label=_text(r.get("characteristic_label")) or r["characteristic"],
                category=r["category"],
                category_label=_text(r.get("category_label")) or r["category"],
                figures={},
                share_resilient=_value(r.get("share_among_resilient")),
                share_less_resilient=_value(r.get("share_among_less_resilient")),
                difference=_value(r.get("difference")),
                difference_ci_lower=_value(r.get("difference_ci_lower")),
                difference_ci_upper=_value(r.get("difference_ci_upper")),
                significant=_flag(r.get("significant")),
                composition_suppressed=_flag(r.get("composition_suppressed")) or _value(r.get("difference")) is None,
                composition_reason=_text(r.get("composition_suppression_reason")),
            )
        out[key].figures[r["indicator"]] = Figure.from_row(r)
    ranked = sorted(enumerate(out.values()), key=lambda item: (order.get(item[1].characteristic, len(order)), item[0]))
    return [category for _, category in ranked]


def _small_areas(frame: pd.DataFrame, below_column: str | None) -> dict[str, list[SmallArea]]:
    out: dict[str, list[SmallArea]] = {}
    for r in frame.to_dict("records"):
        out.setdefault(r["gemeente_code"], []).append(
            SmallArea(
                level=r["area_level"],
                code=r["area_code"],
                indicator=r["indicator"],
                figure=Figure.from_row(r),
                inhabitants=_count(r.get("inhabitants")),
                gemeente_estimate=_value(r.get("gemeente_estimate")),
                below_gemeente=_flag(r[below_column]) if below_column else True,
                flag_basis=r.get("flag_basis"),
                direct_estimate=_value(r.get("direct_estimate")),
                name=_text(r.get("area_name")),
            )
        )
    return out


def _trend(frame: pd.DataFrame) -> dict[tuple[str, str], list[TrendRow]]:
    out: dict[tuple[str, str], list[TrendRow]] = {}
    for r in frame.to_dict("records"):
        out.setdefault((r["area_level"], r["area_code"]), []).append(
            TrendRow(
                indicator=r["indicator"],
                edition_from=int(r["edition_from"]),
                edition_to=int(r["edition_to"]),
                estimate_from=_value(r.get("estimate_from")),
                estimate_to=_value(r.get("estimate_to")),
                difference=_value(r.get("difference")),
                ci_lower=_value(r.get("ci_lower")),
                ci_upper=_value(r.get("ci_upper")),
                significant=_flag(r.get("significant")),
                n_from=_count(r.get("n_from")),
                n_to=_count(r.get("n_to")),
                comparability=_text(r.get("comparability")),
                suppressed=_flag(r.get("suppressed")) or _value(r.get("difference")) is None,
                reason=_text(r.get("suppression_reason")),
            )
        )
    return out
