"""The assessment as a Dutch HTML page in the factsheets' style (their CSS and their
dot-and-interval charts, inline SVG): opens from disk, no script, no network."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from monitor.assessment.assess import HIGHER, LOWER, SIMILAR, SUPPRESSED, Assessment, ResourceAssessment
from monitor.contract import MIN_RESPONDENTS_PER_CELL, MIN_RESPONDENTS_PER_RESOURCE
from monitor.factsheets import charts
from monitor.factsheets import formatting as fmt
from monitor.factsheets.charts import Panel, Point, Row
from monitor.factsheets.render import stylesheet
from monitor.presentation.labels import (
    SUPPRESSED_CELL,
    group_label,
    indicator_label,
    steerability_label,
    suppression_reason_label,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
COMPARISON_TEXT = {
    LOWER: "lager dan de provincie",
    SIMILAR: "niet significant anders",
    HIGHER: "hoger dan de provincie",
    SUPPRESSED: SUPPRESSED_CELL,
}
SCORE_RANGE = (0.0, 10.0)  # every resource scale runs from 0 to 10
LEVEL_WORDS = {"regio": "regio", "regio_grootteklasse": "grootteklasse in de regio"}  # beside a name


@dataclass
class AreaLine:
    code: str
    name: str
    level: str
    estimate: str
    ci: str
    n: str
    comparison: str  # lower, similar, higher, suppressed
    text: str  # the comparison in Dutch (with the reason when suppressed)


@dataclass
class ResourceSection:
    resource: str
    label: str
    group: str
    share: str
    rank: str
    steerability: str  # short or long
    steerability_label: str
    steerability_reason: str
    regio: list[str]  # "West-Noord-Brabant: 7 % (rang 5)" or why not
    province: str
    chart: Markup
    lines: list[AreaLine]
    behind: bool


@dataclass
class AssessmentPage:
    a: Assessment
    areas: str  # the areas in words
    explained: str
    behind: list[str]  # labels
    importance_chart: Markup
    sections: list[ResourceSection]
    published_at: str
    rules: dict = field(default_factory=lambda: {"per_cell": MIN_RESPONDENTS_PER_CELL, "per_resource": MIN_RESPONDENTS_PER_RESOURCE})


def _pct(value: float | None) -> str:
    return fmt.EMPTY if value is None else f"{fmt.number(value, 1)} %"


def _regio_texts(r: ResourceAssessment) -> list[str]:
    texts = []
    for g in r.regio:
        if g.suppressed:
            texts.append(f"{g.regio_name}: niet te bepalen ({suppression_reason_label(g.suppression_reason)})")
        else:
            texts.append(f"{g.regio_name}: {_pct(g.importance_share)} (rang {g.rank})")
    return texts


def _area_line(area) -> AreaLine:
    shown = area.comparison != SUPPRESSED
    text = COMPARISON_TEXT[area.comparison]
    if not shown and area.suppression_reason is not None:
        text = f"{text} ({suppression_reason_label(area.suppression_reason)})"
    return AreaLine(
        area.area_code, area.area_name, area.area_level,
        fmt.number(area.estimate, 1) if shown else "", fmt.interval(area.ci_lower, area.ci_upper, 1) if shown else "",
        fmt.count(area.n_respondents), area.comparison, text,
    )  # fmt: skip


def _resource_chart(a: Assessment, r: ResourceAssessment) -> Markup:
    """Each area's estimate with its 95 % interval against the province (dashed line)."""
    province = r.areas[0].province_estimate if r.areas else None
    rows, values = [], [province] if province is not None else []
    for area in r.areas:
        if area.comparison == SUPPRESSED:
            rows.append(Row(area.area_name, note=f"{SUPPRESSED_CELL}: {suppression_reason_label(area.suppression_reason)}"))
            continue
        title = f"{area.area_name}: {fmt.number(area.estimate, 1)} (95%-BI {fmt.interval(area.ci_lower, area.ci_upper, 1)}; " \
                f"n = {fmt.count(area.n_respondents)}) – {COMPARISON_TEXT[area.comparison]}"
        rows.append(Row(area.area_name, [Point("gebied", area.estimate, area.ci_lower, area.ci_upper, title)],
                        highlight=area.comparison == LOWER))  # fmt: skip
        values += [area.ci_lower, area.ci_upper]
    domain, ticks = charts.nice_scale(values, *SCORE_RANGE)
    reference = (province, f"{a.province_name} {fmt.number(province, 1)}") if province is not None else None
    panel = Panel("", rows, domain, ticks, axis_label=f"{r.label}, score (0–10)", reference=reference,
                  tick_format=lambda v: fmt.number(v, 1))  # fmt: skip
    label = f"{r.label}: score per gebied met 95%-interval tegenover {a.province_name}; rood = significant lager"
    return Markup(charts.interval_chart([panel], aria_label=label, legend=["gebied"] if any(x.points for x in rows) else []))


def _importance_chart(a: Assessment) -> Markup:
    """The share of every resource in the province (targeted ones marked) and, where n allows,
    in the project's regio(s)."""
    targeted = {r.resource: r for r in a.resources}
    rows = []
    for name, share, _ in a.importance:
        points = [Point("provincie", share, title=f"{a.province_name}: {_pct(share)}")]
        for g in targeted[name].regio if name in targeted else []:
            if not g.suppressed:
                points.append(Point("regio", g.importance_share, title=f"{g.regio_name}: {_pct(g.importance_share)} (rang {g.rank})"))
        rows.append(Row(indicator_label(name), points, mark=name in targeted, heading=name in targeted))
    values = [p.estimate for row in rows for p in row.points]
    domain, ticks = charts.nice_scale(values, 0.0, 100.0, include=(0.0,))
    panel = Panel("", rows, domain, ticks, axis_label="aandeel in de verklaarde variantie van de veerkrachtscore (%)",
                  tick_format=lambda v: fmt.number(v, 0))  # fmt: skip
    series = ["provincie", *(["regio"] if any(len(row.points) > 1 for row in rows) else [])]
    return Markup(charts.interval_chart([panel], aria_label="Belang van elke hulpbron voor veerkracht; de hulpbronnen "
                                        "van het project gemarkeerd", legend=series, row_height=20))  # fmt: skip


def assessment_page(a: Assessment) -> AssessmentPage:
    names = [f"{name} ({LEVEL_WORDS[level]})" if level in LEVEL_WORDS else name for _, name, level in a.areas]
    sections = [
        ResourceSection(
            r.resource, r.label, group_label(r.resource_group), _pct(r.importance_share), f"{r.rank} van {a.resource_count}",
            r.steerability, steerability_label(r.steerability), r.steerability_reason, _regio_texts(r),
            fmt.number(r.areas[0].province_estimate, 1) if r.areas and r.areas[0].province_estimate is not None else fmt.EMPTY,
            _resource_chart(a, r), [_area_line(x) for x in r.areas], r.behind,
        )  # fmt: skip
        for r in a.resources
    ]
    return AssessmentPage(
        a, ", ".join(names), _pct(a.explained_share), [indicator_label(name) for name in a.behind],
        _importance_chart(a), sections, fmt.moment(a.published_at),
    )  # fmt: skip


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
    )


def render_assessment(page: AssessmentPage) -> str:
    return _environment().get_template("assessment.html.j2").render(page=page, css=stylesheet())
