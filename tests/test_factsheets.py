"""Factsheets per gemeente (monitor.factsheets, orchestration/assets/factsheets.py): real pages
written from a real warehouse (the session demo, one edition) and, for the trend section, from
a copy of it with an earlier edition and trend rows inserted by hand. Every page is parsed with
html.parser and its numbers are compared with the published tables."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from monitor.factsheets import factsheet_dir, gather_edition, write_factsheet_files, write_factsheets
from monitor.presentation.labels import FLAG_BASIS, SUPPRESSED_EXPLANATION
from tests.conftest import EDITION, TINY_GEMEENTE, monitor_env

pytestmark = pytest.mark.pipeline
SECTIONS = ["veerkracht", "hulpbronnen", "typologie", "trend", "onder-gemeente"]
HEADLINE = ["veerkracht_score", "pct_veerkrachtig"]
ID_PATTERN = re.compile(r"R\d{7}")  # the demo's respondent ids
MINUS = "\u2212"


# -- a small DOM from html.parser -------------------------------------------------------------
VOID = {"meta", "br", "link", "img", "input", "hr", "col", "area", "base", "wbr", "source"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)
    parent: Node | None = None

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def clean(self) -> str:
        return " ".join(self.text().split())

    def iter(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.iter()

    def find_all(self, tag: str | None = None, **attrs) -> list[Node]:
        out = []
        for node in self.iter():
            if tag and node.tag != tag:
                continue
            if all(_attr_matches(node, k, v) for k, v in attrs.items()):
                out.append(node)
        return out

    def find(self, tag: str | None = None, **attrs) -> Node | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def by_id(self, id_: str) -> Node | None:
        return self.find(id=id_)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


def _attr_matches(node: Node, key: str, value) -> bool:
    key = key.rstrip("_").replace("_", "-")
    if key == "class":
        return value in node.classes()
    return node.attrs.get(key) == value


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, parent=self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None, f"</{tag}> closes nothing"
        self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(path: Path) -> Node:
    builder = _Builder()
    builder.feed(path.read_text(encoding="utf-8"))
    builder.close()
    assert builder.current is builder.root, f"{path.name}: unclosed <{builder.current.tag}>"
    return builder.root


# -- numbers as the pages should write them (written here independently of the package) -------
def nl(value: float, digits: int) -> str:
    text = f"{value:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if text.startswith("-"):
        text = text[1:] if not text.strip("-0,.") else MINUS + text[1:]
    return text


def nl_signed(value: float, digits: int) -> str:
    text = nl(value, digits)
    return text if text.startswith(MINUS) or not text.strip("0,.") else "+" + text


def digits(indicator: str, difference: bool = False) -> int:
    return (0 if indicator.startswith("pct_") else 1) + (1 if difference else 0)


def interval(lo: float, hi: float, d: int, sign: bool = False) -> str:
    f = nl_signed if sign else nl
    return f"{f(lo, d)} \u2013 {f(hi, d)}"


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def written(built_demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("factsheets") / "factsheets" / str(EDITION)
    lines: list[str] = []
    with duckdb.connect(str(built_demo.duckdb_path), read_only=True) as conn:
        summary = write_factsheets(conn, EDITION, out, progress=lines.append)
    return summary, out, lines


@pytest.fixture(scope="module")
def published(built_demo):
    def q(sql, params=None):
        return built_demo.query(sql, params or [])

    return q


@pytest.fixture(scope="module")
def gemeenten(published) -> pd.DataFrame:
    """The gemeenten of the edition with their region, from the warehouse itself."""
    return published(
        """select distinct e.area_code as gemeente_code, e.area_name, r.corop_code
           from monitor.monitor_area_estimates as e
           left join reference.brabant_gemeenten as r on r.gemeente_code = e.area_code
           where e.edition = ? and e.area_level = 'gemeente' order by 1""",
        [EDITION],
    )


def page(written, code: str) -> Node:
    return parse(written[1] / f"{code}.html")


# -- index -------------------------------------------------------------------------------------
def test_index_lists_every_gemeente_with_working_links(written, gemeenten):
    summary, out, _ = written
    index = parse(out / "index.html")
    table = index.by_id("gemeenten")
    assert table is not None and table.tag == "table"
    rows = {tr.attrs["data-gemeente"]: tr for tr in table.find_all("tr") if "data-gemeente" in tr.attrs}
    assert set(rows) == set(gemeenten["gemeente_code"])
    assert summary.pages == len(rows) and summary.index_path == out / "index.html"
    names = dict(zip(gemeenten["gemeente_code"], gemeenten["area_name"]))
    for code, tr in rows.items():
        link = tr.find("a")
        assert link.attrs["href"] == f"{code}.html"
        assert link.clean() == names[code]
        target = parse(out / link.attrs["href"])  # the link works from file:// (a file beside the index)
        assert target.by_id("gemeente-naam").clean() == names[code]
        assert target.by_id("terug").attrs["href"] == "index.html"
    assert sorted(p.name for p in out.iterdir()) == sorted([*(f"{c}.html" for c in rows), "index.html"])


def test_index_headline_figures_equal_the_published_ones(written, published):
    index = parse(written[1] / "index.html")
    est = published(
        """select area_code, indicator, estimate, ci_lower, ci_upper, suppressed from monitor.monitor_area_estimates
           where edition = ? and area_level = 'gemeente' and indicator in ('veerkracht_score', 'pct_veerkrachtig')""",
        [EDITION],
    )
    for r in est.itertuples():
        tr = index.find("tr", data_gemeente=r.area_code)
        if r.suppressed:
            assert tr.find("td", class_="suppressed", data_indicator=r.indicator) is not None
            continue
        d = digits(r.indicator)
        assert tr.find("td", class_="estimate", data_indicator=r.indicator).clean() == nl(r.estimate, d)
        assert tr.find("td", class_="ci", data_indicator=r.indicator).clean() == interval(r.ci_lower, r.ci_upper, d)


# -- one factsheet -----------------------------------------------------------------------------
def test_every_factsheet_has_its_sections_and_footer(written, gemeenten, published):
    log = published(
        "select * from monitor.monitor_publication_log where edition = ? order by published_at desc", [EDITION]
    )
    for code in gemeenten["gemeente_code"]:
        doc = page(written, code)
        assert doc.find("html").attrs["lang"] == "nl"
        for section in SECTIONS:
            node = doc.by_id(section)
            assert node is not None and node.tag == "section", f"{code}: #{section}"
        footer = doc.by_id("colofon")
        assert footer.by_id("editie").clean() == str(EDITION)
        assert footer.by_id("run-id").clean() == log["dagster_run_id"].iloc[0]
        assert str(log["published_at"].iloc[0].year) in footer.by_id("gepubliceerd").clean()
        assert doc.by_id("methode") is not None


def test_resilience_figures_equal_duckdb_for_gemeente_region_and_province(written, gemeenten, published):
    est = published(
        """select area_level, area_code, indicator, estimate, ci_lower, ci_upper, n_respondents, suppressed
           from monitor.monitor_area_estimates where edition = ? and indicator in ('veerkracht_score', 'pct_veerkrachtig')""",
        [EDITION],
    ).set_index(["area_level", "area_code", "indicator"])
    province = est.xs("provincie", level="area_level").index.get_level_values(0)[0]
    checked = 0
    for g in gemeenten.itertuples():
        table = page(written, g.gemeente_code).by_id("veerkracht-tabel")
        for level, code in [("gemeente", g.gemeente_code), ("regio", g.corop_code), ("provincie", province)]:
            tr = table.find("tr", data_area_level=level)
            for ind in HEADLINE:
                row = est.loc[(level, code, ind)]
                if row.suppressed:
                    assert tr.find("td", class_="suppressed", data_indicator=ind) is not None
                    continue
                d = digits(ind)
                assert tr.find("td", class_="estimate", data_indicator=ind).clean() == nl(row.estimate, d)
                assert tr.find("td", class_="ci", data_indicator=ind).clean() == interval(row.ci_lower, row.ci_upper, d)
                assert tr.find("td", class_="n", data_indicator=ind).clean() == nl(row.n_respondents, 0)
                checked += 1
    assert checked > 6 * len(gemeenten) - 12


def test_resources_and_typology_equal_duckdb(written, gemeenten, published):
    code = gemeenten.loc[gemeenten["gemeente_code"] != TINY_GEMEENTE, "gemeente_code"].iloc[0]
    doc = page(written, code)
    est = published(
        """select indicator, estimate, ci_lower, ci_upper, n_respondents from monitor.monitor_area_estimates
           where edition = ? and area_level = 'gemeente' and area_code = ?""",
        [EDITION, code],
    )
    resources = doc.by_id("hulpbronnen-tabel")
    scales = ["happiness", "mastery", "trust", "safety", "persoonlijk", "sociaal", "omgeving"]
    for r in est[est["indicator"].isin(scales)].itertuples():
        tr = resources.find("tr", data_indicator=r.indicator)
        cells = tr.find_all("td")
        assert [c.clean() for c in cells[:3]] == [
            nl(r.estimate, 1),
            interval(r.ci_lower, r.ci_upper, 1),
            nl(r.n_respondents, 0),
        ], r.indicator
    types = published(
        "select type, share, ci_lower, ci_upper, n_respondents from monitor.monitor_typology "
        "where edition = ? and area_level = 'gemeente' and area_code = ?",
        [EDITION, code],
    )
    assert len(types) == 4
    typology = doc.by_id("typologie-tabel")
    for r in types.itertuples():
        cells = typology.find("tr", data_type=r.type).find_all("td")
        assert [c.clean() for c in cells[:3]] == [
            nl(r.share, 0),
            interval(r.ci_lower, r.ci_upper, 0),
            nl(r.n_respondents, 0),
        ]


def test_flagged_wijken_and_buurten_equal_monitor_below_gemeente(written, gemeenten, published):
    below = published("select * from monitor.monitor_below_gemeente where edition = ?", [EDITION])
    assert len(below) > 0, "the demo flags some areas"
    for code in gemeenten["gemeente_code"]:
        doc = page(written, code)
        section = doc.by_id("onder-gemeente")
        expected = below[below["gemeente_code"] == code]
        table = section.by_id("signaleringen")
        if expected.empty:
            assert table is None
            continue
        rows = [tr for tr in table.find_all("tr") if "data-area-code" in tr.attrs]
        shown = {(tr.attrs["data-area-code"], tr.attrs["data-indicator"]): tr for tr in rows}
        assert set(shown) == set(zip(expected["area_code"], expected["indicator"])), code
        for r in expected.itertuples():
            tr = shown[(r.area_code, r.indicator)]
            d = digits(r.indicator)
            assert tr.attrs["data-area-level"] == r.area_level
            assert tr.find("td", class_="estimate").clean() == nl(r.estimate, d)
            assert tr.find("td", class_="ci").clean() == interval(r.ci_lower, r.ci_upper, d)
            assert tr.find("td", class_="inhabitants").clean() == nl(r.inhabitants, 0)
            # what the flag rests on, with the direct figure when the respondents carry it
            basis = tr.find("td", class_="basis").clean()
            assert basis.startswith(FLAG_BASIS[r.flag_basis]), (r.area_code, basis)
            if r.flag_basis != "model":
                assert basis.endswith(f"gemiddelde eigen respondenten {nl(r.direct_estimate, d)}")
            elif r.n_respondents == 0:
                assert basis.endswith("signaal zonder eigen respondenten, na te gaan, geen bevinding")


def test_wijk_charts_show_every_wijk_of_the_gemeente(written, gemeenten, published):
    flagged_gemeente = published(
        "select gemeente_code, count(*) as n from monitor.monitor_below_gemeente where edition = ? group by 1 order by 2 desc",
        [EDITION],
    )["gemeente_code"].iloc[0]
    wijken = published(
        """select area_code, indicator, suppressed, below_gemeente from monitor.monitor_small_area_estimates
           where edition = ? and gemeente_code = ? and area_level = 'wijk'""",
        [EDITION, flagged_gemeente],
    )
    doc = page(written, flagged_gemeente)
    for ind in HEADLINE:
        figure = doc.by_id(f"wijken-{ind}")
        assert figure is not None and figure.tag == "figure"
        labels = {t.clean().rstrip(" *") for t in figure.find_all("text", class_="row-label")}
        assert labels == set(wijken.loc[wijken["indicator"] == ind, "area_code"])
        flagged = set(wijken.loc[(wijken["indicator"] == ind) & wijken["below_gemeente"], "area_code"])
        # titles read "<code>, <name>: <figure>"
        drawn_red = {g.find("title").clean().split(":")[0].split(",")[0] for g in figure.find_all("g", class_="signalering")}
        assert drawn_red == flagged


def test_charts_are_inline_svg_with_text_and_captions(written, gemeenten):
    code = gemeenten.loc[gemeenten["gemeente_code"] != TINY_GEMEENTE, "gemeente_code"].iloc[0]
    doc = page(written, code)
    figures = doc.find_all("figure")
    assert {f.attrs["id"] for f in figures} >= {"veerkracht-grafiek", "hulpbronnen-grafiek", "typologie-grafiek"}
    for figure in figures:
        assert figure.attrs.get("aria-label")
        assert figure.find("figcaption").clean()
        svg = figure.find("svg")
        assert svg is not None and svg.attrs["role"] == "img" and svg.attrs["aria-label"]
        assert len(svg.find_all("text")) >= 3  # labels stay text (no outlines, no bitmap)
    resilience = doc.by_id("veerkracht-grafiek")
    assert len(resilience.find_all("line")) >= 6  # an interval per area and indicator


def test_pages_are_self_contained(written):
    for path in written[1].iterdir():
        html = path.read_text(encoding="utf-8")
        doc = parse(path)
        assert not doc.find_all("script") and not doc.find_all("link") and not doc.find_all("img")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), path.name
        assert "@import" not in html
        # the maps' hatch and dots are patterns in the SVG itself: url(#...) and nothing else
        assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", html)), path.name
        assert doc.find("style") is not None


def test_suppressed_gemeente_gets_a_page_that_explains_and_shows_no_figure(written, published):
    rows = published(
        "select * from monitor.monitor_area_estimates where edition = ? and area_level = 'gemeente' and area_code = ?",
        [EDITION, TINY_GEMEENTE],
    )
    assert len(rows) > 0 and rows["suppressed"].all() and rows["estimate"].isna().all()
    doc = page(written, TINY_GEMEENTE)
    assert doc.by_id("gemeente-naam").clean() == rows["area_name"].iloc[0]
    notice = doc.by_id("onderdrukt")
    assert notice is not None and SUPPRESSED_EXPLANATION in notice.clean()
    assert doc.by_id("kerncijfers") is None
    # every gemeente cell says why it is not shown; region and province stay for comparison
    gemeente_row = doc.by_id("veerkracht-tabel").find("tr", data_area_level="gemeente")
    assert [c.clean() for c in gemeente_row.find_all("td")] == ["onderdrukt (minder dan 10 respondenten)"] * 2
    assert doc.by_id("veerkracht-tabel").find("tr", data_area_level="provincie").find("td", class_="estimate")
    for table in ("hulpbronnen-tabel", "typologie-tabel"):
        for tr in doc.by_id(table).find("tbody").find_all("tr"):
            assert tr.find_all("td")[0].classes() == {"suppressed"}, table
    chart = doc.by_id("veerkracht-grafiek")
    assert not chart.find_all("g", class_="gemeente")  # no gemeente point is drawn
    assert any("onderdrukt" in t.clean() for t in chart.find_all("text", class_="note"))
    below = doc.by_id("onder-gemeente")
    assert below.find("svg") is None and below.by_id("signaleringen") is None
    assert SUPPRESSED_EXPLANATION in below.clean()
    assert doc.by_id("respondenten").clean() == "minder dan 10 respondenten"
    index_row = parse(written[1] / "index.html").find("tr", data_gemeente=TINY_GEMEENTE)
    assert len(index_row.find_all("td", class_="suppressed")) == 2


def test_trend_says_there_is_no_previous_edition(written, gemeenten):
    for code in gemeenten["gemeente_code"]:
        trend = page(written, code).by_id("trend")
        assert trend.by_id("geen-vorige-editie") is not None
        assert "geen vorige editie" in trend.clean().lower()


def test_no_respondent_id_in_any_file(written, built_demo):
    ids = set(pd.read_csv(built_demo.landing / str(EDITION) / "survey.csv", dtype=str)["resp_id"])
    assert ids and all(ID_PATTERN.fullmatch(i) for i in ids)
    for path in written[1].iterdir():
        assert not set(ID_PATTERN.findall(path.read_text(encoding="utf-8"))) & ids, path.name


def test_progress_and_timing(written, gemeenten):
    summary, out, lines = written
    n = len(gemeenten)
    # a line every 10 gemeenten, then the summary
    assert lines[:-1] == [line for line in lines if re.search(rf": \d+/{n} gemeenten", line)]
    assert len(lines) == (n - 1) // 10 + 1
    assert f"{n + 1} files" in lines[-1] and str(out) in lines[-1]
    assert summary.seconds > 0  # reported; how long it may take is a benchmark's business, not a test's


def test_a_failed_run_leaves_the_previous_factsheets(built_demo, written, tmp_path):
    out = tmp_path / "factsheets" / str(EDITION)
    shutil.copytree(written[1], out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with duckdb.connect(str(built_demo.duckdb_path), read_only=True) as conn:
        data = gather_edition(conn, EDITION)

    def fail(_line: str) -> None:  # a real failure half-way (after 10 gemeenten)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_factsheet_files(data, out, progress=fail)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in out.parent.iterdir()] == [str(EDITION)]  # no temporary folder left


# -- issue 16: the gemeente beside its own size class in its own regio; who is resilient ------
@pytest.fixture(scope="module")
def size_classes(published) -> pd.DataFrame:
    """Each gemeente's size class and regio_grootteklasse code, derived here from the seeds and
    the CBS inhabitants (named gemeenten first, else the highest threshold reached), not from
    the table the pages read."""
    frame = published(
        """select r.gemeente_code, r.corop_code, r.inhabitants, n.size_class as named
           from staging.stg_cbs__kwb_regions as r
           left join reference.size_class_gemeenten as n using (gemeente_code)
           where r.edition = ? and r.region_type = 'gemeente'""",
        [EDITION],
    )
    thresholds = published("select size_class, min_inhabitants from reference.size_classes where min_inhabitants is not null")
    ranked = thresholds.sort_values("min_inhabitants", ascending=False)

    def size_class(row) -> str:
        if isinstance(row.named, str):
            return row.named
        return next(t.size_class for t in ranked.itertuples() if t.min_inhabitants <= row.inhabitants)

    frame["size_class"] = [size_class(r) for r in frame.itertuples()]
    frame["code"] = frame["corop_code"] + "_" + frame["size_class"]
    frame["peers"] = frame.groupby("code")["gemeente_code"].transform("count")
    return frame.set_index("gemeente_code")


def test_factsheet_compares_the_gemeente_with_its_size_class_in_its_regio(written, gemeenten, published, size_classes):
    est = published(
        """select area_code, area_name, indicator, estimate, ci_lower, ci_upper, n_respondents, suppressed
           from monitor.monitor_area_estimates where edition = ? and area_level = 'regio_grootteklasse'""",
        [EDITION],
    ).set_index(["area_code", "indicator"])
    short = dict(published("select size_class, short_label from reference.size_classes").itertuples(index=False))
    checked = alone = 0
    for g in gemeenten.itertuples():
        expected = size_classes.loc[g.gemeente_code]
        doc = page(written, g.gemeente_code)
        named = doc.by_id("grootteklasse")
        assert named is not None, g.gemeente_code
        assert named.attrs["data-area-code"] == expected.code and named.clean() == short[expected.size_class]
        tr = doc.by_id("veerkracht-tabel").find("tr", data_area_level="regio_grootteklasse")
        assert tr.find("th").clean().startswith(est.loc[(expected.code, "veerkracht_score"), "area_name"])
        for ind in HEADLINE:
            row = est.loc[(expected.code, ind)]
            if row.suppressed:
                assert tr.find("td", class_="suppressed", data_indicator=ind) is not None
                continue
            d = digits(ind)
            assert tr.find("td", class_="estimate", data_indicator=ind).clean() == nl(row.estimate, d)
            assert tr.find("td", class_="ci", data_indicator=ind).clean() == interval(row.ci_lower, row.ci_upper, d)
            assert tr.find("td", class_="n", data_indicator=ind).clean() == nl(row.n_respondents, 0)
            checked += 1
        # drawn in the chart (a triangle per indicator), and in the resources table
        chart = doc.by_id("veerkracht-grafiek")
        points = chart.find_all("g", class_="regio_grootteklasse")
        assert len(points) == sum(not est.loc[(expected.code, i), "suppressed"] for i in HEADLINE)
        resources = doc.by_id("hulpbronnen-tabel")
        persoonlijk = est.loc[(expected.code, "persoonlijk")]
        cell = resources.find("tr", data_indicator="persoonlijk").find("td", data_indicator="regio_grootteklasse")
        if persoonlijk.suppressed:
            assert "suppressed" in cell.classes()
        else:
            assert cell.clean() == nl(persoonlijk.estimate, 1)
        # the only gemeente of its size class in the regio is told so, and not compared with itself
        note = doc.by_id("grootteklasse-noot")
        comparisons = " ".join(p.clean() for p in doc.find_all("p", class_="comparison"))
        phrase = f"de {short[expected.size_class]} in"
        if expected.peers == 1:
            alone += 1
            assert note is not None and "enige gemeente" in note.clean(), g.gemeente_code
            assert phrase not in comparisons
        else:
            assert note is None, g.gemeente_code
            if g.gemeente_code != TINY_GEMEENTE:
                assert phrase in comparisons, g.gemeente_code
    assert checked > 2 * len(gemeenten) - 8
    assert alone == (size_classes.loc[gemeenten["gemeente_code"], "peers"] == 1).sum() > 0


def _profile_index(out_dir: Path) -> Node:
    return parse(out_dir / "index.html").by_id("profielen")


def test_index_shows_who_is_resilient_as_a_chart(written, published):
    profiles = published(
        """select * from monitor.monitor_profiles where edition = ? and indicator = 'pct_veerkrachtig'
           order by characteristic_order, category_order""",
        [EDITION],
    )
    province = published(
        """select estimate from monitor.monitor_area_estimates
           where edition = ? and area_level = 'provincie' and indicator = 'pct_veerkrachtig'""",
        [EDITION],
    )["estimate"].iloc[0]
    section = _profile_index(written[1])
    assert section is not None and section.tag == "section"
    svg = section.by_id("profielen-grafiek")  # a chart per characteristic, side by side: read them all
    charts = svg.find_all("svg")
    assert charts and all(chart.attrs["role"] == "img" and chart.attrs["aria-label"] for chart in charts)
    # one panel per characteristic, titled with its Dutch label, in the codebook's order
    titles = [t.clean() for t in svg.find_all("text", class_="panel-title")]
    assert titles == list(dict.fromkeys(profiles["characteristic_label"]))
    assert len(titles) == 7 == len(charts)
    labels = [t.clean() for t in svg.find_all("text", class_="row-label")]
    assert labels == list(profiles["category_label"])
    # a point with its interval for every published category, its figures in the tooltip
    points = svg.find_all("g", class_="categorie")
    shown = profiles[~profiles["suppressed"]]
    assert len(points) == len(shown) > 20
    for g, r in zip(points, shown.itertuples()):
        assert g.find("line") is not None  # the interval
        title = g.find("title").clean()
        assert title.startswith(f"{r.characteristic_label}, {r.category_label}: {nl(r.estimate, 0)} ")
        assert f"95%-BI {interval(r.ci_lower, r.ci_upper, 0)}" in title
    notes = [t.clean() for t in svg.find_all("text", class_="note")]
    assert len(notes) == int(profiles["suppressed"].sum())
    references = [t.clean() for t in svg.find_all("text", class_="reference-label")]
    assert references == [f"Noord-Brabant {nl(province, 0)} %"] * len(titles)
    # the figures as a table, with the composition of the resilient and the less resilient
    table = section.by_id("profielen-tabel")
    for r in profiles.itertuples():
        tr = table.find("tr", data_characteristic=r.characteristic, data_category=r.category)
        assert tr is not None, (r.characteristic, r.category)
        if r.suppressed:
            assert tr.find("td", class_="suppressed", data_indicator="pct_veerkrachtig") is not None
        else:
            assert tr.find("td", class_="estimate", data_indicator="pct_veerkrachtig").clean() == nl(r.estimate, 0)
        if r.composition_suppressed:
            assert tr.find("td", class_="composition").clean().startswith("onderdrukt (samenstelling:")
            continue
        assert tr.find("td", class_="share-resilient").clean() == nl(r.share_among_resilient, 0)
        assert tr.find("td", class_="share-less-resilient").clean() == nl(r.share_among_less_resilient, 0)
        assert tr.find("td", class_="difference").clean().startswith(nl_signed(r.difference, 1))
        assert tr.find("td", class_="significance").clean() == ("ja" if r.significant else "nee")
    # the size classes within each regio under the regio in the index's table of areas
    within = parse(written[1] / "index.html").by_id("provincie-regios").find_all("tr", data_area_level="regio_grootteklasse")
    n = published(
        "select count(distinct area_code) as n from monitor.monitor_area_estimates where edition = ? and area_level = 'regio_grootteklasse'",
        [EDITION],
    )["n"].iloc[0]
    assert len(within) == n > 0


def test_suppressed_profile_category_is_said_not_drawn(built_demo, tmp_path):
    """A category withheld by disclosure control (set here on the gathered figures: the demo's
    categories are large) keeps its row in the chart with the reason, and no point."""
    from dataclasses import replace

    from monitor.factsheets.data import Figure

    with duckdb.connect(str(built_demo.duckdb_path), read_only=True) as conn:
        data = gather_edition(conn, EDITION)
    target = next(c for c in data.profiles if c.characteristic == "education" and c.category == "onbekend")
    withheld = Figure(None, None, None, 4, True, "fewer than 10 respondents")
    data.profiles = [
        replace(c, figures={**c.figures, "pct_veerkrachtig": withheld}) if c is target else c for c in data.profiles
    ]
    write_factsheet_files(data, tmp_path / str(EDITION), progress=lambda _: None)
    svg = _profile_index(tmp_path / str(EDITION)).by_id("profielen-grafiek")  # its charts, one per characteristic
    assert [t.clean() for t in svg.find_all("text", class_="note")] == ["onderdrukt: minder dan 10 respondenten"]
    titles = [g.find("title").clean() for g in svg.find_all("g", class_="categorie")]
    assert not [t for t in titles if t.startswith(f"{target.characteristic_label}, {target.category_label}:")]
    assert len(titles) == sum(1 for c in data.profiles if c.figures["pct_veerkrachtig"].shown)
    assert "niet getekend" in _profile_index(tmp_path / str(EDITION)).by_id("profielen-grafiek").find("figcaption").clean()


# -- trend, on a copy with an earlier edition --------------------------------------------------
PREVIOUS = EDITION - 2


@pytest.fixture(scope="module")
def with_trend(built_demo, tmp_path_factory):
    """A copy of the demo warehouse with an earlier edition and trend rows added by hand: one
    ordinary gemeente with a significant change, the merged Meierijstad (harmonised) with a
    significant change in a resource besides, one trend cell suppressed, and one gemeente left
    without trend rows."""
    root = tmp_path_factory.mktemp("trend")
    path = root / "warehouse.duckdb"
    shutil.copy(built_demo.duckdb_path, path)
    codes = built_demo.query(
        "select distinct area_code from monitor.monitor_area_estimates where area_level = 'gemeente' and edition = ? "
        "and not suppressed order by 1",
        [EDITION],
    )["area_code"]
    ordinary = next(c for c in codes if c != "GM1948")
    without = next(c for c in codes if c not in (ordinary, "GM1948"))
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            f"insert into monitor.monitor_area_estimates select * replace ({PREVIOUS} as edition) "
            "from monitor.monitor_area_estimates where edition = ?",
            [EDITION],
        )
        conn.execute("delete from monitor.monitor_trend")
        columns = [c for c, *_ in conn.execute("describe monitor.monitor_trend").fetchall()]
        rows = []
        for code, comparability in [
            (ordinary, "same boundaries"),
            ("GM1948", "harmonised: earlier respondents placed in the later gemeenten"),
        ]:
            for k, (ind, lo, hi) in enumerate(
                [
                    ("veerkracht_score", 0.12, 0.62),
                    ("pct_veerkrachtig", -9.5, 3.25),
                    ("sociaal", -0.41, 0.22),
                    ("happiness", -0.5, -0.1),  # significant: in Meierijstad's resource table
                ]
            ):
                diff = (lo + hi) / 2
                suppressed = code == ordinary and ind == "happiness"
                rows.append(
                    {
                        "area_level": "gemeente",
                        "area_code": code,
                        "area_name": code,
                        "indicator": ind,
                        "edition_from": PREVIOUS,
                        "edition_to": EDITION,
                        "estimate_from": 6.5 + k,
                        "estimate_to": 6.5 + k + diff,
                        "difference": None if suppressed else diff,
                        "ci_lower": None if suppressed else lo,
                        "ci_upper": None if suppressed else hi,
                        "significant": lo > 0 or hi < 0,
                        "n_from": 120,
                        "n_to": 95,
                        "comparability": comparability,
                        "suppressed": suppressed,
                        "suppression_reason": "fewer than 10 respondents in an edition" if suppressed else None,
                    }
                )
        frame = pd.DataFrame(rows).reindex(columns=columns)
        conn.register("new_trend", frame)
        conn.execute("insert into monitor.monitor_trend select * from new_trend")
        summary = write_factsheets(conn, EDITION, root / "factsheets" / str(EDITION), progress=lambda _: None)
    return summary, frame, ordinary, without


def test_trend_shows_difference_interval_and_significance(with_trend):
    summary, frame, ordinary, _ = with_trend
    doc = parse(summary.out_dir / f"{ordinary}.html")
    trend = doc.by_id("trend")
    assert trend.by_id("geen-vorige-editie") is None
    assert "Zelfde gemeentegrenzen" in trend.by_id("vergelijkbaarheid").clean()
    expected = frame[frame["area_code"] == ordinary].set_index("indicator")
    main, other = trend.by_id("trend-tabel"), trend.by_id("trend-tabel-hulpbronnen")
    for ind in ["veerkracht_score", "pct_veerkrachtig", "sociaal"]:
        r = expected.loc[ind]
        tr = main.find("tr", data_indicator=ind)
        dd = digits(ind, difference=True)
        assert tr.find("td", class_="difference").clean() == nl_signed(r["difference"], dd)
        assert tr.find("td", class_="ci").clean() == interval(r["ci_lower"], r["ci_upper"], dd, sign=True)
        assert tr.find("td", class_="significance").clean() == ("ja" if r["significant"] else "nee")
        assert ("significant" in tr.classes()) == bool(r["significant"])
        assert tr.find("td", class_="n").clean() == "120 → 95"
    assert main.find("tr", data_indicator="veerkracht_score").find("td", class_="difference").clean() == "+0,37"
    suppressed = other.find("tr", data_indicator="happiness")
    assert (
        suppressed.find("td", class_="suppressed").clean()
        == "onderdrukt (minder dan 10 respondenten in een van beide edities)"
    )
    chart = trend.by_id("trend-grafiek")
    assert chart.find("svg") is not None
    red = [g.find("title").clean() for g in chart.find_all("g", class_="significant")]
    assert len(red) == 1 and red[0].startswith("Veerkrachtscore")
    assert "1 significante verandering sinds 2016" in doc.by_id("kerncijfers").clean()


def test_trend_of_a_merged_gemeente_explains_comparability(with_trend):
    summary, *_ = with_trend
    note = parse(summary.out_dir / "GM1948.html").by_id("vergelijkbaarheid").clean()
    for predecessor in ["Schijndel", "Sint-Oedenrode", "Veghel"]:
        assert predecessor in note
    assert "herberekend" in note and f"grenzen van {EDITION}" in note


def test_trend_without_rows_for_the_gemeente_says_so(with_trend):
    summary, _, _, without = with_trend
    trend = parse(summary.out_dir / f"{without}.html").by_id("trend")
    assert trend.by_id("geen-cijfers") is not None and f"Geen vergelijking met {PREVIOUS}" in trend.clean()


def test_the_key_figure_counts_the_changes_the_trend_table_shows(with_trend):
    """The count of significant changes in the key figures is the count of the rows marked
    significant in the trend table on the page, and names its indicators; a significant change
    in a resource (the table the reader opens) is counted beside that table, not in the key figure."""
    summary, frame, ordinary, _ = with_trend
    for code in (ordinary, "GM1948"):
        doc = parse(summary.out_dir / f"{code}.html")
        visible = doc.by_id("trend-tabel").find_all("tr", class_="significant")
        key = doc.by_id("kern-trend")
        assert int(key.find("span", class_="count").clean()) == len(visible), code
        words = key.find("small").clean()
        for tr in doc.by_id("trend-tabel").find("tbody").find_all("tr"):
            assert tr.find("th").clean() in words, (code, tr.find("th").clean())  # the indicators counted
        hidden = doc.by_id("trend-tabel-hulpbronnen").find_all("tr", class_="significant")
        assert f"waarvan {len(hidden)} significant" in doc.by_id("trend-hulpbronnen-samenvatting").clean()
    meierijstad = parse(summary.out_dir / "GM1948.html")
    assert len(meierijstad.by_id("trend-tabel-hulpbronnen").find_all("tr", class_="significant")) == 1  # happiness
    assert meierijstad.by_id("kern-trend").find("span", class_="count").clean() == "1"  # not 2


# -- the Dagster asset -------------------------------------------------------------------------
def test_asset_writes_the_factsheets_of_its_partition(built_demo, tmp_path):
    from dagster import DagsterInstance, materialize
    from dagster_duckdb import DuckDBResource

    from orchestration.assets.factsheets import FACTSHEETS_KEY, factsheets_gemeenten
    from orchestration.partitions import EDITION_PARTITIONS_NAME

    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(built_demo.duckdb_path, warehouse / "warehouse.duckdb")
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(EDITION_PARTITIONS_NAME, [str(EDITION)])
    with monitor_env(built_demo.landing, warehouse):
        result = materialize(
            [factsheets_gemeenten],
            partition_key=str(EDITION),
            resources={"warehouse": DuckDBResource(database=str(warehouse / "warehouse.duckdb"))},
            instance=instance,
        )
        out = factsheet_dir(EDITION)
    assert result.success
    assert out == warehouse / "factsheets" / str(EDITION)
    (event,) = result.get_asset_materialization_events()
    materialization = event.materialization
    assert materialization.asset_key == FACTSHEETS_KEY and materialization.partition == str(EDITION)
    meta = materialization.metadata
    assert meta["index"].value == str(out / "index.html") and (out / "index.html").exists()
    assert meta["pages"].value == len(list(out.glob("GM*.html"))) > 50
    assert meta["seconds"].value > 0
    flagged = built_demo.query(
        "select count(distinct (area_level, area_code)) as n from monitor.monitor_below_gemeente where edition = ?", [EDITION]
    )
    assert meta["flagged_areas_total"].value == flagged["n"].iloc[0]  # each wijk or buurt once
    assert "| gemeente_code |" in meta["flagged_areas_top10"].value
    text = " ".join(str(v.value) for v in meta.values())
    assert not ID_PATTERN.search(text)


# -- issue 17: names and maps --------------------------------------------------------------------
def _title(node: Node) -> str:
    return node.find("title").clean()


def _map_shapes(figure: Node) -> dict[str, Node]:
    return {p.attrs["data-code"]: p for p in figure.find("svg").find_all("path") if "data-code" in p.attrs}


@pytest.fixture(scope="module")
def boundaries(published) -> pd.DataFrame:
    frame = published(
        "select area_level, area_code, area_name, gemeente_code from monitor.monitor_area_boundaries where edition = ?",
        [EDITION],
    )
    assert set(frame["area_level"]) == {"gemeente", "wijk", "buurt"}, "the demo writes boundaries of every level"
    return frame


def test_index_shows_a_province_map_per_headline_indicator(written, published, boundaries):
    doc = parse(written[1] / "index.html")
    estimates = published(
        "select area_code, area_name, indicator, estimate, ci_lower, ci_upper, n_respondents, suppressed "
        "from monitor.monitor_area_estimates where edition = ? and area_level = 'gemeente'",
        [EDITION],
    ).set_index(["area_code", "indicator"])
    drawn_codes = set(boundaries.loc[boundaries["area_level"] == "gemeente", "area_code"])
    for ind in HEADLINE:
        figure = doc.by_id(f"kaart-provincie-{ind}")
        assert figure is not None and figure.tag == "figure" and figure.find("figcaption").clean()
        found = _map_shapes(figure)
        assert set(found) == drawn_codes
        for code, path in found.items():
            r = estimates.loc[(code, ind)]
            if r["suppressed"]:
                assert "suppressed" in path.classes() and path.attrs["fill"].startswith("url(#")
                assert _title(path).startswith(f"{r['area_name']}: onderdrukt (")
            else:
                d = digits(ind)
                unit = " %" if ind.startswith("pct_") else ""
                expected = f"{r['area_name']}: {nl(r['estimate'], d)}{unit} (95%-BI {interval(r['ci_lower'], r['ci_upper'], d)}; n = {nl(r['n_respondents'], 0)})"
                assert _title(path) == expected
        assert "suppressed" in found[TINY_GEMEENTE].classes()  # 3 respondents: hatched
        legend = figure.find("g", class_="legend")
        assert legend is not None and len(legend.find_all("g", class_="legend-class")) == 5
        assert legend.find("g", class_="legend-marker").clean().startswith("Noord-Brabant ")


def test_every_gemeente_page_maps_its_buurten_and_wijken(written, gemeenten, published, boundaries):
    small = published(
        """select area_level, area_code, area_name, gemeente_code, suppressed, below_gemeente
           from monitor.monitor_small_area_estimates where edition = ? and indicator = 'veerkracht_score'""",
        [EDITION],
    )
    outlined_somewhere = 0
    for code in gemeenten["gemeente_code"]:
        doc = page(written, code)
        for level, plural in [("buurt", "buurten"), ("wijk", "wijken")]:
            figure = doc.by_id(f"kaart-{plural}")
            assert figure is not None and figure.tag == "figure", (code, level)
            found = _map_shapes(figure)
            rows = small[(small["gemeente_code"] == code) & (small["area_level"] == level)].set_index("area_code")
            in_boundaries = boundaries[(boundaries["area_level"] == level) & (boundaries["gemeente_code"] == code)]
            assert set(found) == set(in_boundaries["area_code"]) >= set(rows.index), (code, level)
            for area, path in found.items():
                r = rows.loc[area]
                assert _title(path).startswith(f"{r['area_name']}: "), (area, _title(path))
                assert ("suppressed" in path.classes()) == bool(r["suppressed"]), area
                assert ("outlined" in path.classes()) == bool(r["below_gemeente"]), area
                outlined_somewhere += bool(r["below_gemeente"])
            if figure.find("g", class_="legend-marker") is not None:
                assert figure.find("g", class_="legend-marker").clean().startswith("gemeente ")
    assert outlined_somewhere > 0, "the demo flags some areas: some maps outline them"


def test_flagged_table_names_the_wijken_and_buurten(written, gemeenten, published):
    below = published("select gemeente_code, area_code, indicator, area_name from monitor.monitor_below_gemeente where edition = ?", [EDITION])
    assert below["area_name"].notna().all()
    for r in below.itertuples():
        tr = page(written, r.gemeente_code).by_id("signaleringen").find("tr", data_area_code=r.area_code, data_indicator=r.indicator)
        assert tr.find("td", class_="name").clean() == r.area_name


def test_without_boundaries_the_pages_say_the_map_is_missing_and_why(built_demo, tmp_path):
    from monitor.maps import Boundaries

    with duckdb.connect(str(built_demo.duckdb_path), read_only=True) as conn:
        data = gather_edition(conn, EDITION)
    data.boundaries = Boundaries(EDITION)  # as an edition without <edition>/boundaries/ is published
    write_factsheet_files(data, tmp_path / str(EDITION), progress=lambda _: None)
    code = data.gemeenten[0].code
    for name in ("index.html", f"{code}.html"):
        section = parse(tmp_path / str(EDITION) / name).by_id("kaarten")
        assert not section.find_all("svg") and not section.find_all("figure"), name
        (note,) = section.find_all("p", class_="no-map")  # one note for both maps
        text = note.clean()
        assert f"voor editie {EDITION} zijn geen gebiedsgrenzen aangeleverd" in text, text
        assert f"{EDITION}/boundaries/" in text and f"monitor fetch-cbs-map --year {EDITION}" in text


def test_kaartenboek_writes_the_maps_and_lists_them_in_the_manifest(built_demo, tmp_path):
    import json

    from monitor.exports import kaartenboek

    with duckdb.connect(str(built_demo.duckdb_path), read_only=True) as conn:
        data = gather_edition(conn, EDITION)
    export = tmp_path / "exports" / str(EDITION)
    export.mkdir(parents=True)
    (export / "manifest.json").write_text(json.dumps({"edition": EDITION, "files": {"x.csv": 1}}), encoding="utf-8")
    lines: list[str] = []
    summary = kaartenboek.write_maps(data, kaartenboek.work_folder(export), png="province", progress=lines.append)
    files = kaartenboek.install(summary, export)
    svgs = sorted(p.name for p in (export / "kaarten").glob("*.svg"))
    assert svgs == sorted(["provincie_veerkracht_score.svg", "provincie_pct_veerkrachtig.svg",
                           *[f"{g.code}_buurten.svg" for g in data.gemeenten]])  # fmt: skip
    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    on_disk = {f"kaarten/{p.name}": p.stat().st_size for p in (export / "kaarten").iterdir()}
    assert files == on_disk and {k: v for k, v in manifest["files"].items() if k.startswith("kaarten/")} == on_disk
    assert manifest["files"]["x.csv"] == 1  # the tabellenboek's entries stay
    book = manifest["kaartenboek"]
    assert [m["file"] for m in book["maps"]] == [f"kaarten/{n}" for n in ["provincie_veerkracht_score.svg", "provincie_pct_veerkrachtig.svg"]] + [f"kaarten/{g.code}_buurten.svg" for g in data.gemeenten]
    assert book["missing"] == {}
    pngs = sorted(p.name for p in (export / "kaarten").glob("*.png"))
    if book["png"]["note"].startswith("no PNG"):  # no libcairo on this machine: said, not hidden
        assert pngs == [] and "libcairo" in book["png"]["note"]
    else:
        assert pngs == ["provincie_pct_veerkrachtig.png", "provincie_veerkracht_score.png"]
        assert all((export / "kaarten" / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in pngs)
    # the file is the page's map: the same shapes and titles
    root = ET.fromstring((export / "kaarten" / "GM0855_buurten.svg").read_text(encoding="utf-8").split("?>", 1)[1])
    codes = {p.get("data-code") for p in root.iter("{http://www.w3.org/2000/svg}path") if p.get("data-code")}
    assert codes == set(data.boundaries.of_level("buurt", "GM0855"))
    assert not [p for p in export.parent.iterdir() if p.name.startswith(".")]  # the work folder is gone
    assert any(line.startswith(f"kaartenboek {EDITION}: {len(svgs)} maps") for line in lines)


# -- what readers see: one count, headers per number, legends as drawn, one label, legible ------
def _leaf_headers(table: Node) -> list[Node]:
    """The header cells right above the body's columns: the first row's cells that span both
    header rows and the second row's cells, in column order (colspans followed)."""
    rows = table.find("thead").find_all("tr")
    if len(rows) == 1:
        return rows[0].find_all("th")
    second = iter(rows[1].find_all("th"))
    leaves = []
    for th in rows[0].find_all("th"):
        if th.attrs.get("rowspan") == "2":
            leaves.append(th)
        else:
            leaves += [next(second) for _ in range(int(th.attrs.get("colspan", "1")))]
    assert next(second, None) is None, "a second-row header without a group above it"
    return leaves


