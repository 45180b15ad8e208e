"""Assess a project against one published edition (methodology section 11), from the published
tables alone (schema monitor, as in published.duckdb), so that anyone can redo it:

- per targeted resource its `importance_share` and `rank` in the province
  (monitor_resource_importance, level resource), and in the regio of each of the project's
  areas where n allows (monitor_resource_importance_regio; a suppressed regio says why);
- its steerability (monitor_resource_steerability: the seed resource_steerability as published);
- per area the direct estimate of the resource with its 95 % interval against the province
  estimate (monitor_area_estimates): `lower` when the interval lies wholly below it, `higher`
  when wholly above, else `similar`; a suppressed cell is `suppressed`, without figures;
- `explained_share`: the sum of the targeted resources' importance shares (% of the explained
  variance of veerkracht_score they carry), and `behind`: the targeted resources on which at
  least one area is `lower`.

Whether the project's edition, areas and resources exist is checked here, against what was
published (ProjectFileError naming the file, the key and the valid values)."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from datetime import datetime

from monitor.assessment.project import Project, ProjectFileError
from monitor.presentation.labels import indicator_label
from monitor.settings import PUBLISHED_SCHEMA as SCHEMA

# area levels a project may name, as in monitor_area_estimates
AREA_LEVELS = ("gemeente", "regio", "regio_grootteklasse")
LOWER, SIMILAR, HIGHER, SUPPRESSED = "lower", "similar", "higher", "suppressed"
COMPARISONS = (LOWER, SIMILAR, HIGHER, SUPPRESSED)
STEERABILITY = ("short", "long")
# the published tables an assessment reads (the Dagster asset declares them as its inputs)
READS = (
    "monitor_area_estimates",
    "monitor_resource_importance",
    "monitor_resource_importance_regio",
    "monitor_resource_steerability",
    "monitor_publication_log",
)


def _number(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class AreaScore:
    """One area's figure on one resource against the province."""

    area_code: str
    area_name: str
    area_level: str
    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    n_respondents: int | None
    province_estimate: float | None
    comparison: str  # lower, similar, higher or suppressed
    suppression_reason: str | None = None


@dataclass(frozen=True)
class RegioImportance:
    """The resource's importance among the respondents of one regio, or why n does not allow it."""

    regio_code: str
    regio_name: str
    importance_share: float | None
    rank: int | None
    n_respondents: int | None
    suppressed: bool
    suppression_reason: str | None = None


@dataclass(frozen=True)
class ResourceAssessment:
    resource: str
    label: str
    resource_group: str
    importance_share: float
    rank: int
    steerability: str  # short or long
    steerability_reason: str
    areas: list[AreaScore]
    regio: list[RegioImportance] = field(default_factory=list)

    @property
    def behind(self) -> bool:
        return any(a.comparison == LOWER for a in self.areas)


@dataclass(frozen=True)
class Assessment:
    project: Project
    edition: int
    province_code: str
    province_name: str
    areas: list[tuple[str, str, str]]  # (code, name, level), as listed in the project
    resources: list[ResourceAssessment]
    resource_count: int  # resources in the regression (the ranks run from 1 to this)
    published_at: datetime | None
    dagster_run_id: str | None
    importance: list[tuple[str, float, int]] = field(default_factory=list)  # every resource: (name, share, rank), by rank
    regio_note: str = ""  # why no regio importance is shown, if none is

    @property
    def explained_share(self) -> float:
        return sum(r.importance_share for r in self.resources)

    @property
    def behind(self) -> list[str]:
        return [r.resource for r in self.resources if r.behind]


def compare(estimate: float | None, ci_lower: float | None, ci_upper: float | None, province: float | None,
            suppressed: bool) -> str:  # fmt: skip
    """lower / higher when the area's 95 % interval lies wholly below / above the province
    estimate, similar otherwise; suppressed when the area (or the province) has no figure."""
    if suppressed or estimate is None or ci_lower is None or ci_upper is None or province is None:
        return SUPPRESSED
    if ci_upper < province:
        return LOWER
    if ci_lower > province:
        return HIGHER
    return SIMILAR


# -- reading what was published ------------------------------------------------------------


def _tables(conn) -> set[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables where table_schema = ?", [SCHEMA]
    ).fetchall()
    return {r[0] for r in rows}


def published_editions(conn) -> dict[int, tuple[datetime, str]]:
    """Every published edition with the time and Dagster run of its latest publication."""
    if "monitor_publication_log" not in _tables(conn):
        return {}
    rows = conn.execute(
        f"""select edition, max(published_at), arg_max(dagster_run_id, published_at)
            from {SCHEMA}.monitor_publication_log group by edition order by edition"""
    ).fetchall()
    return {int(e): (at, run) for e, at, run in rows}


