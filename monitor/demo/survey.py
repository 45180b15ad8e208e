"""The raw survey file of a demo edition: respondents' answers with realistic gaps.

Every column, code and missing code comes from the codebook. Gaps: each item is missing for
1-4 % of respondents (as one of the item's missing codes, sometimes as an empty cell), about
1 % of respondents broke off and left most items open, about 3 % gave no buurt, and a few
did not answer the coded background questions: each coded background column (sex, education,
household, paid work) is blanked for BACKGROUND_MISSING_SHARE of the respondents at random,
independently of the person and of the other columns (missing completely at random), so that
"no answer" is a random subsample and the known categories' expected means stay the true
ones (profiles.py: the truth is per true category).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitor.codebook import Codebook

ITEM_MISSING_RANGE = (0.01, 0.04)
BREAK_OFF_SHARE = 0.01
BREAK_OFF_ITEM_MISSING = 0.8
EMPTY_SHARE_OF_MISSING = 0.25  # the rest of the missing answers carry a missing code
NO_BUURT_SHARE = 0.03
BACKGROUND_MISSING_SHARE = 0.01
RESP_ID_DIGITS = 7
DESIGN_WEIGHT_DECIMALS = 4


def _with_missing(codes: np.ndarray, missing: np.ndarray, missing_codes: list[int], rng) -> pd.Series:
    """Replace the answers where `missing` by a missing code or (sometimes) an empty cell."""
    out = pd.array(codes, dtype="Int64")
    if not missing.any():
        return pd.Series(out)
    n = int(missing.sum())
    if missing_codes:
        replacement = pd.array(rng.choice(missing_codes, n), dtype="Int64")
        replacement[rng.random(n) < EMPTY_SHARE_OF_MISSING] = pd.NA
    else:
        replacement = pd.array([pd.NA] * n, dtype="Int64")
    out[missing] = replacement
    return pd.Series(out)


def resp_ids(n: int, rng: np.random.Generator, edition: int | None = None) -> np.ndarray:
    """Opaque unique ids: 'R' + 7 digits drawn without replacement (no order to exploit).
    With `edition`, ids come from the edition's own block of a million (first digit 1 for
    2016, 3 for 2018, 5 for 2020), so they are unique across editions too."""
    low = 10 ** (RESP_ID_DIGITS - 1)
    if edition is None:
        numbers = rng.choice(9 * low, n, replace=False) + low
    else:
        numbers = rng.choice(low, n, replace=False) + (1 + (edition - 2016) % 9) * low
    return np.array([f"R{x}" for x in numbers])


def item_missingness(n_respondents: int, n_items: int, rng) -> np.ndarray:
    """(respondent x item) mask of missing answers."""
    rates = rng.uniform(*ITEM_MISSING_RANGE, n_items)
    mask = rng.random((n_respondents, n_items)) < rates
    break_off = rng.random(n_respondents) < BREAK_OFF_SHARE
    mask[break_off] |= rng.random((break_off.sum(), n_items)) < BREAK_OFF_ITEM_MISSING
    return mask


def survey_frame(
    codebook: Codebook,
    edition: int,
    respondents: pd.DataFrame,
    answers: dict[str, np.ndarray],
    design_weight: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Assemble the survey in codebook column order. `respondents` has gemeente_code,
    buurt_code and the simulated background attributes (named like the codebook columns);
    `answers` maps every item to its complete answer codes."""
    n = len(respondents)
    buurt = respondents["buurt_code"].to_numpy().astype(object)
    buurt[rng.random(n) < NO_BUURT_SHARE] = None
    given = {
        "resp_id": resp_ids(n, rng, edition),
        "edition": np.full(n, edition),
        "gemeente_code": respondents["gemeente_code"].to_numpy(),
        "buurt_code": buurt,
        "design_weight": np.round(design_weight, DESIGN_WEIGHT_DECIMALS),
    }
    columns = {}
    for col in codebook.background:
        if col.name in given:
            columns[col.name] = given[col.name]
        elif col.name in respondents:
            values = respondents[col.name].to_numpy()
            missing = rng.random(n) < BACKGROUND_MISSING_SHARE if col.missing else np.zeros(n, bool)
            columns[col.name] = _with_missing(values, missing, sorted(col.missing), rng)
        else:
            raise NotImplementedError(f"codebook background column {col.name!r} is not simulated by the demo generator")
    mask = item_missingness(n, len(codebook.items), rng)
    for position, item in enumerate(codebook.items):
        columns[item.name] = _with_missing(answers[item.name], mask[:, position], sorted(item.response.missing), rng)
    frame = pd.DataFrame({name: pd.Series(values).reset_index(drop=True) for name, values in columns.items()})
    return frame.iloc[rng.permutation(n)].reset_index(drop=True)


