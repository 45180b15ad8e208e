"""The choropleth maps (monitor.maps): SVG built from shapely geometries made here, and from the
real 2017 gemeente outlines in ../shared (read in place), parsed as XML and checked shape by
shape: a path per area with its CBS code and tooltip, hatch and outline as the flags say, the
legend's classes computed by hand, nothing referenced outside the SVG."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import duckdb
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box, shape

from monitor.maps import LegendText, MapArea, Marker, choropleth, draw, quantile_classes, read_boundaries
from monitor.maps.classes import PALETTE
from monitor.presentation.style import ALERT
from tests.conftest import SHARED_CBS

NS = {"s": "http://www.w3.org/2000/svg"}
OUTLINES_2017 = SHARED_CBS / "geo" / "gemeenten_2017_noord_brabant.geojson"
X0, Y0 = 150_000, 400_000  # RD New metres, somewhere in Brabant


def nl(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def grid(n: int = 3, size: float = 1000.0) -> dict[str, Polygon]:
    """n x n square buurten tiling a square gemeente."""
    return {
        f"BU0999{i:02d}{j:02d}": box(X0 + i * size, Y0 + j * size, X0 + (i + 1) * size, Y0 + (j + 1) * size)
        for i in range(n)
        for j in range(n)
    }


def render(geometries, areas, marker=None, map_id="m"):
    return choropleth(
        draw(geometries), areas, map_id=map_id, title="Veerkrachtscore per buurt, Proefstad 2018",
        legend=LegendText("Veerkrachtscore (0–10)", "buurten", suppressed="onderdrukt (minder dan 50 inwoners)"),
        format_value=lambda v: nl(v, 1), digits=1, marker=marker,
    )  # fmt: skip


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.split("?>", 1)[-1])


def shapes(root: ET.Element) -> dict[str, ET.Element]:
    return {p.get("data-code"): p for p in root.iterfind(".//s:path[@data-code]", NS)}


@pytest.fixture
def buurten():
    geometries = grid()
    codes = sorted(geometries)
    areas = []
    for k, code in enumerate(codes):
        if k == 4:
            areas.append(MapArea(code, f"Buurt {k}", None, "onderdrukt (minder dan 50 inwoners)", suppressed=True))
        else:
            value = 6.0 + 0.2 * k
            areas.append(MapArea(code, f"Buurt {k}", value, nl(value, 1), outlined=k in (1, 7),
                                 note="significant onder de gemeente" if k in (1, 7) else ""))  # fmt: skip
    return geometries, areas


def test_every_area_is_a_shape_with_its_code_and_title(buurten):
    geometries, areas = buurten
    drawn = render(geometries, areas)
    found = shapes(parse(drawn.svg))
    assert set(found) == set(geometries) == set(drawn.drawn)
    for a in areas:
        title = found[a.code].find("s:title", NS).text
        assert title == f"{a.name}: {a.figure}" + (f"; {a.note}" if a.note else "")
        assert found[a.code].get("d").startswith("M")
    assert parse(drawn.svg).find("s:title", NS).text == "Veerkrachtscore per buurt, Proefstad 2018"


def test_hatched_and_outlined_as_the_flags_say(buurten):
    geometries, areas = buurten
    root = parse(render(geometries, areas, map_id="kaart-buurten").svg)
    found = shapes(root)
    assert root.find(".//s:pattern[@id='kaart-buurten-hatch']", NS) is not None
    for a in areas:
        path = found[a.code]
        classes = set(path.get("class").split())
        assert ("suppressed" in classes) == a.suppressed
        assert (path.get("fill") == "url(#kaart-buurten-hatch)") == a.suppressed
        assert ("outlined" in classes) == a.outlined
        assert (path.get("stroke") == ALERT) == a.outlined
    # outlines are drawn last, on top of their neighbours
    order = [p.get("data-code") for p in root.iterfind(".//s:path[@data-code]", NS)]
    assert {a.code for a in areas if a.outlined} == set(order[-2:])
    legend = root.find(".//s:g[@class='legend']", NS)
    texts = [t.text for t in legend.iterfind(".//s:text", NS)]
    assert "onderdrukt (minder dan 50 inwoners) (1)" in texts
    assert "significant onder de gemeente (2)" in texts
    assert legend.find(".//s:g[@class='legend-outlined']/s:rect", NS).get("stroke") == ALERT


def test_quintile_breaks_by_hand_and_each_area_in_its_class():
    """Values 1..10 (no decimals): numpy's 'lower' quintiles are the 1st, 2nd, 4th, 6th, 8th and
    10th value, so the classes are 1 | 2-3 | 4-5 | 6-7 | 8-10."""
    classes = quantile_classes([float(v) for v in range(1, 11)], digits=0)
    assert classes.breaks == (1, 2, 4, 6, 8, 10)
    assert [classes.bounds(i) for i in range(5)] == [(1, 1), (2, 3), (4, 5), (6, 7), (8, 10)]
    assert [classes.index(v) for v in range(1, 11)] == [0, 1, 1, 2, 2, 3, 3, 4, 4, 4]
    geometries = grid(4)
    codes = sorted(geometries)[:10]
    areas = [MapArea(c, c, float(k + 1), str(k + 1)) for k, c in enumerate(codes)]
    drawn = choropleth(
        draw({c: geometries[c] for c in codes}), areas, map_id="q", title="t",
        legend=LegendText("Percentage veerkrachtig", "buurten"), format_value=lambda v: nl(v, 0), digits=0,
        marker=Marker("gemeente", 5.2),
    )  # fmt: skip
    assert drawn.counts == [1, 2, 2, 2, 3]
    root = parse(drawn.svg)
    found = shapes(root)
    expected_class = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4]
    for k, code in enumerate(codes):
        assert found[code].get("fill") == PALETTE[expected_class[k]]
    labels = [t.text for t in root.iterfind(".//s:g[@class='legend-class']/s:text", NS)]
    assert labels == ["1 (1)", "2 – 3 (2)", "4 – 5 (2)", "6 – 7 (2)", "8 – 10 (3)"]
    marker = root.find(".//s:g[@class='legend-marker']", NS)
    assert marker.get("data-class") == "3" and marker.find("s:text", NS).text == "gemeente 5"  # 5,2 prints as 5


def test_an_area_is_classed_by_its_printed_figure():
    """The figure in the tooltip lies within the legend's bounds of the area's colour."""
    rng = np.random.default_rng(3)
    values = list(rng.normal(6.8, 0.4, 200))
    classes = quantile_classes(values, digits=1)
    assert classes.count == 5
    for v in values:
        lower, upper = classes.bounds(classes.index(v))
        assert lower <= float(f"{v:.1f}") <= upper
    assert quantile_classes([7.04, 6.96], digits=1).breaks == (7.0,)  # both print as 7,0: one class
    assert quantile_classes([], digits=1).count == 0


def test_legend_is_present_with_heading_classes_and_marker(buurten):
    geometries, areas = buurten
    root = parse(render(geometries, areas, marker=Marker("gemeente", 6.9)).svg)
    legend = root.find(".//s:g[@class='legend']", NS)
    heading = "".join(legend.find("s:text[@class='legend-heading']", NS).itertext())  # wrapped lines read as one
    assert heading == "Veerkrachtscore (0–10): 5 klassen (kwantielen), aantal buurten"
    assert len(legend.findall("s:g[@class='legend-class']", NS)) == 5
    assert legend.find("s:g[@class='legend-marker']/s:text", NS).text == "gemeente 6,9"


def test_simplification_keeps_every_area_and_drops_invisible_detail():
    circle = Point(X0, Y0).buffer(5000, quad_segs=2500)  # 10,000 vertices
    tiny = box(X0 + 9000, Y0, X0 + 9001, Y0 + 1)  # 1 m2: far below a pixel
    holed = Polygon(box(X0 - 9000, Y0 - 3000, X0 - 3000, Y0 + 3000).exterior,
                    [box(X0 - 7000, Y0 - 1000, X0 - 5000, Y0 + 1000).exterior.coords])  # fmt: skip
    parts = MultiPolygon([box(X0, Y0 + 6000, X0 + 800, Y0 + 6800), box(X0 + 2000, Y0 + 6000, X0 + 2800, Y0 + 6800)])
    geometries = {"BU1": circle, "BU2": tiny, "BU3": holed, "BU4": parts}
    drawn = draw(geometries)
    assert set(drawn.paths) == set(geometries) and all(drawn.paths.values())
    numbers = len(re.findall(r"-?\d*\.?\d+", drawn.paths["BU1"]))
    assert numbers < 600, numbers  # a few hundred points, not 10,000
    assert drawn.paths["BU3"].count("M") == 2 and drawn.paths["BU4"].count("M") == 2  # hole and parts kept
    # the simplified circle stays within half a pixel of the original
    scale = drawn.projection.scale
    simplified = shapely.simplify(circle, drawn.projection.tolerance_m, preserve_topology=True)
    assert shapely.hausdorff_distance(circle, simplified) * scale < 0.5


def test_no_external_reference_in_the_svg(buurten):
    geometries, areas = buurten
    for svg in (render(geometries, areas).svg, render(geometries, areas).standalone):
        assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]  # the namespace only
        assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", svg))
        assert "href" not in svg and "<script" not in svg and "<image" not in svg and "@import" not in svg


def test_real_2017_gemeente_outlines_render_64_shapes():
    if not OUTLINES_2017.is_file():
        pytest.skip(f"{OUTLINES_2017} is absent (the real PDOK outlines live in ../shared, never in the repo)")
    features = json.loads(OUTLINES_2017.read_text(encoding="utf-8"))["features"]
    geometries = {f["properties"]["statcode"]: shape(f["geometry"]) for f in features}
    names = {f["properties"]["statcode"]: f["properties"]["statnaam"] for f in features}
    areas = [MapArea(code, names[code], 6.5 + (k % 10) / 10, nl(6.5 + (k % 10) / 10, 1)) for k, code in enumerate(sorted(geometries))]
    drawn = render(geometries, areas)
    found = shapes(parse(drawn.svg))
    assert len(found) == 64 and set(found) == set(geometries)
    assert found["GM0855"].find("s:title", NS).text.startswith("Tilburg: ")
    assert len(drawn.svg.encode()) < 40_000, len(drawn.svg.encode())  # a light province map
    # north is up: 's-Hertogenbosch (GM0796) lies north of Eindhoven (GM0772), so higher on the map
    def top(code):
        return min(float(y) for y in re.findall(r"M[-\d.]+ ([-\d.]+)", found[code].get("d")))
    assert top("GM0796") < top("GM0772")


def test_published_boundaries_are_read_as_geometries():
    with duckdb.connect(":memory:") as conn:
        conn.execute("create schema monitor")
        assert read_boundaries(conn, 2018).table_present is False
        conn.execute(
            """create table monitor.monitor_area_boundaries (edition integer, area_level varchar, area_code varchar,
               area_name varchar, gemeente_code varchar, geometry blob, source_file varchar)"""
        )
        for code, g in grid(2).items():
            conn.execute("insert into monitor.monitor_area_boundaries values (2018, 'buurt', ?, ?, 'GM0999', ?, ?)",
                         [code, f"naam {code}", shapely.to_wkb(g), "2018/boundaries/buurten.geojson"])  # fmt: skip
        read = read_boundaries(conn, 2018)
        assert set(read.of_level("buurt", "GM0999")) == set(grid(2)) and not read.of_level("wijk")
        assert read.sources("buurt") == ["2018/boundaries/buurten.geojson"]
        assert all(b.geometry.equals(grid(2)[b.code]) for b in read.areas.values())
        assert read_boundaries(conn, 2020).empty  # an edition without boundaries: no rows
        conn.execute("insert into monitor.monitor_area_boundaries values (2016, 'buurt', 'BU09990199', 'x', 'GM0999', ?, 'f')",
                     [shapely.to_wkb(Point(X0, Y0))])  # fmt: skip
        with pytest.raises(ValueError, match="boundary of BU09990199: expected a non-empty Polygon or MultiPolygon, got Point"):
            read_boundaries(conn, 2016)


def test_text_stays_legible_and_within_the_map_on_a_phone_and_a_laptop(buurten):
    """The legibility rule (monitor/presentation/svg_text.py): the page may not draw the map so
    narrow that its smallest text falls under 11 px, nor so wide that its text grows past the
    page's own; long titles and legend lines wrap within the map's width instead of running off."""
    from monitor.presentation.svg_text import MIN_SCREEN_PX, text_width

    geometries, areas = buurten
    drawn = choropleth(
        draw(geometries), areas, map_id="m", title="Veerkrachtscore per buurt, Nuenen, Gerwen en Nederwetten 2018",
        legend=LegendText("Veerkrachtscore (0–10)", "buurten", suppressed="onderdrukt (te weinig respondenten of inwoners)"),
        format_value=lambda v: nl(v, 1), digits=1, marker=Marker("gemeente", 6.9),
        credit="Monitor Sociale Veerkracht 2018 · grenzen: CBS/Kadaster (2018/boundaries/buurten.geojson)",
    )  # fmt: skip
    root = parse(drawn.svg)
    width = float(root.get("viewBox").split()[2])
    sizes = [float(t.get("font-size")) for t in root.iterfind(".//s:text", NS)]
    style = dict(part.split(":") for part in root.get("style").split(";"))
    narrowest, widest = (float(style[k].removesuffix("px")) for k in ("min-width", "max-width"))
    assert min(sizes) * narrowest / width >= MIN_SCREEN_PX  # a phone: the map is never drawn narrower
    assert narrowest <= 348  # ... and fits the card of a 390 px phone without scrolling
    assert max(sizes) * widest / width <= 20  # a laptop: text about the page's own size, not larger
    for text in root.iterfind(".//s:text", NS):
        lines = [text.text or "", *(span.text for span in text.iterfind("s:tspan", NS))]
        x = float(text.get("x"))
        bold = text.get("font-weight") == "bold"
        for line in lines:
            assert x + text_width(line.strip(), float(text.get("font-size")), bold) <= width, line
    title = root.find("s:text[@class='map-title']", NS)
    assert len(title.findall("s:tspan", NS)) >= 1  # the long title took two lines, the map moved down
    assert "".join(title.itertext()) == "Veerkrachtscore per buurt, Nuenen, Gerwen en Nederwetten 2018"
    assert drawn.standalone.count('width="555"') == 1  # a map file is drawn larger than its units
