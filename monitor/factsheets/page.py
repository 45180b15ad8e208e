"""What one factsheet (and the index) shows, section by section: figures formatted, charts
drawn, suppressed cells explained. Pure functions of EditionData; the templates only lay out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from statistics import NormalDist

from markupsafe import Markup

from monitor.codebook import load_codebook
from monitor.factsheets import charts
from monitor.factsheets import formatting as fmt
from monitor.factsheets.charts import Panel, Point, Row
from monitor.factsheets.data import HEADLINE, EditionData, Figure, Gemeente, ProfileCategory, SmallArea, TrendRow
from monitor.factsheets.maps import MapFigure, gemeente_maps, missing_notes, province_maps
from monitor.presentation.flagged import (
    FLAGGED_SHORT,
    flagged_areas,
    flagged_count_words,
    flagged_definition,
    flagged_phrase,
)
from monitor.presentation.labels import (
    FLAG_BASIS,
    MIN_RESPONDENTS_TEXT,
    REGIO_GROOTTEKLASSE,
    SUPPRESSED_CELL,
    SUPPRESSED_EXPLANATION,
    area_level_label,
    group_label,
    indicator_label,
    indicator_scale,
    is_percentage,
    suppression_reason_label,
    type_label,
)
from monitor.statistics.small_area import (
    DEFAULT_FLAG_RULE,
    DIRECT_RELEVANT_GAP,
    DIRECT_Z,
    MIN_DIRECT_RESPONDENTS,
    RELEVANT_GAP,
)

TREND_MAIN = ("veerkracht_score", "pct_veerkrachtig", "veranderbereidheid", "persoonlijk", "sociaal", "omgeving")
COMPARABILITY = {
    "same boundaries": "Zelfde gemeentegrenzen in beide edities.",
}
def reason_text(reason: str | None) -> str:
    """The reason for a suppressed cell, in Dutch."""
    return suppression_reason_label(reason)


def _range(indicator: str) -> tuple[float, float]:
    return (0.0, 100.0) if is_percentage(indicator) else (0.0, 10.0)


def _ticks(ticks: list[float], sign: bool = False):
    """Tick labels with as few decimals as the ticks need (6,75 and 7 on one axis: 6,75 and 7,00)."""
    digits = next((d for d in range(4) if all(abs(round(t, d) - t) < 1e-9 for t in ticks)), 3)
    return (lambda v: fmt.signed(v, digits)) if sign else (lambda v: fmt.number(v, digits))


@dataclass
class Cell:
    """A formatted figure: estimate, interval, n; or the reason it is not shown."""

    shown: bool
    estimate: str = ""
    ci: str = ""
    n: str = ""
    note: str = ""
    unit: str = ""

    @classmethod
    def of(cls, figure: Figure, indicator: str, digits: int | None = None) -> Cell:
        digits = fmt.decimals(indicator) if digits is None else digits
        if not figure.shown:
            return cls(False, note=f"{SUPPRESSED_CELL} ({reason_text(figure.reason)})")
        return cls(
            True,
            estimate=fmt.number(figure.estimate, digits),
            ci=fmt.interval(figure.ci_lower, figure.ci_upper, digits),
            n=fmt.count(figure.n_respondents),
            unit="%" if is_percentage(indicator) else "",
        )


def _point(series: str, figure: Figure, indicator: str, who: str, digits: int | None = None) -> Point:
    digits = fmt.decimals(indicator) if digits is None else digits
    n = f"; n = {fmt.count(figure.n_respondents)}" if figure.n_respondents is not None else ""
    title = (
        f"{who}: {fmt.number(figure.estimate, digits)} "
        f"(95%-BI {fmt.interval(figure.ci_lower, figure.ci_upper, digits)}{n})"
    )
    return Point(series, figure.estimate, figure.ci_lower, figure.ci_upper, title)


def _row(
    label: str, figures: list[tuple[str, Figure, str]], indicator: str, heading: bool = False, digits: int | None = None
) -> Row:
    """A chart row: a point per series that is shown; when none is, the reason as the row's note."""
    points = [_point(s, f, indicator, who, digits) for s, f, who in figures if f.shown]
    if not points:
        return Row(label, note=f"{SUPPRESSED_CELL}: {reason_text(figures[0][1].reason)}", heading=heading)
    return Row(label, points, heading=heading)


def _scale(
    figures: list[Figure], indicator: str, include: tuple[float, ...] = ()
) -> tuple[tuple[float, float], list[float]]:
    values = [v for f in figures if f.shown for v in (f.ci_lower, f.ci_upper, f.estimate) if v is not None]
    lower, upper = _range(indicator)
    return charts.nice_scale(values, lower, upper, include=include)


def _figure_html(svg: str) -> Markup:
    return Markup(svg)


# -- sections ------------------------------------------------------------------------------


@dataclass
class AreaRow:
    level: str
    level_label: str
    name: str
    cells: dict[str, Cell]


@dataclass
class Comparison:
    indicator: str
    text: str


@dataclass
class Resilience:
    rows: list[AreaRow]
    chart: Markup
    comparisons: list[Comparison]
    indicators: list[tuple[str, str]]  # (indicator, label)
    size_class_note: str = ""  # why the gemeente is not compared with its size class, when it is not


