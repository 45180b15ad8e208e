"""Disclosure control on every published mart (methodology section 6): no figure rests on
fewer than the minimum number of respondents, suppressed cells publish nothing, and no
respondent-level column reaches a mart."""

from data_quality.expectations import Expect
from data_quality.outcome import ExpectationOutcome
from monitor.codebook import Codebook, respondent_level_columns
from monitor.contract import MIN_RESPONDENTS_PER_CELL, PUBLISHED_TABLES, PublishedTable, WithheldFigures

MIN_RESPONDENTS = MIN_RESPONDENTS_PER_CELL  # monitor/contract.yaml (dbt: var min_respondents_per_cell)
# the published tables whose figures rest on respondents they count (monitor/contract.yaml)
DISCLOSED_TABLES = [table for table in PUBLISHED_TABLES.values() if table.disclosure]


def mart_suite(table: PublishedTable) -> list[Expect]:
    """Disclosure control of one published table, as monitor/contract.yaml describes it."""
    mart = table.disclosure
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
    for group in mart.withheld:
        specs += _withheld_suite(group)
    return specs


def _withheld_suite(group: WithheldFigures) -> list[Expect]:
    """A group of figures on their own counts: NULL where any count is under the minimum or
    the flag withholds them, and every count at least the minimum where they are shown."""
    specs = [
        Expect(
            "ExpectColumnValuesToBeNull",
            f"{column} is not published on fewer than {MIN_RESPONDENTS} respondents ({n_column})",
            {"column": column, "row_condition": f"{n_column} < {MIN_RESPONDENTS}", "condition_parser": "pandas"},
        )
        for n_column in group.n_columns
        for column in group.figure_columns
    ]
    specs += [
        Expect(
            "ExpectColumnValuesToBeNull",
            f"{column} is not published where {group.flag} is true",
            {"column": column, "row_condition": f"{group.flag} == True", "condition_parser": "pandas"},
        )
        for column in group.figure_columns
    ]
    specs += [
        Expect(
            "ExpectColumnValuesToBeBetween",
            f"every shown figure of {', '.join(group.figure_columns[:2])}, ... rests on at least {MIN_RESPONDENTS} respondents ({n_column})",
            {"column": n_column, "min_value": MIN_RESPONDENTS, "row_condition": f"{group.flag} == False", "condition_parser": "pandas"},
        )
        for n_column in group.n_columns
    ]
    return specs


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