def _edition(conn, project: Project, edition: int | None) -> int:
    editions = published_editions(conn)
    wanted = edition if edition is not None else project.edition
    if not editions:
        raise ProjectFileError(project.path, "edition", "no edition is published yet; run `monitor refresh` first")
    if wanted is None:
        return max(editions)
    if wanted not in editions:
        key = "edition" if edition is None else "edition (--edition)"
        raise ProjectFileError(project.path, key, f"{wanted} is not published; published editions: "
                               f"{', '.join(str(e) for e in editions)}")  # fmt: skip
    return wanted


def _suggestion(value: str, valid: list[str], labels: dict[str, str] | None = None) -> str:
    """' (did you mean X?)' for a near miss of a valid name, or of its Dutch label ('geluk' ->
    happiness), else ''."""
    by_text = {v.lower(): v for v in valid} | {label.lower(): v for v, label in (labels or {}).items()}
    close = difflib.get_close_matches(value.lower(), list(by_text), n=1, cutoff=0.6)
    return f" (did you mean {by_text[close[0]]}?)" if close else ""


def _areas(conn, project: Project, edition: int) -> list[tuple[str, str, str, str | None]]:
    """The project's areas as (code, name, level, regio_code), refused when unknown."""
    rows = conn.execute(
        f"""select distinct area_code, area_name, area_level, regio_code from {SCHEMA}.monitor_area_estimates
            where edition = ? and area_level in ({', '.join("'" + lv + "'" for lv in AREA_LEVELS)})
            order by area_level, area_code""",
        [edition],
    ).fetchall()
    known = {code: (code, name, level, regio) for code, name, level, regio in rows}
    by_folded = {code.lower(): code for code in known}  # gm0855 and cr35_KLEIN are meant as GM0855, CR35_klein
    unknown = [code for code in project.areas if code.lower() not in by_folded]
    if unknown:
        by_level = {lv: [c for c, (_, _, level, _) in known.items() if level == lv] for lv in AREA_LEVELS}
        valid = "; ".join(f"{lv}: {', '.join(codes)}" for lv, codes in by_level.items() if codes)
        raise ProjectFileError(
            project.path, "areas",
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a gemeente, regio or regio_grootteklasse code "
            f"of edition {edition}{_suggestion(unknown[0], list(known))}; valid codes: {valid}",
        )  # fmt: skip
    return [known[by_folded[code.lower()]] for code in project.areas]


def _importance(conn, project: Project, edition: int) -> dict[str, tuple[str, float, int]]:
    rows = conn.execute(
        f"""select resource, resource_group, importance_share, rank from {SCHEMA}.monitor_resource_importance
            where edition = ? and level = 'resource' order by rank""",
        [edition],
    ).fetchall()
    importance = {r: (group, float(share), int(rank)) for r, group, share, rank in rows}
    unknown = [r for r in project.resources if r not in importance]
    if unknown:
        raise ProjectFileError(
            project.path, "resources",
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a resource scale of the monitor"
            f"{_suggestion(unknown[0], list(importance), {r: indicator_label(r) for r in importance})}; "
            f"valid resources: {', '.join(sorted(importance))}",
        )  # fmt: skip
    return importance


def _steerability(conn, project: Project, edition: int) -> dict[str, tuple[str, str]]:
    if "monitor_resource_steerability" not in _tables(conn):
        raise ProjectFileError(project.path, "edition", f"edition {edition} was published without "
                               "monitor_resource_steerability; refresh it (`monitor refresh --edition "
                               f"{edition}`) to publish the steerability of the resources")  # fmt: skip
    rows = conn.execute(
        f"select resource, steerability, reason from {SCHEMA}.monitor_resource_steerability where edition = ?", [edition]
    ).fetchall()
    return {r: (s, reason) for r, s, reason in rows}


def _regio_importance(conn, edition: int, regios: list[str]) -> tuple[dict[str, list[RegioImportance]], str]:
    """Per resource the importance in each of `regios`, and a note when there is none to show."""
    if not regios:
        return {}, ""
    if "monitor_resource_importance_regio" not in _tables(conn):
        return {}, f"de belangrijkheid per regio is voor editie {edition} niet gepubliceerd"
    rows = conn.execute(
        f"""select resource, regio_code, regio_name, importance_share, rank, n_respondents, suppressed, suppression_reason
            from {SCHEMA}.monitor_resource_importance_regio
            where edition = ? and level = 'resource' and regio_code in (select unnest(?)) order by regio_code""",
        [edition, regios],
    ).fetchall()
    out: dict[str, list[RegioImportance]] = {}
    for resource, code, name, share, rank, n, suppressed, reason in rows:
        out.setdefault(resource, []).append(
            RegioImportance(code, name, None if suppressed else _number(share), None if suppressed or rank is None else int(rank),
                            None if n is None else int(n), bool(suppressed), reason)
        )  # fmt: skip
    return out, ""