@dataclass(frozen=True)
class SizeClassArea:
    """The gemeente's own size class within its own regio (area_level regio_grootteklasse)."""

    code: str  # e.g. CR35_middelgroot
    name: str  # the published area_name, e.g. 'Noordoost-Noord-Brabant, middelgrote gemeenten'
    phrase: str  # in a sentence: 'de middelgrote gemeenten in Noordoost-Noord-Brabant'
    short: str  # 'middelgrote gemeenten'
    peers: int  # gemeenten in it (the gemeente itself included)
    region: str = ""  # 'Noordoost-Noord-Brabant'

    @property
    def chart_label(self) -> str:
        """Short enough for a chart's row label: 'Middelgrote gemeenten in regio'."""
        return f"{self.short[:1].upper()}{self.short[1:]} in regio"


def size_class_area(data: EditionData, g: Gemeente) -> SizeClassArea | None:
    if not g.size_class_code:
        return None
    region = data.area_names.get(("regio", g.region_code), g.region_name or g.region_code or "de regio")
    short = data.size_class_names.get(g.size_class, g.size_class or "")
    name = data.area_names.get((REGIO_GROOTTEKLASSE, g.size_class_code), f"{region}, {short}")
    return SizeClassArea(g.size_class_code, name, f"de {short} in {region}", short, g.size_class_peers, region)


def _alone_note(g: Gemeente, peers: SizeClassArea) -> str:
    """A gemeente that is its regio's only member of its size class is its own comparison."""
    if peers.peers != 1:
        return ""
    return (
        f"{g.name} is in {peers.region} de enige gemeente in de grootteklasse ‘{peers.short}’: het cijfer van de "
        "grootteklasse in de regio is dat van de gemeente zelf; daarom geen vergelijking ermee."
    )


def _comparison(name: str, gem: Figure, other: Figure, other_name: str, indicator: str) -> str | None:
    if not (gem.shown and other.shown):
        return None
    digits = fmt.decimals(indicator)
    if gem.ci_lower is not None and other.estimate < gem.ci_lower:
        verdict = f"hoger dan {other_name} ({fmt.number(other.estimate, digits)})"
    elif gem.ci_upper is not None and other.estimate > gem.ci_upper:
        verdict = f"lager dan {other_name} ({fmt.number(other.estimate, digits)})"
    else:
        return (
            f"{indicator_label(indicator)}: geen duidelijk verschil met {other_name} "
            f"({fmt.number(other.estimate, digits)} ligt binnen het 95%-interval van {name})."
        )
    return f"{indicator_label(indicator)}: {name} scoort duidelijk {verdict}; dat cijfer ligt buiten het 95%-interval van de gemeente."


def resilience(data: EditionData, g: Gemeente) -> Resilience:
    province_name = data.area_names.get(("provincie", data.province_code), "Noord-Brabant")
    areas = [("gemeente", g.code, g.name)]
    if g.region_code:
        areas.append(
            ("regio", g.region_code, data.area_names.get(("regio", g.region_code), g.region_name or g.region_code))
        )
    peers = size_class_area(data, g)
    if peers:
        areas.append((REGIO_GROOTTEKLASSE, peers.code, peers.name))
    areas.append(("provincie", data.province_code, province_name))
    rows = [
        AreaRow(
            level, area_level_label(level), name, {ind: Cell.of(data.figure(level, code, ind), ind) for ind in HEADLINE}
        )
        for level, code, name in areas
    ]
    panels = []
    for ind in HEADLINE:
        figures = [data.figure(level, code, ind) for level, code, _ in areas]
        domain, ticks = _scale(figures, ind)
        chart_rows = [
            _row(peers.chart_label if level == REGIO_GROOTTEKLASSE else name, [(level, f, name)], ind)
            for (level, _, name), f in zip(areas, figures)
        ]
        panels.append(
            Panel(indicator_label(ind), chart_rows, domain, ticks, axis_label=indicator_scale(ind), tick_format=_ticks(ticks))
        )
    chart = charts.interval_chart(
        panels,
        aria_label=f"Veerkrachtscore en percentage veerkrachtig van {g.name} met 95%-betrouwbaarheidsinterval, "
        f"tegenover de regio" + (f", {peers.phrase}" if peers else "") + " en de provincie",
        legend=[level for level, _, _ in areas],
    )
    note = _alone_note(g, peers) if peers else ""
    comparisons = []
    for ind in HEADLINE:
        gem = data.figure("gemeente", g.code, ind)
        if peers and not note:
            text = _comparison(g.name, gem, data.figure(REGIO_GROOTTEKLASSE, peers.code, ind), peers.phrase, ind)
            if text:
                comparisons.append(Comparison(ind, text))
        text = _comparison(g.name, gem, data.figure("provincie", data.province_code, ind), "de provincie", ind)
        if text:
            comparisons.append(Comparison(ind, text))
    if not peers:
        note = f"Voor {g.name} is geen grootteklasse binnen de regio gepubliceerd; de vergelijking ontbreekt daarom."
    return Resilience(rows, _figure_html(chart), comparisons, [(i, indicator_label(i)) for i in HEADLINE], note)