def _columns(tr: Node) -> int:
    return sum(int(cell.attrs.get("colspan", "1")) for cell in tr.children if isinstance(cell, Node) and cell.tag in ("th", "td"))


@pytest.mark.parametrize(
    "page_name,table_id",
    [("index.html", "provincie-regios"), ("index.html", "gemeenten"), ("index.html", "profielen-tabel"),
     ("GM0772.html", "veerkracht-tabel"), ("GM0772.html", "hulpbronnen-tabel"), ("GM0772.html", "typologie-tabel")],
)  # fmt: skip
def test_every_number_has_its_own_header(written, page_name, table_id):
    """Estimate, interval and n each under a header of their own (one header over three numbers
    left a reader and a screen reader guessing which is which)."""
    table = parse(written[1] / page_name).by_id(table_id)
    leaves = _leaf_headers(table)
    body = [tr for tr in table.find("tbody").find_all("tr") if "group" not in tr.classes()]
    assert body and all(_columns(tr) == len(leaves) for tr in body), table_id
    assert not [th.clean() for th in table.find("thead").find_all("th") if "·" in th.clean()]  # no "schatting · 95%-BI · n"
    groups = [th for th in table.find("thead").find_all("tr")[0].find_all("th") if th.attrs.get("scope") == "colgroup"]
    assert groups, table_id
    texts = [th.clean() for th in leaves]
    assert texts.count("95%-BI") == len(groups)
    for row in body:  # the cells under "Schatting" and "95%-BI" are the estimate and its interval
        cells = [c for c in row.children if isinstance(c, Node) and c.tag in ("th", "td")]
        position = 0
        for cell in cells:
            header = texts[position]
            if "estimate" in cell.classes():
                assert header in ("Schatting", "Aandeel"), (table_id, header)
            if "ci" in cell.classes():
                assert header == "95%-BI", (table_id, header)
            position += int(cell.attrs.get("colspan", "1"))