def _scores(conn, edition: int, resources: list[str], codes: list[str]) -> dict[tuple[str, str], tuple]:
    """(area_code, indicator) -> (estimate, ci_lower, ci_upper, n, suppressed, reason), the
    province's included."""
    rows = conn.execute(
        f"""select area_code, indicator, estimate, ci_lower, ci_upper, n_respondents, suppressed, suppression_reason
            from {SCHEMA}.monitor_area_estimates
            where edition = ? and indicator in (select unnest(?))
              and (area_code in (select unnest(?)) or area_level = 'provincie')""",
        [edition, resources, codes],
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def assess(conn, project: Project, edition: int | None = None) -> Assessment:
    """The assessment of `project` against the published edition (`edition` overrides the
    file's; neither: the latest published). `conn` reads schema monitor."""
    year = _edition(conn, project, edition)
    areas = _areas(conn, project, year)
    importance = _importance(conn, project, year)
    steerability = _steerability(conn, project, year)
    province_code, province_name = conn.execute(
        f"select area_code, area_name from {SCHEMA}.monitor_area_estimates where edition = ? and area_level = 'provincie' limit 1",
        [year],
    ).fetchone()
    regios = list(dict.fromkeys(regio for _, _, _, regio in areas if regio))
    regio, regio_note = _regio_importance(conn, year, regios)
    scores = _scores(conn, year, list(project.resources), [a[0] for a in areas])
    published_at, run_id = published_editions(conn)[year]
    resources = []
    for name in project.resources:
        group, share, rank = importance[name]
        province = scores.get((province_code, name))
        province_estimate = None if province is None or province[4] else _number(province[0])
        area_scores = []
        for code, area_name, level, _ in areas:
            estimate, lower, upper, n, suppressed, reason = scores.get((code, name), (None,) * 4 + (True, "no published figure"))
            shown = not suppressed
            area_scores.append(AreaScore(
                code, area_name, level,
                _number(estimate) if shown else None, _number(lower) if shown else None, _number(upper) if shown else None,
                None if n is None else int(n), province_estimate,
                compare(_number(estimate), _number(lower), _number(upper), province_estimate, bool(suppressed)),
                None if shown else (reason or None),
            ))  # fmt: skip
        steer, why = steerability.get(name, ("long", "geen stuurbaarheid gepubliceerd"))
        resources.append(ResourceAssessment(name, indicator_label(name), group, share, rank, steer, why, area_scores,
                                            regio.get(name, [])))  # fmt: skip
    return Assessment(
        project=project, edition=year, province_code=province_code, province_name=province_name,
        areas=[(code, name, level) for code, name, level, _ in areas], resources=resources,
        resource_count=len(importance), published_at=published_at, dagster_run_id=run_id, regio_note=regio_note,
        importance=[(name, share, rank) for name, (_, share, rank) in importance.items()],
    )  # fmt: skip


def to_json(assessment: Assessment) -> dict:
    """The assessment as its JSON contract (keys users script against; see the README)."""
    return {
        "name": assessment.project.name,
        "edition": assessment.edition,
        "areas": [code for code, _, _ in assessment.areas],
        "explained_share": assessment.explained_share,
        "behind": assessment.behind,
        "resources": [
            {
                "resource": r.resource,
                "resource_label": r.label,
                "resource_group": r.resource_group,
                "importance_share": r.importance_share,
                "rank": r.rank,
                "steerability": r.steerability,
                "steerability_reason": r.steerability_reason,
                "areas": [
                    {
                        "area_code": a.area_code,
                        "area_name": a.area_name,
                        "area_level": a.area_level,
                        "estimate": a.estimate,
                        "ci_lower": a.ci_lower,
                        "ci_upper": a.ci_upper,
                        "n_respondents": a.n_respondents,
                        "province_estimate": a.province_estimate,
                        "comparison": a.comparison,
                        **({"suppression_reason": a.suppression_reason} if a.comparison == SUPPRESSED else {}),
                    }
                    for a in r.areas
                ],
                "regio_importance": [
                    {
                        "regio_code": g.regio_code,
                        "regio_name": g.regio_name,
                        "importance_share": g.importance_share,
                        "rank": g.rank,
                        "n_respondents": g.n_respondents,
                        "suppressed": g.suppressed,
                        **({"suppression_reason": g.suppression_reason} if g.suppressed else {}),
                    }
                    for g in r.regio
                ],
            }
            for r in assessment.resources
        ],
        "area_names": {code: name for code, name, _ in assessment.areas},
        "province": {"code": assessment.province_code, "name": assessment.province_name},
        "resource_count": assessment.resource_count,
        "project_file": str(assessment.project.path),
        "published_at": assessment.published_at.isoformat() if assessment.published_at else None,
        "dagster_run_id": assessment.dagster_run_id,
        "sources": [f"{SCHEMA}.{table}" for table in READS],
    }
