"""Staging suites: what the dbt staging models of the survey must hold after recoding
(methodology section 1) and against the CBS layout of the edition.

- `item_answers_suite` guards staging.stg_survey__item_answers (one row per respondent and
  item): missing codes became NULL, every valid answer got a recoded value inside the
  recoded range of its item, one answer per respondent and item.
- `respondents_suite` guards staging.stg_survey__respondents (one row per respondent): no
  orphan gemeente or buurt codes against staging.stg_cbs__kwb_regions of the same edition,
  resp_id present and unique, a positive design weight.

Both are meant for ONE edition's rows (the checks are partitioned by edition): uniqueness of
resp_id is uniqueness within the edition. Ranges and codes come from the codebook, never
from this file. resp_id is private: no meaning names a respondent, and the runner must be
called with private_columns=codebook.private_columns (the per-item uniqueness expectations
are on the resp_id column itself, so their examples are withheld)."""

from __future__ import annotations

from collections.abc import Sequence

from data_quality.expectations import Expect, in_set, not_null
from monitor.codebook import Codebook, ResponseScale

SUITE_ITEM_ANSWERS = "staging_item_answers"
SUITE_RESPONDENTS = "staging_respondents"

ITEM_ANSWER_COLUMNS = ["edition", "resp_id", "item", "code", "answer_status", "recoded_value", "score_0_10"]
SUITE_ITEM_GRAIN = "staging_item_answers_grain"

# The answers are validated as their distinct patterns with a row count, not row by row: the
# expectations are about value domains (codes, statuses, recoded ranges), which a pattern
# breaks exactly when one of its rows does, and a national survey has ~14 million answers
# (pandas + GX on those took minutes and 7 GiB). Failures then count patterns; `answers`
# says how many answers each pattern stands for. The grain is checked per item in SQL.
ANSWER_PATTERNS_SQL = """
    select edition, item, code, answer_status, recoded_value, score_0_10,
           resp_id is null as resp_id_missing, count(*) as answers
    from {relation}
    group by all
    order by all
"""
ITEM_GRAIN_SQL = """
    select item, count(*) as answers, count(distinct resp_id) as respondents,
           count(resp_id) - count(distinct resp_id) as duplicate_answers
    from {relation}
    group by item
    order by item
"""
RESPONDENT_COLUMNS = ["edition", "resp_id", "gemeente_code", "buurt_code", "design_weight"]
ANSWER_STATUSES = ["valid", "missing"]  # 'invalid' = a code the codebook does not know: the raw suite blocks it
SCORE_RANGE = (0.0, 10.0)  # codebook: scores rescale the recoded range linearly to 0..10


def _pandas(condition: str) -> dict:
    return {"row_condition": condition, "condition_parser": "pandas"}


def _items_by_response(codebook: Codebook) -> dict[str, tuple[ResponseScale, list[str]]]:
    """Items grouped by their answer scale (items of one answer scale share valid codes,
    missing codes and recoded range: reversing keeps the range)."""
    groups: dict[str, tuple[ResponseScale, list[str]]] = {}
    for item in codebook.items:
        groups.setdefault(item.response.name, (item.response, []))[1].append(item.name)
    return groups


def _item_names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{len(items)} items ({', '.join(items[:3])}{', ...' if len(items) > 3 else ''})"


def item_grain_suite(codebook: Codebook) -> list[Expect]:
    """Expectations on ITEM_GRAIN_SQL over one edition's staged answers: each respondent
    answers each item at most once (grain edition x resp_id x item), every item is there."""
    return [
        Expect(
            "ExpectColumnValuesToBeBetween",
            "each respondent answers each item at most once (grain edition x resp_id x item)",
            {"column": "duplicate_answers", "min_value": 0, "max_value": 0},
        ),
        Expect(
            "ExpectColumnDistinctValuesToEqualSet",
            f"every codebook item has staged answers ({len(codebook.item_names)} items)",
            {"column": "item", "value_set": list(codebook.item_names)},
        ),
    ]