def test_the_wijk_chart_legend_says_what_the_chart_draws(written, gemeenten, published):
    """Red means flagged, by the page's own rule: the red wijken of each chart are the wijken of
    the flagged table; the legend shows red only where red is drawn and the caption words it by
    the rule; where none is red, the caption says why (no flag, or a gemeente below the province,
    where the rule does not apply)."""
    from monitor.presentation.flagged import FLAGGED_SHORT

    est = published(
        """select area_level, area_code, indicator, estimate from monitor.monitor_area_estimates
           where edition = ? and area_level in ('gemeente', 'provincie') and indicator in ('veerkracht_score', 'pct_veerkrachtig')
             and not suppressed""",
        [EDITION],
    )
    province = dict(est.loc[est["area_level"] == "provincie", ["indicator", "estimate"]].itertuples(index=False))
    own = {(r.area_code, r.indicator): r.estimate for r in est[est["area_level"] == "gemeente"].itertuples()}
    seen = {"red": 0, "none flagged": 0, "below the province": 0}
    for code in gemeenten["gemeente_code"]:
        doc = page(written, code)
        table = doc.by_id("signaleringen")
        listed = {
            (tr.attrs["data-area-code"], tr.attrs["data-indicator"])
            for tr in (table.find_all("tr") if table else []) if tr.attrs.get("data-area-level") == "wijk"
        }  # fmt: skip
        for ind in HEADLINE:
            figure = doc.by_id(f"wijken-{ind}")
            if figure is None:
                continue
            red = {g.find("title").clean().split(":")[0].split(",")[0] for g in figure.find_all("g", class_="signalering")}
            assert red == {area for area, i in listed if i == ind}, (code, ind)
            legend = [t.clean() for t in figure.find_all("text", class_="legend")]
            caption = figure.find("figcaption").clean()
            assert (FLAGGED_SHORT[:1].upper() + FLAGGED_SHORT[1:] in legend) == bool(red), (code, ind, legend)
            assert ("Rood: wijk gesignaleerd" in caption) == bool(red), (code, ind)
            if red:
                assert "scoort op of boven de provincie" in caption and own[(code, ind)] >= province[ind]
                seen["red"] += 1
            elif (code, ind) in own and own[(code, ind)] < province[ind]:
                assert "niet van toepassing" in caption, (code, ind, caption)
                seen["below the province"] += 1
            else:
                assert "Geen wijk rood: geen wijk is gesignaleerd" in caption, (code, ind, caption)
                seen["none flagged"] += 1
    assert all(seen.values()), seen  # the demo has every case


