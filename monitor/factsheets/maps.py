"""What the maps of the factsheets (and the kaartenboek, which draws the same maps) show: the
province map of the gemeenten per headline indicator (monitor_area_estimates), and per gemeente
a map of its buurten and one of its wijken coloured by the small-area estimate of
veerkracht_score (monitor_small_area_estimates: suppressed hatched, below_gemeente outlined).

Figures are written as on the pages (page.figure_text, Cell); the drawing itself is
monitor.maps. Without boundaries the map says in Dutch why it is missing and how to get them."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from monitor.factsheets import formatting as fmt
from monitor.factsheets.data import HEADLINE, EditionData, Figure, Gemeente
from monitor.geo import BOUNDARIES_DIR, GEOJSON_FILES
from monitor.maps import ChoroplethMap, LegendText, MapArea, Marker, choropleth, draw
from monitor.presentation.flagged import FLAGGED_SHORT
from monitor.presentation.labels import (
    SUPPRESSED_CELL,
    area_level_label,
    indicator_label,
    is_percentage,
    suppression_reason_label,
)

SMALL_AREA_INDICATOR = "veerkracht_score"  # what the wijk and buurt maps are coloured by
PLURAL = {"gemeente": "gemeenten", "wijk": "wijken", "buurt": "buurten"}
FETCH_HINT = "monitor fetch-cbs-map --year {edition}"


@dataclass
class MapFigure:
    """A map for a page: the SVG and its caption, or why there is none."""

    id: str  # the HTML id of its figure, also the SVG's id prefix
    level: str
    indicator: str
    caption: str
    map: ChoroplethMap | None = None
    missing: str = ""  # shown instead of the map

    @property
    def shown(self) -> bool:
        return self.map is not None

    @property
    def svg(self) -> Markup:
        return Markup(self.map.svg) if self.map else Markup("")


def missing_notes(maps: list[MapFigure]) -> list[str]:
    """Why maps are missing, each reason once (no boundaries at all: one note for both maps)."""
    return list(dict.fromkeys(m.missing for m in maps if not m.shown and m.missing))


def figure_text(figure: Figure, indicator: str) -> str:
    """A figure as the pages write it in a tooltip: '6,8 (95%-BI 6,5 – 7,1; n = 312)', or why
    it is not shown: 'onderdrukt (minder dan 50 inwoners)'."""
    if not figure.shown:
        return f"{SUPPRESSED_CELL} ({suppression_reason_label(figure.reason)})"
    d = fmt.decimals(indicator)
    n = f"; n = {fmt.count(figure.n_respondents)}" if figure.n_respondents is not None else ""
    unit = " %" if is_percentage(indicator) else ""
    return f"{fmt.number(figure.estimate, d)}{unit} (95%-BI {fmt.interval(figure.ci_lower, figure.ci_upper, d)}{n})"


def _legend_heading(indicator: str) -> str:
    """'Veerkrachtscore (0–10)', 'Percentage veerkrachtig (%)': the codebook's label and its unit."""
    return f"{indicator_label(indicator)} ({'%' if is_percentage(indicator) else '0–10'})"


def _formatter(indicator: str):
    d = fmt.decimals(indicator)
    return lambda v: fmt.number(v, d)


def _suppressed_label(figures: list[Figure]) -> str:
    reasons = sorted({suppression_reason_label(f.reason) for f in figures if not f.shown})
    return f"{SUPPRESSED_CELL} ({reasons[0]})" if len(reasons) == 1 else SUPPRESSED_CELL


def _missing_text(data: EditionData, level: str, where: str) -> str:
    edition = data.edition
    fetch = FETCH_HINT.format(edition=edition)
    if data.boundaries is None or data.boundaries.empty:
        return (
            f"Geen kaart: voor editie {edition} zijn geen gebiedsgrenzen aangeleverd (niets in "
            f"{edition}/{BOUNDARIES_DIR}/ van de landingszone). Haal ze op met ‘{fetch}’ en ververs de editie; "
            "de cijfers staan in de tabellen op deze pagina."
        )
    return (
        f"Geen {area_level_label(level).lower()}kaart: de gebiedsgrenzen van editie {edition} hebben geen "
        f"{PLURAL[level]} {where} ({edition}/{BOUNDARIES_DIR}/{GEOJSON_FILES[level]} ontbreekt of bevat ze niet). "
        f"Haal ze op met ‘{fetch}’ en ververs de editie."
    )


def _not_drawn(level: str, codes: list[str]) -> str:
    if not codes:
        return ""
    shown = ", ".join(codes[:8]) + (f" en {len(codes) - 8} meer" if len(codes) > 8 else "")
    return f" Niet getekend, want zonder grens in het grensbestand: {len(codes)} {PLURAL[level] if len(codes) > 1 else level} ({shown})."


def _credit(data: EditionData, level: str) -> str:
    sources = data.boundaries.sources(level) if data.boundaries else []
    return f"Monitor Sociale Veerkracht {data.edition} · grenzen: CBS/Kadaster" + (f" ({', '.join(sources)})" if sources else "")


