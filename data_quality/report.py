"""The data-quality report of a Dagster run: one static HTML page per validation plus an index,
rendered by the project's own Jinja2 templates from the scrubbed GX validation result, which is
stored beside its page as JSON.

Why not GX's Data Docs site builder: its pages load Bootstrap, jQuery, bootstrap-table and Font
Awesome from CDNs (great_expectations ships only its own CSS, fonts and logos), so on a server
without internet the index (a bootstrap-table filled by script) lists nothing and a failed
expectation looks like a passed one; and each build re-rendered the index from every stored
result (~0.2 s per validation). These pages carry their CSS inline, need no script and no
network, and say passed / FAILED in words as well as in colour.

Layout of `<docs_dir>/` (several checks of one run, possibly in parallel processes, share it):
    index.html                every validation written so far
    validations.json          the index's entries, appended under a file lock
    validations/<name>.html   one validation's page
    validations/<name>.json   its GX validation result (scrubbed), for whoever needs the raw result
"""

from __future__ import annotations

import datetime
import json
import os
import re
import string
import urllib.parse
from collections import Counter
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from data_quality.counting import source_lines
from data_quality.expectations import Expect
from data_quality.outcome import percent_text

TEMPLATES = Path(__file__).resolve().parent / "templates"
INDEX = "index.html"
ENTRIES = "validations.json"
PAGES = "validations"
LOCK_FILE = ".data_docs.lock"
MAX_SEGMENT = 80  # ASCII characters of a suite or batch name in a page's name (file systems allow 255 bytes)


@dataclass(frozen=True)
class Entry:
    """One validation as the index lists it (a line of validations.json)."""

    page: str  # relative to the report folder, with "/"
    suite: str
    batch: str
    validated_at: str
    success: bool
    evaluated: int
    unsuccessful: int
    rows: int


@dataclass(frozen=True)
class Check:
    """One expectation as its validation's page shows it."""

    success: bool
    meaning: str  # in the words of the contract (the spec's meaning)
    rule: str  # in GX's words, e.g. "sex values must belong to this set: 1 2."
    column: str
    unexpected: str
    observed: str
    values: list[tuple[str, int]]  # unexpected values with their counts (none for private columns)
    lines: list[int]
    error: str | None
    hidden: str | None  # why values are not shown, when the column is private


def path_segment(name: str) -> str:
    """A suite or batch name as part of one file name: a "/" would nest folders, a leading "."
    hide the page; ASCII only, so that the length in characters bounds the length in bytes."""
    return re.sub(r"[^\w.()\- ]+", "_", name, flags=re.ASCII).strip(" .")[:MAX_SEGMENT] or "unnamed"


def write_validation(docs_dir: Path, validation, batch_name: str, row_count: int) -> tuple[Path, Path]:
    """Write the page and JSON of one (already scrubbed) GX validation result and add it to the
    folder's index; returns the page and the index."""
    now = datetime.datetime.now(datetime.UTC)
    validation.meta.update(
        batch_name=batch_name, run_name=docs_dir.name, validated_at=f"{now:%Y-%m-%d %H:%M:%S} UTC", row_count=row_count
    )
    name = f"{now:%Y%m%dT%H%M%S%fZ}-{path_segment(validation.suite_name)}-{path_segment(batch_name)}"
    page = docs_dir / PAGES / f"{name}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.with_suffix(".json").write_text(json.dumps(validation.to_json_dict(), indent=1), encoding="utf-8")
    checks = [_check(evr) for evr in _page_order(validation.results)]
    html = _render("validation.html.j2", v=validation, meta=validation.meta, checks=checks, page_json=f"{name}.json")
    page.write_text(html, encoding="utf-8")
    return page, _add_to_index(docs_dir, _entry(validation, page.relative_to(docs_dir).as_posix()))


def _add_to_index(docs_dir: Path, entry: Entry) -> Path:
    """Append the entry and re-render the index from the (small) list of entries. Locked, so that
    a parallel check cannot write the index from a list that misses this validation."""
    from filelock import FileLock  # a dependency of dagster, cheap to import

    index, listing = docs_dir / INDEX, docs_dir / ENTRIES
    with FileLock(docs_dir / LOCK_FILE):
        entries = [*_entries(listing), entry]
        _write_atomic(listing, json.dumps([asdict(e) for e in entries], indent=1))
        failed = sum(not e.success for e in entries)
        _write_atomic(index, _render("index.html.j2", run=docs_dir.name, entries=entries, failed=failed))
    return index