@dataclass
class ResourceRow:
    indicator: str
    label: str
    group: bool
    gemeente: Cell
    provincie: Cell
    importance: str
    peers: Cell | None = None  # the size class within the regio


@dataclass
class Resources:
    rows: list[ResourceRow]
    chart: Markup
    groups_sentence: str
    peers: SizeClassArea | None = None


def resources(data: EditionData, g: Gemeente) -> Resources:
    codebook = load_codebook()
    rank = lambda name: data.importance.get(name, (999, 0.0))[0]  # noqa: E731
    peers = size_class_area(data, g)
    rows, chart_rows, figures = [], [], []
    for group in codebook.resource_groups:
        scales = sorted((s.name for s in codebook.scales_in_group(group)), key=lambda s: (rank(s), s))
        for name, is_group in [(group, True), *[(s, False) for s in scales]]:
            gem, prov = data.figure("gemeente", g.code, name), data.figure("provincie", data.province_code, name)
            peer = data.figure(REGIO_GROOTTEKLASSE, peers.code, name) if peers else None
            figures += [gem, prov] + ([peer] if peer else [])
            share = data.importance.get(name)
            rows.append(
                ResourceRow(
                    name,
                    group_label(name) if is_group else indicator_label(name),
                    is_group,
                    Cell.of(gem, name),
                    Cell.of(prov, name),
                    f"{fmt.number(share[1], 0)} %" if share else fmt.EMPTY,
                    Cell.of(peer, name) if peer else None,
                )
            )
            series = [("gemeente", gem, g.name)]
            if peer:
                series.append((REGIO_GROOTTEKLASSE, peer, peers.name))
            series.append(("provincie", prov, "Noord-Brabant"))
            chart_rows.append(_row(rows[-1].label, series, name, heading=is_group))
    domain, ticks = _scale(figures, "persoonlijk")
    chart = charts.interval_chart(
        [Panel("", chart_rows, domain, ticks, axis_label="score (0–10)", tick_format=_ticks(ticks))],
        aria_label=f"Hulpbronnen van {g.name} tegenover "
        + (f"{peers.phrase} en " if peers else "")
        + "Noord-Brabant: score per hulpbron en groep met 95%-interval",
        legend=["gemeente", *([REGIO_GROOTTEKLASSE] if peers else []), "provincie"],
        row_height=24 if peers else 20,
    )
    groups = sorted((data.importance[gr], gr) for gr in codebook.resource_groups if gr in data.importance)
    sentence = ""
    if groups:
        parts = [f"{group_label(gr).lower()} ({fmt.number(share, 0)} %)" for (_, share), gr in groups]
        sentence = (
            f"In Noord-Brabant hangen {parts[0]} het sterkst samen met veerkracht"
            + (f", gevolgd door {' en '.join(parts[1:])}" if len(parts) > 1 else "")
            + " (aandeel in de verklaarde variantie van de veerkrachtscore)."
        )
    return Resources(rows, _figure_html(chart), sentence, peers)


@dataclass
class TypeRow:
    type: str
    label: str
    gemeente: Cell
    provincie: Cell


@dataclass
class Typology:
    rows: list[TypeRow]
    chart: Markup | None
    n: str
    threshold: str


def typology(data: EditionData, g: Gemeente) -> Typology:
    rows, chart_rows, figures, n = [], [], [], None
    for t in data.types:
        gem, prov = data.type_share("gemeente", g.code, t), data.type_share("provincie", data.province_code, t)
        figures += [gem, prov]
        n = n or (gem.n_respondents if gem.shown else None)
        rows.append(TypeRow(t, type_label(t), Cell.of(gem, "share", 0), Cell.of(prov, "share", 0)))
        chart_rows.append(
            _row(type_label(t), [("gemeente", gem, g.name), ("provincie", prov, "Noord-Brabant")], "share", digits=0)
        )
    chart = None
    if rows:
        domain, ticks = charts.nice_scale(
            [v for f in figures if f.shown for v in (f.ci_lower, f.ci_upper)], 0.0, 100.0, include=(0.0,)
        )
        chart = _figure_html(
            charts.interval_chart(
                [
                    Panel(
                        "",
                        chart_rows,
                        domain,
                        ticks,
                        axis_label="aandeel van de inwoners (%)",
                        tick_format=_ticks(ticks),
                    )
                ],
                aria_label=f"Typologie: aandeel van de vier typen in {g.name} en in Noord-Brabant, met 95%-interval",
                legend=["gemeente", "provincie"],
            )
        )
    threshold = fmt.number(load_codebook().typology.get("change_threshold", 5.0), 1)
    return Typology(rows, chart, fmt.count(n) if n else "", threshold)


@dataclass
class TrendLine:
    indicator: str
    label: str
    shown: bool
    estimate_from: str = ""
    estimate_to: str = ""
    difference: str = ""
    ci: str = ""
    significant: bool = False
    n: str = ""
    province: str = ""
    note: str = ""