SURVEY_FORMATS = ("csv", "sav", "parquet")
SAV_TIMESTAMP_OFFSET = 92  # creation date (9 bytes) and time (8 bytes) in the .sav file header


def write_survey_csv(frame: pd.DataFrame, path) -> None:
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", na_rep="")


def write_survey_parquet(frame: pd.DataFrame, path) -> None:
    """Codebook types: strings (missing = null), nullable integers, floats."""
    frame.to_parquet(path, index=False, engine="pyarrow")


def sav_metadata(codebook: Codebook) -> tuple[dict[str, str], dict[str, dict[int, str]]]:
    """Column labels (item wording, background description) and value labels (answers and
    missing codes) of every codebook column, as SPSS carries them."""
    labels, value_labels = {}, {}
    for col in codebook.background:
        labels[col.name] = col.description or col.name
        if col.values or col.missing:
            value_labels[col.name] = {int(k): str(v) for k, v in {**col.values, **col.missing}.items()}
    for item in codebook.items:
        labels[item.name] = item.wording
        value_labels[item.name] = {
            int(k): str(v) for k, v in {**item.response.values, **item.response.missing}.items()
        }
    return labels, value_labels


def write_survey_sav(frame: pd.DataFrame, path, codebook: Codebook, edition: int) -> None:
    """SPSS .sav with the codebook's value labels (missing codes included, as labelled values,
    not as SPSS user-missing, so a reader sees the same codes as in the CSV) and the item
    wording as variable labels. The header's creation time is fixed (1 January of the
    edition) so that the same arguments give the same bytes."""
    import pyreadstat  # only needed for SPSS output

    labels, value_labels = sav_metadata(codebook)
    columns, formats = {}, {}
    for name in frame.columns:
        kind = codebook.column_type(name)
        values = frame[name]
        if kind == "string":
            text = values.astype(object).where(values.notna(), "").astype(str)
            columns[name] = text
            formats[name] = f"A{max(1, int(text.str.len().max()))}"
        else:
            columns[name] = pd.to_numeric(values).astype(float)
            formats[name] = "F10.4" if kind == "float" else f"F{max(1, len(str(int(columns[name].max()))))}.0"
    pyreadstat.write_sav(
        pd.DataFrame(columns),
        str(path),
        column_labels=[labels.get(name, name) for name in frame.columns],
        variable_value_labels={k: v for k, v in value_labels.items() if k in frame.columns},
        variable_format=formats,
        row_compress=True,
    )
    with open(path, "r+b") as handle:
        handle.seek(SAV_TIMESTAMP_OFFSET)
        handle.write(f"01 Jan {edition % 100:02d}00:00:00".encode("ascii"))


def write_survey(frame: pd.DataFrame, path, survey_format: str, codebook: Codebook, edition: int) -> None:
    if survey_format == "csv":
        write_survey_csv(frame, path)
    elif survey_format == "parquet":
        write_survey_parquet(frame, path)
    elif survey_format == "sav":
        write_survey_sav(frame, path, codebook, edition)
    else:
        raise ValueError(f"survey_format must be one of {SURVEY_FORMATS}, got {survey_format!r}")