def test_flagged_areas_are_counted_one_way_and_said_so_everywhere(written, gemeenten, built_demo):
    """One definition (presentation.flagged): each wijk or buurt flagged on at least one
    headline indicator counts once, on the page's key figure, above its table and on the index,
    as in the published view; every count has the definition in words beside it."""
    import duckdb as db

    from monitor.presentation.flagged import flagged_count_words, flagged_definition, read_flagged_areas

    with db.connect(str(built_demo.duckdb_path), read_only=True) as conn:
        flagged = read_flagged_areas(conn, EDITION)
    distinct = built_demo.query(
        """select gemeente_code, count(distinct (area_level, area_code)) as n from monitor.monitor_below_gemeente
           where edition = ? group by 1""",
        [EDITION],
    ).set_index("gemeente_code")["n"]
    assert flagged.by_gemeente == distinct.to_dict() and flagged.rows > flagged.total  # some flagged on both
    index = parse(written[1] / "index.html")
    assert flagged_definition() in index.by_id("signaleringen-telling").clean()
    assert written[0].flagged == {code: (name, flagged.of(code)) for code, (name, _) in written[0].flagged.items()}
    both = 0
    for code in gemeenten["gemeente_code"]:
        doc = page(written, code)
        n = flagged.of(code)
        assert int(index.find("tr", data_gemeente=code).find("td", class_="flagged").clean()) == n
        key = doc.by_id("kern-signaleringen")
        if key is None:  # a suppressed gemeente has no key figures
            continue
        assert int(key.find("span", class_="count").clean()) == n
        assert key.find("small").clean() == flagged_count_words()
        table = doc.by_id("signaleringen")
        if table is None:
            assert n == 0
            continue
        rows = [tr for tr in table.find_all("tr") if "data-area-code" in tr.attrs]
        assert len({tr.attrs["data-area-code"] for tr in rows}) == n
        assert table.find("caption").clean().startswith(f"Gesignaleerde wijken en buurten: {n} (elk gebied één keer geteld; {len(rows)} ")
        assert doc.by_id("signaleringen-telling").clean() == flagged_definition()
        both += len(rows) > n
    assert both, "the demo has an area flagged on both indicators: the row count and the area count differ"