@dataclass
class Trend:
    status: str  # "geen-vorige-editie", "geen-cijfers", "cijfers"
    message: str = ""
    edition_from: int | None = None
    main: list[TrendLine] = field(default_factory=list)
    other: list[TrendLine] = field(default_factory=list)
    chart: Markup | None = None
    comparability: str = ""
    significant_count: int = 0  # among `main`: the rows of the table on the page (the key figure counts these)
    other_significant: int = 0  # among `other`: the resources, in a table the reader opens

    @property
    def main_labels(self) -> str:
        """The indicators of the main table in words: 'Veerkrachtscore, ... en Omgevingshulpbronnen'."""
        labels = [line.label for line in self.main]
        return " en ".join(labels) if len(labels) <= 2 else ", ".join(labels[:-1]) + " en " + labels[-1]


def _trend_line(row: TrendRow, province: TrendRow | None) -> TrendLine:
    ind = row.indicator
    label = indicator_label(ind)
    if not row.shown:
        return TrendLine(ind, label, False, note=f"{SUPPRESSED_CELL} ({reason_text(row.reason)})")
    d, dd = fmt.decimals(ind), fmt.decimals(ind, difference=True)
    prov = ""
    if province is not None and province.shown:
        prov = f"{fmt.signed(province.difference, dd)}" + (" (significant)" if province.significant else "")
    return TrendLine(
        ind,
        label,
        True,
        estimate_from=fmt.number(row.estimate_from, d),
        estimate_to=fmt.number(row.estimate_to, d),
        difference=fmt.signed(row.difference, dd),
        ci=fmt.interval(row.ci_lower, row.ci_upper, dd, sign=True),
        significant=row.significant,
        n=f"{fmt.count(row.n_from)} → {fmt.count(row.n_to)}",
        province=prov,
    )


def _comparability(data: EditionData, g: Gemeente, rows: list[TrendRow]) -> str:
    values = {r.comparability for r in rows if r.comparability}
    edition_from, edition_to = rows[0].edition_from, rows[0].edition_to
    notes = []
    for value in sorted(values):
        if value.startswith("harmonised"):
            before = data.predecessors(g.code, edition_from, edition_to)
            names = [c.from_name + (" (deels)" if c.kind != "merger" else "") for c in before]
            if names:
                listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]
                how = (
                    "ontstaan uit de fusie van"
                    if all(c.kind == "merger" for c in before)
                    else "gewijzigd door een herindeling met"
                )
                notes.append(
                    f"Let op: {g.name} is tussen {edition_from} en {edition_to} {how} {listed}. "
                    f"De cijfers van {edition_from} zijn herberekend op de grenzen van {edition_to}: "
                    "de respondenten van toen zijn ingedeeld bij de huidige gemeente."
                )
            else:
                notes.append(
                    f"Let op: de gemeentegrenzen zijn tussen {edition_from} en {edition_to} gewijzigd. "
                    f"De cijfers van {edition_from} zijn herberekend op de grenzen van {edition_to}."
                )
        else:
            notes.append(COMPARABILITY.get(value, value))
    return " ".join(notes)


def trend(data: EditionData, g: Gemeente) -> Trend:
    if data.previous_edition is None:
        return Trend(
            "geen-vorige-editie",
            f"Geen vorige editie: {data.edition} is de eerste editie in de monitor, er is nog niets "
            "om mee te vergelijken.",
        )
    rows = data.trend.get(("gemeente", g.code), [])
    if not rows:
        return Trend(
            "geen-cijfers",
            f"Geen vergelijking met {data.previous_edition}: voor {g.name} zijn geen trendcijfers gepubliceerd.",
            edition_from=data.previous_edition,
        )
    edition_from = max(r.edition_from for r in rows)
    rows = [r for r in rows if r.edition_from == edition_from]
    province = {
        r.indicator: r for r in data.trend.get(("provincie", data.province_code), []) if r.edition_from == edition_from
    }
    by_indicator = {r.indicator: r for r in rows}
    main_names = [i for i in TREND_MAIN if i in by_indicator]
    other_names = [i for i in load_codebook().indicators if i in by_indicator and i not in main_names]
    other_names += [i for i in by_indicator if i not in main_names and i not in other_names]
    lines = {i: _trend_line(by_indicator[i], province.get(i)) for i in by_indicator}
    panels = []
    for title, names, unit in [
        ("Scores (0–10): verschil in punten", [i for i in main_names if not is_percentage(i)], "verschil (punten)"),
        (
            "Percentage veerkrachtig: verschil in procentpunten",
            [i for i in main_names if is_percentage(i)],
            "verschil (procentpunten)",
        ),
    ]:
        if not names:
            continue
        chart_rows, values = [], [0.0]
        for i in names:
            r = by_indicator[i]
            if not r.shown:
                chart_rows.append(Row(lines[i].label, note=f"{SUPPRESSED_CELL}: {reason_text(r.reason)}"))
                continue
            dd = fmt.decimals(i, difference=True)
            title_text = f"{lines[i].label}: {fmt.signed(r.difference, dd)} (95%-BI {lines[i].ci})" + (
                ", significant" if r.significant else ", niet significant"
            )
            chart_rows.append(
                Row(
                    lines[i].label,
                    [
                        Point(
                            "significant" if r.significant else "verschil",
                            r.difference,
                            r.ci_lower,
                            r.ci_upper,
                            title_text,
                        )
                    ],
                )
            )
            values += [r.ci_lower, r.ci_upper]
        (lo, hi), _ = charts.nice_scale(values)
        bound = max(abs(lo), abs(hi))  # symmetric around "no change"
        domain, ticks = charts.nice_scale([-bound, bound])
        panels.append(
            Panel(
                title,
                chart_rows,
                domain,
                ticks,
                axis_label=unit,
                reference=(0.0, "geen verandering"),
                tick_format=_ticks(ticks, sign=True),
            )
        )
    chart = None
    if panels:
        chart = _figure_html(
            charts.interval_chart(
                panels,
                aria_label=f"Verandering in {g.name} van {edition_from} naar {data.edition}: verschil met 95%-interval",
                legend=["verschil", "significant"],
            )
        )
    return Trend(
        "cijfers",
        edition_from=edition_from,
        main=[lines[i] for i in main_names],
        other=[lines[i] for i in other_names],
        chart=chart,
        comparability=_comparability(data, g, rows),
        significant_count=_significant(lines[i] for i in main_names),
        other_significant=_significant(lines[i] for i in other_names),
    )


