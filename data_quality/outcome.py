"""What a suite run found, in a form that Dagster metadata, logs and the CLI summary can show.
Plain dataclasses: no Great Expectations import needed to read or render them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    meaning: str
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: str | None = None
    examples: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # lines in the delivered file, where known
    error: str | None = None
    hidden: str | None = None  # why values are not shown (private or identifier-like), when they are not

    def explain(self) -> str:
        """One line a data engineer can act on."""
        where = f"column {self.column}: " if self.column else ""
        if self.error:
            return f"{where}could not be evaluated ({self.error})"
        parts = [f"{where}expected {self.meaning}"]
        if self.unexpected_count:
            share = f" ({percent_text(self.unexpected_percent)})" if self.unexpected_percent is not None else ""
            parts.append(f"{self.unexpected_count} row(s) violate it{share}")
        if self.observed_value is not None:
            parts.append(f"observed {self.observed_value}")
        if self.examples:
            parts.append(f"e.g. {', '.join(self.examples)}")
        if self.rows:
            parts.append(f"line(s) {', '.join(map(str, self.rows))}")
        if self.hidden:
            parts.append(self.hidden)
        return "; ".join(parts)


def percent_text(percent: float) -> str:
    """A share that never reads 0.0 % for rows that are there: 2 of 9,952 rows is "0.02 %",
    fewer than 1 in 100,000 "< 0.001 %"."""
    if percent <= 0:
        return "0 %"
    if percent < 0.001:
        return "< 0.001 %"
    if percent < 1:
        return f"{percent:.2g} %"
    return f"{percent:.1f} %"


@dataclass
class SuiteOutcome:
    suite_name: str
    batch_name: str
    row_count: int
    outcomes: list[ExpectationOutcome]
    docs_path: str | None = None  # this validation's GX Data Docs page, when written
    docs_index: str | None = None  # the index.html listing every validation written to the same folder
    note: str | None = None  # what to do beyond the failures, e.g. when the header does not fit the content

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def summary_line(self) -> str:
        ok = len(self.outcomes) - len(self.failures)
        verdict = "passed" if self.success else "FAILED"
        return f"{self.suite_name} on {self.batch_name}: {verdict} ({ok}/{len(self.outcomes)} expectations met, {self.row_count} rows)"

    def failure_text(self) -> str:
        lines = [f"- {o.explain()}" for o in self.failures]
        return "\n".join(lines + ([self.note] if self.note and lines else []))

    def to_markdown(self) -> str:
        lines = [
            f"**{self.summary_line()}**",
            "",
            "| result | expectation | column | unexpected | observed / examples |",
            "|---|---|---|---|---|",
        ]
        for o in sorted(self.outcomes, key=lambda o: o.success):
            seen = o.error or o.observed_value or ", ".join(o.examples) or ("" if o.success else o.hidden)
            unexpected = "" if o.unexpected_count is None else str(o.unexpected_count)
            lines.append(
                f"| {'pass' if o.success else '**FAIL**'} | {o.meaning} | {o.column or ''} | {unexpected} | {_cell(seen)} |"
            )
        if self.note and not self.success:
            lines += ["", self.note]
        if self.docs_path:
            lines += ["", f"GX Data Docs of this validation: `{self.docs_path}`"]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {**asdict(self), "success": self.success}


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")[:200]
