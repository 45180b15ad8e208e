"""Disclosure control on every published mart (methodology section 6): no figure rests on
fewer than the minimum number of respondents, suppressed cells publish nothing, and no
respondent-level column reaches a mart."""

from dataclasses import dataclass

from data_quality.expectations import Expect
from data_quality.outcome import ExpectationOutcome
from monitor.codebook import Codebook

MIN_RESPONDENTS = 10  # dbt var min_respondents_per_cell


@dataclass(frozen=True)
class PublishedMart:
    table: str  # monitor.<table>
    n_column: str  # respondents the figures rest on
    figure_columns: tuple[str, ...]  # published figures that must be NULL when suppressed
    has_suppressed_flag: bool = True


def mart_suite(mart: PublishedMart) -> list[Expect]:
    few = {"row_condition": f"{mart.n_column} < {MIN_RESPONDENTS}", "condition_parser": "pandas"}
    specs = [
        Expect("ExpectColumnToExist", f"{mart.n_column} says what each figure rests on", {"column": mart.n_column}),
    ]
    specs += [
        Expect("ExpectColumnValuesToBeNull", f"{column} is not published on fewer than {MIN_RESPONDENTS} respondents", {"column": column, **few})
        for column in mart.figure_columns
    ]
    if mart.has_suppressed_flag:
        specs.append(
            Expect(
                "ExpectColumnValuesToBeBetween",
                f"every published (not suppressed) cell rests on at least {MIN_RESPONDENTS} respondents",
                {"column": mart.n_column, "min_value": MIN_RESPONDENTS, "row_condition": "suppressed == False", "condition_parser": "pandas"},
            )
        )
    return specs


def respondent_level_columns(codebook: Codebook) -> set[str]:
    """Columns that would carry respondent-level data: ids, answers and personal background.
    Area codes and the edition are not respondent-level."""
    area_or_edition = {"edition", "gemeente_code", "buurt_code"}
    return {*codebook.private_columns, *codebook.item_names, *(c.name for c in codebook.background)} - area_or_edition


def no_respondent_columns(columns: list[str], codebook: Codebook) -> ExpectationOutcome:
    found = sorted(set(columns) & respondent_level_columns(codebook))
    return ExpectationOutcome(
        expectation="no_respondent_level_columns",
        column=None,
        meaning="no respondent-level column (ids, answers, personal background) in a published table",
        success=not found,
        unexpected_count=len(found),
        observed_value=", ".join(found) if found else "none",
    )