def test_one_label_for_the_resilience_score_from_the_codebook(written):
    """The codebook's label is the one name readers see: the factsheets no longer override it."""
    from monitor.codebook import load_codebook
    from monitor.presentation.labels import indicator_label

    label = load_codebook().scales["veerkracht_score"].label
    assert label == indicator_label("veerkracht_score") == "Veerkrachtscore"
    doc = page(written, "GM0772")
    assert doc.by_id("kerncijfers").find("div", data_indicator="veerkracht_score").find("dt").clean() == label
    assert label in [t.clean() for t in doc.by_id("veerkracht-grafiek").find_all("text", class_="panel-title")]
    for path in written[1].iterdir():
        assert "Sociale veerkracht (coping)" not in path.read_text(encoding="utf-8"), path.name


def test_drawings_keep_their_text_legible_and_tables_scroll_in_their_card(written):
    """Without a browser (tests/test_browser_pages.py measures in one): every chart and map says
    how narrow the page may draw it so that its smallest text stays at 11 px or more, narrow
    enough for a 390 px phone's card (348 px); every table sits in a box that scrolls sideways."""
    from monitor.presentation.svg_text import MIN_SCREEN_PX

    for name in ("index.html", "GM0772.html", f"{TINY_GEMEENTE}.html"):
        doc = parse(written[1] / name)
        svgs = doc.find_all("svg")
        assert svgs, name
        for svg in svgs:
            width = float(svg.attrs["viewbox"].split()[2])  # html.parser lowercases attribute names
            style = dict(part.split(":") for part in svg.attrs["style"].split(";"))
            narrowest = float(style["min-width"].removesuffix("px"))
            smallest = min(float(t.attrs["font-size"]) for t in svg.find_all("text"))
            assert smallest * narrowest / width >= MIN_SCREEN_PX and narrowest <= 348, (name, svg.attrs.get("aria-label"))
        for table in doc.find_all("table"):
            assert "table-scroll" in table.parent.classes(), (name, table.attrs.get("id"))
