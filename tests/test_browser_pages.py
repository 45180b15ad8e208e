"""The pages for people in a real browser, on a laptop (1366 x 768) and a phone (390 x 844): a
gemeente factsheet, the index and a toetsingskader page, opened from disk in Debian's chromium
(Playwright, no browser download; launched as tests/test_browser.py does). On both screens the
page itself never scrolls sideways (a table scrolls in its own box), and no text of a chart or
a map is drawn smaller than 11 px: its font size times the scale at which the browser draws its
SVG. Screenshots go to tests/output/browser/ to be looked at."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.presentation.svg_text import MIN_SCREEN_PX
from tests.conftest import EDITION
from tests.test_browser import SCREENSHOTS, browser  # noqa: F401 (the module's chromium, or the reason it is skipped)

pytestmark = pytest.mark.pipeline

SCREENS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}

# what the browser drew: the page's width against the window's, and the smallest text of every
# drawing on screen (an SVG in a closed <details> is not drawn, so not measured)
MEASURE = """() => {
    const drawn = [];
    for (const svg of document.querySelectorAll('svg')) {
        const box = svg.getBoundingClientRect();
        const units = svg.viewBox.baseVal;
        if (!box.width || !units || !units.width) continue;
        const scale = box.width / units.width;
        const sizes = Array.from(svg.querySelectorAll('text')).map(t => parseFloat(t.getAttribute('font-size')) * scale);
        drawn.push({id: (svg.closest('figure') || svg).id, label: svg.getAttribute('aria-label'),
                    smallest: Math.min(...sizes), width: box.width});
    }
    const wide = Array.from(document.querySelectorAll('body *'))
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-scroll, figure'))
        .slice(0, 5).map(el => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`);
    return {scrollWidth: document.documentElement.scrollWidth, window: window.innerWidth, drawn, wide};
}"""


@pytest.fixture(scope="module")
def pages(built_demo) -> dict[str, Path]:
    """The three kinds of page, as the refresh wrote them: the gemeente with the most flagged
    rows (its wijk charts and table of flags are the widest parts of a factsheet)."""
    factsheets = built_demo.warehouse / "factsheets" / str(EDITION)
    flagged = built_demo.query(
        "select gemeente_code from monitor.monitor_below_gemeente where edition = ? group by 1 order by count(*) desc, 1 limit 1",
        [EDITION],
    )["gemeente_code"].iloc[0]
    assessments = sorted((built_demo.warehouse / "assessments" / str(EDITION)).glob("*.html"))
    assert assessments, "the demo landing zone has example projects: the refresh assesses them"
    return {
        "gemeente": factsheets / f"{flagged}.html",
        "index": factsheets / "index.html",
        "toetsingskader": assessments[0],
    }


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("kind", ["gemeente", "index", "toetsingskader"])
def test_page_fits_the_screen_and_its_drawings_stay_legible(browser, pages, kind, screen):  # noqa: F811 (imported fixture)
    viewport = SCREENS[screen]
    page = browser.new_page(viewport=viewport)
    try:
        page.goto(pages[kind].as_uri())
        page.locator("svg").first.wait_for()
        page.screenshot(path=SCREENSHOTS / f"pages_{kind}_{screen}.png", full_page=True)
        facts = page.evaluate(MEASURE)
    finally:
        page.close()
    assert facts["window"] == viewport["width"]
    assert facts["scrollWidth"] <= viewport["width"], (kind, screen, facts["scrollWidth"], facts["wide"])
    assert not facts["wide"], facts["wide"]
    assert len(facts["drawn"]) >= (2 if kind == "toetsingskader" else 4), facts["drawn"]  # charts and maps
    small = [d for d in facts["drawn"] if d["smallest"] < MIN_SCREEN_PX]
    assert not small, (kind, screen, small)