def _significant(lines) -> int:
    return sum(1 for line in lines if line.shown and line.significant)


@dataclass
class FlaggedRow:
    level: str
    level_label: str
    code: str
    indicator: str
    indicator_label: str
    cell: Cell
    gemeente: str
    inhabitants: str
    basis: str  # what the flag rests on, in words (labels.FLAG_BASIS and the direct figure)
    name: str = ""  # the CBS name of the wijk or buurt (its code where the tables have no name)


@dataclass
class BelowGemeente:
    shown: bool
    flagged: list[FlaggedRow]  # a row per area and indicator
    charts: list[tuple[str, Markup, str]]  # (indicator, svg, caption)
    statements: list[str]
    wijken: int
    areas: int = 0  # the flagged wijken and buurten, each once (presentation.flagged)
    definition: str = field(default_factory=flagged_definition)

    @property
    def caption(self) -> str:
        rows = len(self.flagged)
        return (
            f"Gesignaleerde wijken en buurten: {self.areas} (elk gebied één keer geteld; "
            f"{rows} {'rij' if rows == 1 else 'rijen'} hieronder, een per gebied en indicator)"
        )


def wijk_of(buurt_code: str) -> str:
    """BU08281604 -> WK082816 (CBS codes: the wijk is the buurt code without its last two digits)."""
    return "WK" + buurt_code[2:8]


def flag_applies(data: EditionData, g: Gemeente, indicator: str) -> bool:
    """Whether "overall goed, maar niet overal" can flag an area of the gemeente on the
    indicator: its own figure at or above the province's (the small-area model's rule)."""
    gem, prov = data.figure("gemeente", g.code, indicator), data.figure("provincie", data.province_code, indicator)
    return gem.shown and prov.shown and gem.estimate >= prov.estimate


def _red_words(g: Gemeente, applies: bool, red: bool) -> str:
    """What red means in a wijk chart, said by the rule that draws it: the legend shows red
    only where a wijk is red, and where none is the caption says why."""
    if red:
        return (
            f"Rood: wijk gesignaleerd (‘overall goed, maar niet overal’): {g.name} scoort op of boven de provincie en "
            "de wijk ligt significant onder de gemeente, op het model of op de eigen respondenten (zie de tabel: dan "
            "kan de modelschatting dichter bij de gemeente liggen)"
        )
    if not applies:
        return (
            f"Geen wijk rood: {g.name} scoort niet op of boven de provincie, dus de signalering ‘overall goed, maar "
            "niet overal’ is hier niet van toepassing, ook niet voor een wijk die onder de gemeente ligt"
        )
    return "Geen wijk rood: geen wijk is gesignaleerd"


def _wijk_chart(
    data: EditionData, g: Gemeente, indicator: str, areas: list[SmallArea], with_flagged_buurt: set[str]
) -> tuple[Markup, str]:
    gem = data.figure("gemeente", g.code, indicator)
    d = fmt.decimals(indicator)
    shown = sorted((a for a in areas if a.figure.shown), key=lambda a: (-a.figure.estimate, a.code))
    hidden = sorted((a for a in areas if not a.figure.shown), key=lambda a: a.code)
    rows = []
    for a in shown:
        f = a.figure
        series = "signalering" if a.below_gemeente else "wijk"
        contains = a.code in with_flagged_buurt
        title = (
            f"{a.code}{', ' + a.name if a.name else ''}: {fmt.number(f.estimate, d)} (95%-BI {fmt.interval(f.ci_lower, f.ci_upper, d)}; "
            f"{fmt.count(a.inhabitants)} inwoners)"
            + (f"; {FLAGGED_SHORT}" if a.below_gemeente else "")
            + ("; met een gesignaleerde buurt" if contains else "")
        )
        rows.append(
            Row(
                a.code + (" *" if contains else ""),
                [Point(series, f.estimate, f.ci_lower, f.ci_upper, title)],
                highlight=a.below_gemeente,
                mark=contains and not a.below_gemeente,
            )
        )
    rows += [Row(a.code, note=f"{SUPPRESSED_CELL}: {reason_text(a.figure.reason)}") for a in hidden]
    domain, ticks = _scale([a.figure for a in shown], indicator, include=(gem.estimate,) if gem.shown else ())
    reference = (gem.estimate, f"gemeente {fmt.number(gem.estimate, d)}") if gem.shown else None
    red = any(a.below_gemeente for a in shown)
    used = ["wijk"] + (["signalering"] if red else [])
    svg = charts.interval_chart(
        [
            Panel(
                "",
                rows,
                domain,
                ticks,
                axis_label=indicator_scale(indicator),
                reference=reference,
                tick_format=_ticks(ticks),
            )
        ],
        aria_label=f"{indicator_label(indicator)} per wijk van {g.name} (modelschatting met 95%-interval)",
        legend=used,
        row_height=18 if len(rows) <= 30 else 14,
    )
    caption = (
        f"{indicator_label(indicator)} per wijk ({len(areas)} wijken), modelschatting met 95%-interval, "
        f"van hoog naar laag; de stippellijn is het cijfer van de gemeente. "
        + _red_words(g, flag_applies(data, g, indicator), red)
        + ("; * (geel): wijk met een gesignaleerde buurt." if with_flagged_buurt else ".")
    )
    return _figure_html(svg), caption


