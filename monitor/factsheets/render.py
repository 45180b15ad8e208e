"""HTML of the factsheets: Jinja2 templates (autoescaped) with the CSS inlined, so that every
page is one self-contained file that works from file:// without network or JavaScript."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from monitor.factsheets.page import Factsheet, IndexPage

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
CSS = HERE / "factsheet.css"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )


@cache
def stylesheet() -> Markup:
    """The pages' CSS, to inline in a <style> element as it is (marked safe: autoescaping
    would turn the quotes of an attribute selector into entities, which CSS does not read)."""
    return Markup(CSS.read_text(encoding="utf-8"))


def render_factsheet(sheet: Factsheet) -> str:
    return _environment().get_template("factsheet.html.j2").render(fs=sheet, css=stylesheet())


def render_index(page: IndexPage) -> str:
    return _environment().get_template("index.html.j2").render(page=page, css=stylesheet())