def _entries(listing: Path) -> list[Entry]:
    return [Entry(**e) for e in json.loads(listing.read_text(encoding="utf-8"))] if listing.exists() else []


def _write_atomic(path: Path, text: str) -> None:
    """A reader (a browser, another check) sees the old file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _entry(validation, page: str) -> Entry:
    stats = validation.statistics
    return Entry(
        page=page,
        suite=validation.suite_name,
        batch=validation.meta["batch_name"],
        validated_at=validation.meta["validated_at"],
        success=bool(validation.success),
        evaluated=stats["evaluated_expectations"],
        unsuccessful=stats["unsuccessful_expectations"],
        rows=validation.meta["row_count"],
    )


def _page_order(results) -> list:
    """Failures first, then in the order of the specs (GX returns its own order)."""
    return sorted(results, key=lambda evr: (bool(evr.success), evr.expectation_config.meta.get("spec", 0)))


def _check(evr) -> Check:
    config, result = evr.expectation_config, evr.result or {}
    meta = config.meta or {}
    return Check(
        success=bool(evr.success),
        meaning=meta.get("meaning", ""),
        rule=_rule(config),
        column=Expect(config.type, "", dict(config.kwargs)).column or "",
        unexpected=_unexpected(result),
        observed=_plain(result["observed_value"])[:300] if "observed_value" in result else "",
        values=_values(result),
        lines=source_lines(result),
        error=_error(evr.exception_info or {}),
        hidden=meta.get("values_hidden"),
    )


def _error(info: dict) -> str | None:
    """Why GX could not evaluate the expectation (e.g. a missing column). GX 1.x keeps one entry
    per metric it failed to compute, or a single flat entry: the distinct messages of either."""
    entries = list(info.values()) if "raised_exception" not in info else [info]
    messages = [e.get("exception_message") for e in entries if isinstance(e, dict) and e.get("raised_exception")]
    return "; ".join(dict.fromkeys(m for m in messages if m)) or None


def _rule(config) -> str:
    """The expectation in GX's own words (its prescriptive renderer, the one Data Docs used); its
    type and arguments where GX has no such renderer or it fails."""
    try:
        text = " ".join(_template_text(block) for block in _prescriptive_blocks(config)).strip()
    except Exception:  # a renderer bug must not cost the report; the arguments say the same
        text = ""
    arguments = ", ".join(f"{k}={_plain(v)}" for k, v in config.kwargs.items() if k != "batch_id" and v is not None)
    return text or f"{config.type}({arguments})"


def _prescriptive_blocks(config) -> list:
    from great_expectations.expectations.registry import get_renderer_impl
    from great_expectations.render.components import LegacyRendererType

    impl = get_renderer_impl(object_name=config.type, renderer_type=LegacyRendererType.PRESCRIPTIVE)
    if impl is None:
        return []
    blocks = impl.renderer(configuration=config, runtime_configuration={})
    return blocks if isinstance(blocks, list) else [blocks]


def _template_text(block) -> str:
    """A GX string template ("$column values must be unique.") with its parameters filled in."""
    template = getattr(block, "string_template", None) or {}
    params = {k: _plain(v) for k, v in (template.get("params") or {}).items()}
    return string.Template(template.get("template", "")).safe_substitute(params)


def _plain(value) -> str:
    if isinstance(value, (list, tuple, set)):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _unexpected(result: dict) -> str:
    count, total = result.get("unexpected_count"), result.get("element_count")
    if count is None:
        return ""
    percent = result.get("unexpected_percent")
    share = f" ({percent_text(percent)} of {total:,} rows)" if percent is not None and total else ""
    return f"{count} unexpected values found{share}"


def _values(result: dict) -> list[tuple[str, int]]:
    """The unexpected values with how often each occurs (GX counts them in SUMMARY results)."""
    counts = result.get("partial_unexpected_counts")
    if counts:
        return [(_plain(c["value"]), c["count"]) for c in counts if isinstance(c, dict)]
    return list(Counter(_plain(v) for v in result.get("partial_unexpected_list") or []).items())


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
    )
    environment.filters["href"] = urllib.parse.quote  # page names keep spaces and brackets of batch names
    return environment


@cache
def _css() -> Markup:
    """The style sheet, inlined as it is: autoescaping would turn its child selectors (">") into "&gt;"."""
    return Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))


def _render(template: str, **values) -> str:
    return _environment().get_template(template).render(css=_css(), **values)