def below_gemeente(data: EditionData, g: Gemeente) -> BelowGemeente:
    gemeente_shown = any(data.figure("gemeente", g.code, i).shown for i in HEADLINE)
    areas = data.small_areas.get(g.code, [])
    wijken = {a.code for a in areas if a.level == "wijk"}
    if not gemeente_shown:
        return BelowGemeente(False, [], [], [], len(wijken))
    flagged = [
        FlaggedRow(
            a.level,
            area_level_label(a.level),
            a.code,
            a.indicator,
            indicator_label(a.indicator),
            Cell.of(a.figure, a.indicator),
            fmt.number(a.gemeente_estimate, fmt.decimals(a.indicator)),
            fmt.count(a.inhabitants),
            basis_text(a),
            a.label,
        )
        for a in data.flagged.get(g.code, [])
    ]
    statements = []
    for ind in HEADLINE:
        gem, prov = data.figure("gemeente", g.code, ind), data.figure("provincie", data.province_code, ind)
        n = sum(1 for f in flagged if f.indicator == ind)
        if not gem.shown or not prov.shown:
            continue
        if flag_applies(data, g, ind):
            statements.append(
                f"{indicator_label(ind)}: {g.name} scoort op of boven de provincie; "
                + (
                    f"op deze indicator {'is' if n == 1 else 'zijn'} {flagged_phrase(n)} gesignaleerd."
                    if n
                    else "geen wijk of buurt ligt significant onder de gemeente."
                )
            )
        else:
            statements.append(
                f"{indicator_label(ind)}: {g.name} scoort lager dan de provincie; de signalering "
                "“overall goed, maar niet overal” is hier niet van toepassing."
            )
    chart_list = []
    for ind in HEADLINE:
        in_ind = [a for a in areas if a.level == "wijk" and a.indicator == ind]
        buurten = {wijk_of(f.code) for f in flagged if f.level == "buurt" and f.indicator == ind}
        if in_ind:
            svg, caption = _wijk_chart(data, g, ind, in_ind, buurten)
            chart_list.append((ind, svg, caption))
    return BelowGemeente(True, flagged, chart_list, statements, len(wijken), gemeente_flagged(data, g.code))


@dataclass
class Factsheet:
    edition: int
    gemeente: Gemeente
    region_name: str
    size_class: SizeClassArea | None
    suppressed: bool
    headline: dict[str, Cell]
    n_respondents: str
    flagged_count: int
    resilience: Resilience
    resources: Resources
    typology: Typology
    trend: Trend
    below: BelowGemeente
    published_at: str
    run_id: str
    gap_text: str
    maps: list[MapFigure] = field(default_factory=list)  # its buurten and its wijken

    @property
    def map_notes(self) -> list[str]:
        return missing_notes(self.maps)
    suppressed_explanation: str = SUPPRESSED_EXPLANATION
    headline_labels: dict[str, str] = field(default_factory=lambda: {i: indicator_label(i) for i in HEADLINE})
    flagged_count_words: str = field(default_factory=flagged_count_words)


def gemeente_flagged(data: EditionData, code: str) -> int:
    """The gemeente's flagged wijken and buurten, counted as everywhere (presentation.flagged)."""
    return flagged_areas((code, a.level, a.code, a.indicator) for a in data.flagged.get(code, [])).of(code)


def basis_text(a) -> str:
    """What a flag rests on, for readers: the area's own respondents (with their mean), the
    model, or both; a model flag without respondents of its own is a signal, not a finding."""
    text = FLAG_BASIS.get(a.flag_basis or "", "onbekend")
    if a.direct_estimate is not None:
        return f"{text}; gemiddelde eigen respondenten {fmt.number(a.direct_estimate, fmt.decimals(a.indicator))}"
    if a.flag_basis == "model" and not a.figure.n_respondents:
        return f"{text}: signaal zonder eigen respondenten, na te gaan, geen bevinding"
    return text