def province_maps(data: EditionData) -> list[MapFigure]:
    """The gemeenten of the province, one map per headline indicator, sharing one drawing."""
    ids = [f"kaart-provincie-{ind}" for ind in HEADLINE]
    boundaries = data.boundaries.of_level("gemeente") if data.boundaries else {}
    if not boundaries:
        missing = _missing_text(data, "gemeente", "van Noord-Brabant")
        return [MapFigure(i, "gemeente", ind, "", missing=missing) for i, ind in zip(ids, HEADLINE)]
    drawing = draw({code: b.geometry for code, b in boundaries.items()})
    names = {g.code: g.name for g in data.gemeenten}
    province = data.area_names.get(("provincie", data.province_code), "Noord-Brabant")
    out = []
    for map_id, ind in zip(ids, HEADLINE):
        figures = {code: data.figure("gemeente", code, ind) for code in names}
        areas = [
            MapArea(code, names.get(code) or b.name or code, f.estimate if f.shown else None,
                    figure_text(f, ind) if code in names else "geen schatting", suppressed=code in names and not f.shown)
            for code, b in boundaries.items()
            for f in [figures.get(code, Figure(None, None, None, None, False))]
        ]  # fmt: skip
        own = data.figure("provincie", data.province_code, ind)
        title = f"{indicator_label(ind)} per gemeente, {province} {data.edition}"
        drawn = choropleth(
            drawing, areas, map_id=map_id, title=title,
            legend=LegendText(_legend_heading(ind), "gemeenten", suppressed=_suppressed_label(list(figures.values()))),
            format_value=_formatter(ind), digits=fmt.decimals(ind),
            marker=Marker(province, own.estimate) if own.shown else None, credit=_credit(data, "gemeente"),
        )  # fmt: skip
        caption = (
            f"{title}: directe schatting per gemeente in {drawn.classes.count} klassen met elk ongeveer even veel "
            "gemeenten (kwantielen); donkerder is hoger. De pijl in de legenda wijst de klasse van de provincie aan."
            + (f" Gearceerd: {_suppressed_label(list(figures.values()))}." if drawn.suppressed else "")
            + " Wijs een gemeente aan voor haar naam en cijfer."
            + _not_drawn("gemeente", sorted(set(names) - set(boundaries)))
        )
        out.append(MapFigure(map_id, "gemeente", ind, caption, drawn))
    return out


def gemeente_maps(data: EditionData, g: Gemeente, levels: tuple[str, ...] = ("buurt", "wijk")) -> list[MapFigure]:
    """A map of the gemeente's buurten and one of its wijken (veerkracht_score)."""
    return [_small_area_map(data, g, level) for level in levels]


def _small_area_map(data: EditionData, g: Gemeente, level: str) -> MapFigure:
    ind = SMALL_AREA_INDICATOR
    map_id = f"kaart-{PLURAL[level]}"  # one of each per page
    rows = [a for a in data.small_areas.get(g.code, []) if a.level == level and a.indicator == ind]
    codes = {a.code for a in rows}
    boundaries = {}
    if data.boundaries is not None:
        boundaries = {
            code: b
            for code, b in data.boundaries.of_level(level).items()
            if code in codes or b.gemeente_code == g.code
        }
    if not boundaries:
        return MapFigure(map_id, level, ind, "", missing=_missing_text(data, level, f"van {g.name}"))
    drawing = draw({code: b.geometry for code, b in boundaries.items()})
    by_code = {a.code: a for a in rows}
    areas = []
    for code, b in boundaries.items():
        a = by_code.get(code)
        if a is None:
            areas.append(MapArea(code, b.name or code, None, "geen schatting"))
            continue
        areas.append(
            MapArea(
                code, a.name or b.name or code, a.figure.estimate if a.figure.shown else None,
                figure_text(a.figure, ind), suppressed=not a.figure.shown, outlined=a.below_gemeente,
                note=FLAGGED_SHORT if a.below_gemeente else "",
            )
        )  # fmt: skip
    own = data.figure("gemeente", g.code, ind)
    plural = PLURAL[level]
    suppressed = _suppressed_label([a.figure for a in rows])
    title = f"{indicator_label(ind)} per {level}, {g.name} {data.edition}"
    drawn = choropleth(
        drawing, areas, map_id=map_id, title=title,
        legend=LegendText(_legend_heading(ind), plural, suppressed=suppressed, outlined=FLAGGED_SHORT),
        format_value=_formatter(ind), digits=fmt.decimals(ind),
        marker=Marker("gemeente", own.estimate) if own.shown else None, credit=_credit(data, level),
    )  # fmt: skip
    caption = (
        f"{title}: modelschatting per {level} in {drawn.classes.count} klassen met elk ongeveer even veel {plural} "
        "(kwantielen); donkerder is hoger."
        + (" De pijl in de legenda wijst de klasse van de gemeente zelf aan." if own.shown else "")
        + (f" Gearceerd: {suppressed}." if drawn.suppressed else "")
        + (f" Rood omlijnd: {level} gesignaleerd als ‘overall goed, maar niet overal’: significant onder de gemeente, "
           "die op of boven de provincie scoort (zie de tabel)." if drawn.outlined else "")
        + (" Gestippeld: grens zonder schatting." if drawn.missing else "")
        + f" Wijs een {level} aan voor de naam en het cijfer."
        + _not_drawn(level, sorted(codes - set(boundaries)))
    )
    return MapFigure(map_id, level, ind, caption, drawn)
