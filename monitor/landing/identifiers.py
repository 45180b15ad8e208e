"""Which delivered values may never be shown: one rule for every message that could echo values
of a survey file (the loader's errors, the GX outcomes with their check metadata, the GX Data Docs).

Respondent ids are private (methodology section 6). Hiding the column *named* resp_id is not
enough: when a delivery's header names the columns wrongly (resp_id swapped with age or with
gemeente_code), the ids sit under another name. So the values of a column are hidden when

- the codebook marks the column private (resp_id), or
- its content looks like identifiers: most of its values match the pattern of a private column
  of the codebook, or its non-empty values are nearly all distinct (UNIQUE_SHARE) and most of
  them do not fit the column's own codebook contract (its pattern, codes, type and range; a
  column the codebook does not know, such as an extra column, has no contract to fit).

And when a codebook column other than a private one holds identifier-like content, the header
does not fit the content: which column holds the ids can then not be told from the header, so no
value of any column of that file is shown (only names, counts and line numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from monitor.codebook import Codebook

UNIQUE_SHARE = 0.9  # distinct / non-empty values at or above this: unique-ish, as ids are
APPROX_MARGIN = 0.9  # approx_count_distinct's estimate may be this much below the exact count
FIT_SHARE = 0.5  # at least this share of values fitting the column's own contract: its own content
# columns the loaders add (file name, line number, edition folder): not delivered values
BOOKKEEPING_PREFIX = "_"
CODEBOOK_FILE = "monitor/codebook/survey_codebook.yaml"


@dataclass(frozen=True)
class HiddenValues:
    """Per column of a frame, why its values are not shown (absent: they may be shown)."""

    reasons: dict[str, str]
    misnamed: tuple[str, ...] = ()  # codebook columns holding identifier-like content
    advice: str = ""  # what to do, when the header does not fit the content

    def reason(self, columns) -> str | None:
        """Why values of (any of) `columns` are not shown, or None when they may be."""
        return next((self.reasons[c] for c in columns if c in self.reasons), None)


def _numbers(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text, errors="coerce")


def _fits(text: pd.Series, column: str, codebook: Codebook) -> pd.Series | None:
    """Per value: does it fit the column's own codebook contract? None when the column has no
    contract that tells ids apart (not a codebook column, or text without a pattern)."""
    if column not in codebook.column_names:
        return None
    if codebook.column_type(column) == "string":
        pattern = codebook.background_column(column).pattern
        return text.str.match(pattern) if pattern else None
    numbers = _numbers(text)
    codes = codebook.allowed_codes(column) if column in codebook.item_names else None
    if column not in codebook.item_names:
        spec = codebook.background_column(column)
        codes = sorted({*spec.values, *spec.missing}) or None
        if codes is None:
            low = spec.min if spec.min is not None else spec.min_exclusive
            ok = numbers.notna()
            if low is not None:
                ok &= numbers >= low
            if spec.max is not None:
                ok &= numbers <= spec.max
            return ok
    return numbers.isin(codes)


def _private_patterns(codebook: Codebook) -> list[str]:
    return [c.pattern for c in codebook.background if c.private and c.pattern]


def looks_like_identifiers(values: pd.Series, column: str, codebook: Codebook) -> bool:
    """Does the content of `column` look like identifiers (see the module docstring)?"""
    text = values.dropna().astype(str)
    text = text[text.str.strip() != ""]
    if text.empty:
        return False
    if any(text.str.match(p).mean() >= FIT_SHARE for p in _private_patterns(codebook)):
        return True
    if text.nunique() < UNIQUE_SHARE * len(text):
        return False
    fits = _fits(text, column, codebook)
    return fits is None or fits.mean() < FIT_SHARE


def _swap_hint(frame: pd.DataFrame, misnamed: list[str], codebook: Codebook) -> str:
    """Which private column looks swapped with the misnamed ones: one whose content is not
    unique-ish (ids are), named with its count of distinct values."""
    hints = []
    for private in codebook.private_columns:
        if private in frame.columns:
            text = frame[private].dropna().astype(str)
            if len(text) and text.nunique() < UNIQUE_SHARE * len(text):
                hints.append(
                    f"{private} holds {text.nunique()} distinct value(s) in {len(text)} rows, not ids: "
                    f"{private} and {', '.join(misnamed)} look swapped"
                )
    return f" ({'; '.join(hints)})" if hints else ""


def hidden_values(frame: pd.DataFrame, codebook: Codebook, columns: list[str] | None = None) -> HiddenValues:
    """The columns of a survey frame (as delivered, or as loaded into raw) whose values must not
    be shown, each with the reason a message can print instead of them. `columns`: all columns
    of the file when `frame` holds only those that can look like identifiers (see
    `hidden_values_in_table`)."""
    delivered = [c for c in (columns or frame.columns) if not str(c).startswith(BOOKKEEPING_PREFIX)]
    private = [c for c in delivered if c in codebook.private_columns]
    looking = [
        c
        for c in delivered
        if c not in private and c in frame.columns and looks_like_identifiers(frame[c], c, codebook)
    ]
    misnamed = [c for c in looking if c in codebook.column_names]
    reasons = {c: f"values not shown: {c} is private (respondent ids)" for c in private}
    if misnamed:
        names = ", ".join(misnamed)
        advice = (
            f"The header does not fit the content: column(s) {names} hold values that look like respondent ids"
            f"{_swap_hint(frame, misnamed, codebook)}, so no value of this file is shown. Check the header "
            f"against the codebook ({CODEBOOK_FILE}), correct the column names and deliver the file again."
        )
        shown = f"values not shown: the header does not fit the content (values like respondent ids in {names})"
        return HiddenValues({c: shown for c in delivered}, tuple(misnamed), advice)
    reasons |= {c: f"values not shown: {c} looks like respondent ids (nearly all distinct)" for c in looking}
    return HiddenValues(reasons)


def _text(column: str) -> str:
    """A column's values as the text `looks_like_identifiers` compares: empty means missing."""
    return f"nullif(trim(\"{column}\"::varchar), '')"