def _gap_words(gaps: dict) -> str:
    score = fmt.number(gaps["veerkracht_score"], 2)
    pct = fmt.number(gaps["pct_veerkrachtig"], 1)
    return f"minstens {score} punt op de veerkrachtscore of {pct} procentpunt op het percentage veerkrachtig"


def gap_text() -> str:
    """The rule of the flag in words (small_area.DEFAULT_FLAG_RULE and its thresholds)."""
    direct_margin = f"significant én {_gap_words(DIRECT_RELEVANT_GAP)}" if any(DIRECT_RELEVANT_GAP.values()) \
        else f"significant (eenzijdig {fmt.number(100 * (1 - NormalDist().cdf(DIRECT_Z)), 1)} %)"
    on_respondents = f"het gemiddelde van de eigen respondenten {direct_margin} onder het cijfer van de gemeente ligt"
    on_model = f"de modelschatting significant én {_gap_words(RELEVANT_GAP)} eronder ligt"
    if DEFAULT_FLAG_RULE == "switch":
        return (f"in een gebied met minstens {MIN_DIRECT_RESPONDENTS} respondenten {on_respondents}, en in een "
                f"gebied met minder respondenten {on_model}")
    return f"{on_respondents} (vanaf {MIN_DIRECT_RESPONDENTS} respondenten), of {on_model}"


def factsheet(data: EditionData, g: Gemeente) -> Factsheet:
    headline = {ind: Cell.of(data.figure("gemeente", g.code, ind), ind) for ind in HEADLINE}
    n = data.figure("gemeente", g.code, "veerkracht_score").n_respondents
    suppressed = not any(c.shown for c in headline.values())
    region = data.area_names.get(("regio", g.region_code), g.region_name) if g.region_code else None
    return Factsheet(
        edition=data.edition,
        gemeente=g,
        region_name=region or "onbekend",
        size_class=size_class_area(data, g),
        suppressed=suppressed,
        headline=headline,
        n_respondents=MIN_RESPONDENTS_TEXT if suppressed else f"{fmt.count(n)} respondenten",
        flagged_count=gemeente_flagged(data, g.code),
        resilience=resilience(data, g),
        resources=resources(data, g),
        typology=typology(data, g),
        trend=trend(data, g),
        below=below_gemeente(data, g),
        published_at=fmt.moment(data.published_at),
        run_id=data.run_id or "onbekend",
        gap_text=gap_text(),
        maps=gemeente_maps(data, g),
    )


@dataclass
class IndexRow:
    code: str
    name: str
    region: str
    n: str
    cells: dict[str, Cell]
    flagged: int
    suppressed: bool


@dataclass
class ProfileRow:
    """A category in the index's table of who is resilient (or a characteristic's heading row)."""

    characteristic: str
    category: str
    label: str
    heading: bool
    cells: dict[str, Cell] = field(default_factory=dict)  # indicator -> figure in the category
    composition_shown: bool = False
    share_resilient: str = ""
    share_less_resilient: str = ""
    difference: str = ""
    difference_ci: str = ""
    significant: bool = False
    composition_note: str = ""


@dataclass
class Profiles:
    chart: Markup | None
    rows: list[ProfileRow]
    province: str  # the province's percentage veerkrachtig, as drawn (the dashed line)
    suppressed: int  # categories whose percentage veerkrachtig is withheld


PROFILE_INDICATOR = "pct_veerkrachtig"  # what the index's profile chart draws per category


def _range_words(indicator: str) -> str:
    """'0–10' or '%', beside an indicator's name in a table heading."""
    return "%" if is_percentage(indicator) else "0–10"


@dataclass
class IndexPage:
    edition: int
    rows: list[IndexRow]
    context: list[AreaRow]
    published_at: str
    run_id: str
    profiles: Profiles | None = None
    suppressed_explanation: str = SUPPRESSED_EXPLANATION
    maps: list[MapFigure] = field(default_factory=list)  # the gemeenten of the province, per headline indicator
    flagged_definition: str = field(default_factory=flagged_definition)
    headline: tuple[str, ...] = HEADLINE
    profile_indicators: tuple[str, ...] = (PROFILE_INDICATOR, *(i for i in HEADLINE if i != PROFILE_INDICATOR))
    headline_labels: dict[str, str] = field(default_factory=lambda: {i: indicator_label(i) for i in HEADLINE})
    headline_scales: dict[str, str] = field(default_factory=lambda: {i: f"({_range_words(i)})" for i in HEADLINE})

    @property
    def map_notes(self) -> list[str]:
        return missing_notes(self.maps)


def _profile_row(c: ProfileCategory) -> ProfileRow:
    row = ProfileRow(
        c.characteristic,
        c.category,
        c.category_label,
        False,
        {ind: Cell.of(c.figures.get(ind, Figure(None, None, None, None, True, "no published figure")), ind) for ind in HEADLINE},
    )
    if c.composition_suppressed:
        row.composition_note = f"{SUPPRESSED_CELL} ({reason_text(c.composition_reason)})"
        return row
    row.composition_shown = True
    row.share_resilient = fmt.number(c.share_resilient, 0)
    row.share_less_resilient = fmt.number(c.share_less_resilient, 0)
    row.difference = fmt.signed(c.difference, 1)
    row.difference_ci = fmt.interval(c.difference_ci_lower, c.difference_ci_upper, 1, sign=True)
    row.significant = c.significant
    return row