def item_answers_suite(codebook: Codebook) -> list[Expect]:
    """Expectations on ANSWER_PATTERNS_SQL over one edition's rows of
    staging.stg_survey__item_answers (columns edition, resp_id, item, code, answer_status,
    recoded_value, score_0_10): one row per distinct pattern, with `answers` counting them.

    `code` is the answer as delivered (missing codes such as 8/9/99 stay visible there on
    purpose); `recoded_value` and `score_0_10` are what the monitor computes with, and those
    must be NULL for a missing code."""
    specs = [
        Expect(
            "ExpectTableColumnsToMatchSet",
            "the staged answers have their key, code, status and recoded columns",
            {"column_set": [c for c in ITEM_ANSWER_COLUMNS if c != "resp_id"], "exact_match": False},
        ),
        *(not_null(column, f"{column} is never empty (part of the key of an answer)") for column in ("edition", "item")),
        in_set("resp_id_missing", [False], "resp_id is never empty (part of the key of an answer)"),
        not_null("answer_status"),
        in_set("item", codebook.item_names, f"item is a codebook item ({len(codebook.item_names)} items)"),
        in_set(
            "answer_status",
            ANSWER_STATUSES,
            "answer_status is valid or missing (no answer the codebook does not know reached staging)",
        ),
        Expect(
            "ExpectColumnValuesToNotBeNull",
            "a valid answer has a recoded value",
            {"column": "recoded_value", **_pandas('answer_status == "valid"')},
        ),
        Expect(
            "ExpectColumnValuesToBeNull",
            "a missing answer (missing code or empty) has no recoded value",
            {"column": "recoded_value", **_pandas('answer_status == "missing"')},
        ),
        Expect(
            "ExpectColumnValuesToBeNull",
            "a missing answer (missing code or empty) has no score",
            {"column": "score_0_10", **_pandas('answer_status == "missing"')},
        ),
        Expect(
            "ExpectColumnValuesToBeBetween",
            f"score_0_10 lies within {SCORE_RANGE[0]:g}..{SCORE_RANGE[1]:g}",
            {"column": "score_0_10", "min_value": SCORE_RANGE[0], "max_value": SCORE_RANGE[1]},
        ),
    ]
    for name, (scale, items) in _items_by_response(codebook).items():
        of_items = f"item in {items!r}"
        lo, hi = scale.recoded_range()
        specs += [
            Expect(
                "ExpectColumnValuesToBeInSet",
                f"a valid answer to {_item_names(items)} (answer scale {name}) is one of its valid codes {sorted(scale.values)}",
                {"column": "code", "value_set": sorted(scale.values), **_pandas(f'{of_items} and answer_status == "valid"')},
            ),
            Expect(
                "ExpectColumnValuesToBeBetween",
                f"the recoded value of {_item_names(items)} (answer scale {name}, recode {scale.recode}) lies within {lo}..{hi}",
                {"column": "recoded_value", "min_value": lo, "max_value": hi, **_pandas(of_items)},
            ),
        ]
        if scale.missing:
            codes = sorted(scale.missing)
            specs.append(
                Expect(
                    "ExpectColumnValuesToBeNull",
                    f"missing codes {codes} of {_item_names(items)} (answer scale {name}) are NULL after recoding",
                    {"column": "recoded_value", **_pandas(f"{of_items} and code in {codes!r}")},
                )
            )
    return specs


def respondents_suite(
    layout_buurt_codes: Sequence[str],
    layout_gemeente_codes: Sequence[str],
    codebook: Codebook | None = None,
) -> list[Expect]:
    """Expectations on one edition's rows of staging.stg_survey__respondents
    (columns edition, resp_id, gemeente_code, buurt_code, design_weight; with `codebook`
    also its coded background columns and age).

    The layouts are the buurt and gemeente codes of staging.stg_cbs__kwb_regions for the same
    edition (region_type 'buurt' and 'gemeente'). With `codebook`, the coded background
    columns must hold only valid codes (their missing codes became NULL)."""
    buurten, gemeenten = sorted(set(layout_buurt_codes)), sorted(set(layout_gemeente_codes))
    specs = [
        Expect(
            "ExpectTableColumnsToMatchSet",
            "the staged respondents have their key, area and weight columns",
            {"column_set": RESPONDENT_COLUMNS, "exact_match": False},
        ),
        not_null("edition"),
        not_null("resp_id", "resp_id is never empty"),
        Expect("ExpectColumnValuesToBeUnique", "resp_id is unique within the edition", {"column": "resp_id"}),
        not_null("gemeente_code"),
        in_set(
            "gemeente_code",
            gemeenten,
            f"gemeente_code is a gemeente of the edition's CBS layout ({len(gemeenten)} gemeenten; no orphan gemeente codes)",
        ),
        in_set(
            "buurt_code",
            buurten,
            f"buurt_code, where given, is a buurt of the edition's CBS layout ({len(buurten)} buurten; no orphan buurt codes)",
        ),
        not_null("design_weight", "every respondent has a design weight (1 when the file had none)"),
        Expect(
            "ExpectColumnValuesToBeBetween",
            "design_weight > 0",
            {"column": "design_weight", "min_value": 0, "strict_min": True},
        ),
    ]
    if codebook is not None:
        for col in codebook.background:
            if col.private:
                continue
            if col.values:
                specs.append(
                    in_set(
                        col.name,
                        sorted(col.values),
                        f"{col.name} is a valid code {sorted(col.values)} or NULL (missing codes {sorted(col.missing)} became NULL)",
                    )
                )
            if col.min is not None or col.max is not None:
                specs.append(
                    Expect(
                        "ExpectColumnValuesToBeBetween",
                        f"{col.name} between {col.min} and {col.max}",
                        {"column": col.name, "min_value": col.min, "max_value": col.max},
                    )
                )
    return specs