def hidden_values_in_table(conn, relation: str, codebook: Codebook) -> HiddenValues:
    """`hidden_values` of a survey table in DuckDB (`relation`: a select), reading into Python
    only the columns that can look like identifiers: the private ones, and those whose values
    are unique-ish or mostly match a private column's pattern (necessary conditions of
    `looks_like_identifiers`, counted in SQL; the rule itself is applied in Python as always)."""
    columns = [row[0] for row in conn.execute(f"describe {relation}").fetchall()]
    delivered = [c for c in columns if not c.startswith(BOOKKEEPING_PREFIX)]
    patterns = _private_patterns(codebook)
    measures = [
        f"count({_text(c)}), approx_count_distinct({_text(c)}), "
        + (
            ", ".join(f"count_if(regexp_matches({_text(c)}, '{p.replace(chr(39), chr(39) * 2)}'))" for p in patterns)
            or "0"
        )
        for c in delivered
    ]
    counts = conn.execute(f"select {', '.join(measures)} from ({relation})").fetchone() if delivered else ()
    width = 2 + max(len(patterns), 1)
    candidates = []
    for k, column in enumerate(delivered):
        present, distinct, *matching = counts[k * width : (k + 1) * width]
        # a prefilter: HyperLogLog's estimate errs by a few percent, so a margin keeps every column
        # whose exact count could reach the share (the rule itself counts exactly, in Python)
        unique_ish = present and distinct >= APPROX_MARGIN * UNIQUE_SHARE * present
        patterned = present and any(m >= FIT_SHARE * present for m in matching)
        if column in codebook.private_columns or unique_ish or patterned:
            candidates.append(column)
    quoted = ", ".join(f'"{c}"' for c in candidates)
    frame = conn.execute(f"select {quoted} from ({relation})").df() if candidates else pd.DataFrame()
    return hidden_values(frame, codebook, columns=columns)