def profiles(data: EditionData) -> Profiles | None:
    """Who is resilient in the province: per characteristic a panel, per category the
    percentage veerkrachtig with its 95 % interval against the province (dashed line); a
    withheld category says why instead of a point. With the figures as a table."""
    if not data.profiles:
        return None
    province = data.figure("provincie", data.province_code, PROFILE_INDICATOR)
    d = fmt.decimals(PROFILE_INDICATOR)
    by_characteristic: dict[str, list[ProfileCategory]] = {}
    for c in data.profiles:
        by_characteristic.setdefault(c.characteristic, []).append(c)
    figures = [c.figures.get(PROFILE_INDICATOR, Figure(None, None, None, None, True)) for c in data.profiles]
    domain, ticks = _scale(figures, PROFILE_INDICATOR, include=(province.estimate,) if province.shown else ())
    panels, rows = [], []
    for categories in by_characteristic.values():
        title = categories[0].characteristic_label
        rows.append(ProfileRow(categories[0].characteristic, "", title, True))
        chart_rows = []
        for c in categories:
            rows.append(_profile_row(c))
            figure = c.figures.get(PROFILE_INDICATOR, Figure(None, None, None, None, True, "no published figure"))
            chart_rows.append(_row(c.category_label, [("categorie", figure, f"{title}, {c.category_label}")], PROFILE_INDICATOR))
        panels.append(
            Panel(
                title,
                chart_rows,
                domain,
                ticks,
                axis_label="percentage veerkrachtig (0–100)",
                reference=(province.estimate, f"Noord-Brabant {fmt.number(province.estimate, d)} %") if province.shown else None,
                tick_format=_ticks(ticks),
            )
        )
    # a chart per characteristic, side by side where the page is wide (one under the other on a
    # phone), on one scale and with one label column, so that they compare at a glance
    label_width = charts.row_label_width(panels)
    svgs = [
        charts.interval_chart(
            [panel],
            aria_label=f"Wie is veerkrachtig in Noord-Brabant ({data.edition}), {panel.title.lower()}: percentage "
            "veerkrachtig per categorie, met 95%-betrouwbaarheidsinterval",
            label_width=label_width,
            legend=[],
            row_height=20,
        )
        for panel in panels
    ]
    chart = f'<div class="chart-grid">{"".join(svgs)}</div>'
    suppressed = sum(1 for f in figures if not f.shown)
    return Profiles(_figure_html(chart), rows, fmt.number(province.estimate, d) if province.shown else "", suppressed)


def _sort_name(name: str) -> str:
    """'s-Hertogenbosch sorts under H, as in Dutch lists."""
    return re.sub(r"^'s[- ]", "", name).casefold()


def index_page(data: EditionData) -> IndexPage:
    rows = []
    for g in sorted(data.gemeenten, key=lambda g: _sort_name(g.name)):
        cells = {ind: Cell.of(data.figure("gemeente", g.code, ind), ind) for ind in HEADLINE}
        suppressed = not any(c.shown for c in cells.values())
        n = data.figure("gemeente", g.code, "veerkracht_score").n_respondents
        region = data.area_names.get(("regio", g.region_code), g.region_name) if g.region_code else None
        rows.append(
            IndexRow(
                g.code,
                g.name,
                region or "onbekend",
                MIN_RESPONDENTS_TEXT if suppressed else fmt.count(n),
                cells,
                gemeente_flagged(data, g.code),
                suppressed,
            )
        )
    context = [
        AreaRow(
            "provincie",
            area_level_label("provincie"),
            data.area_names.get(("provincie", data.province_code), "Noord-Brabant"),
            {i: Cell.of(data.figure("provincie", data.province_code, i), i) for i in HEADLINE},
        )
    ]
    size_classes = list(data.size_class_names)
    for (level, code), name in sorted(data.area_names.items(), key=lambda kv: kv[1]):
        if level == "regio":
            context.append(
                AreaRow(
                    level, area_level_label(level), name, {i: Cell.of(data.figure(level, code, i), i) for i in HEADLINE}
                )
            )
            # the size classes within the regio, in the seed's order, right under it
            within = []
            for (other_level, other_code), other_name in data.area_names.items():
                parts = data.size_class_areas.get(other_code) if other_level == REGIO_GROOTTEKLASSE else None
                if parts and parts[0] == code:
                    rank = size_classes.index(parts[1]) if parts[1] in size_classes else len(size_classes)
                    within.append((rank, other_name, other_code))
            for _, sub_name, sub_code in sorted(within):
                context.append(
                    AreaRow(
                        REGIO_GROOTTEKLASSE,
                        area_level_label(REGIO_GROOTTEKLASSE),
                        sub_name,
                        {i: Cell.of(data.figure(REGIO_GROOTTEKLASSE, sub_code, i), i) for i in HEADLINE},
                    )
                )
    return IndexPage(
        data.edition, rows, context, fmt.moment(data.published_at), data.run_id or "onbekend", profiles(data),
        maps=province_maps(data),
    )
