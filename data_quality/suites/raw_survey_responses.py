"""The raw survey suite, built from the codebook: one edition's rows of raw.survey_responses
against the contract of ../shared/spec/survey_codebook.md and the CBS layout of the edition."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from data_quality.expectations import Expect, column_type, in_set, not_null
from data_quality.runner import validate_frame, validate_table
from monitor.codebook import BackgroundColumn, Codebook
from monitor.reference import brabant_gemeenten

SUITE_NAME = "raw_survey_responses"
POOLS_SUITE_NAME = "raw_survey_responses_pools"
BUURT_GEMEENTE = "buurt_gemeente_code"  # derived for the check: GM + digits 3-6 of buurt_code
EMPTY_POOL = "pool_without_respondents"  # per COROP region: says so when its raking pool is empty


@dataclass(frozen=True)
class EditionLayout:
    """The Brabant gemeenten of an edition (reference seed), the buurten of its CBS key figures,
    and the COROP region of each gemeente the weighting has CBS targets for (its raking pool when
    it has few respondents)."""

    edition: int
    gemeente_codes: list[str]
    buurt_codes: list[str]
    raking_regions: dict[str, str] = field(default_factory=dict)  # gemeente_code -> "CR33 West-Noord-Brabant"


def edition_layout(edition: int, regions: pd.DataFrame, weighted: Iterable[str] | None = None) -> EditionLayout:
    """The layout from the seed and the CBS regions of the edition (region_code, region_type,
    gemeente_code; as loaded into raw.kwb_key_figures). `weighted`: the gemeenten with usable
    CBS adult totals, which the weighting rakes (default: every gemeente of the seed)."""
    brabant = brabant_gemeenten(edition)
    in_brabant = regions[regions["gemeente_code"].isin(brabant["gemeente_code"])]
    corop = brabant.set_index("gemeente_code")
    weighted = set(brabant["gemeente_code"] if weighted is None else weighted)
    return EditionLayout(
        edition=edition,
        gemeente_codes=sorted(brabant["gemeente_code"]),
        buurt_codes=sorted(in_brabant.loc[in_brabant["region_type"] == "Buurt", "region_code"]),
        raking_regions={
            g: f"{corop.at[g, 'corop_code']} {corop.at[g, 'corop_name']}" for g in sorted(weighted & set(corop.index))
        },
    )


def validation_relation(relation: str) -> str:
    """The rows of `relation` (a select) plus the derived column the
    buurt-in-gemeente expectation compares."""
    return f"select *, 'GM' || substr(buurt_code, 3, 4) as {BUURT_GEMEENTE} from ({relation})"


def _codes_meaning(name: str, labels: dict[int, str], missing: dict[int, str]) -> str:
    codes = ", ".join(f"{k} {v}" for k, v in {**labels, **missing}.items())
    return f"{name} holds a codebook code ({codes})"


def _background(col: BackgroundColumn) -> list[Expect]:
    specs = [column_type(col.name, col.type)]
    if col.required and not col.nullable:
        specs.append(not_null(col.name))
    if col.unique:
        specs.append(Expect("ExpectColumnValuesToBeUnique", f"{col.name} is unique within the edition", {"column": col.name}))
    if col.pattern:
        specs.append(Expect("ExpectColumnValuesToMatchRegex", f"{col.name} matches {col.pattern}", {"column": col.name, "regex": col.pattern}))
    if col.values:
        specs.append(in_set(col.name, sorted({*col.values, *col.missing}), _codes_meaning(col.name, col.values, col.missing)))
    if col.min is not None or col.max is not None:
        specs.append(Expect("ExpectColumnValuesToBeBetween", f"{col.name} between {col.min} and {col.max}", {"column": col.name, "min_value": col.min, "max_value": col.max}))
    if col.min_exclusive is not None:
        specs.append(Expect("ExpectColumnValuesToBeBetween", f"{col.name} > {col.min_exclusive}", {"column": col.name, "min_value": col.min_exclusive, "strict_min": True}))
    return specs


def build_suite(codebook: Codebook, layout: EditionLayout) -> list[Expect]:
    specs = [
        Expect(
            "ExpectTableColumnsToMatchSet",
            "every required codebook column is present",
            {"column_set": codebook.required_columns, "exact_match": False},
        ),
        Expect("ExpectTableRowCountToBeBetween", "at least one respondent", {"min_value": 1}),
    ]
    for col in codebook.background:
        specs += _background(col)
    for item in codebook.items:
        rs = item.response
        specs.append(column_type(item.name, "int"))
        specs.append(in_set(item.name, codebook.allowed_codes(item.name), _codes_meaning(item.name, rs.values, rs.missing)))
    specs += [
        in_set("edition", [layout.edition], f"edition equals the edition folder ({layout.edition})"),
        in_set(
            "gemeente_code",
            layout.gemeente_codes,
            f"gemeente_code is a Brabant gemeente in the CBS layout of {layout.edition} ({len(layout.gemeente_codes)} gemeenten)",
        ),
        in_set(
            "buurt_code",
            layout.buurt_codes,
            f"buurt_code is a buurt in the CBS layout of {layout.edition} ({len(layout.buurt_codes)} buurten) or empty",
        ),
        Expect(
            "ExpectColumnPairValuesToBeEqual",
            "buurt_code lies in gemeente_code (digits 3-6 of buurt_code equal the gemeente's; examples are (gemeente_code, gemeente of buurt_code))",
            {"column_A": "gemeente_code", "column_B": BUURT_GEMEENTE, "ignore_row_if": "either_value_is_missing"},
        ),
    ]
    return specs


def raking_pools(counts: pd.Series, layout: EditionLayout) -> pd.DataFrame:
    """One row per COROP region of the layout with a raking pool: its gemeenten with fewer than
    MIN_RESPONDENTS respondents (`counts`: respondents per gemeente_code), which the weighting
    rakes together (monitor/statistics/weighting.py, the one place of that rule). A pool without
    respondents cannot be raked to its CBS totals; its row says so in EMPTY_POOL (NULL when the
    pool has respondents)."""
    from monitor.statistics.weighting import MIN_RESPONDENTS  # imports svy and polars

    gemeenten = pd.DataFrame({"gemeente_code": list(layout.raking_regions)})
    gemeenten["region"] = gemeenten["gemeente_code"].map(layout.raking_regions)
    gemeenten["respondents"] = gemeenten["gemeente_code"].map(counts).fillna(0).astype("int64")
    pooled = gemeenten[gemeenten["respondents"] < MIN_RESPONDENTS]
    pools = pooled.groupby("region", sort=True).agg(gemeenten=("gemeente_code", "size"), respondents=("respondents", "sum")).reset_index()
    pools[EMPTY_POOL] = [
        None if n else f"{region} has none ({k} gemeente(n) in its pool)"
        for region, k, n in zip(pools["region"], pools["gemeenten"], pools["respondents"], strict=True)
    ]
    return pools.astype({EMPTY_POOL: object})


def build_pools_suite(layout: EditionLayout) -> list[Expect]:
    """What the raking needs of the respondents' spread, said at the raw stage (else the weighting
    fails later with "raking domain ...-pool has targets but no respondents")."""
    from monitor.statistics.weighting import MIN_RESPONDENTS  # imports svy and polars

    return [
        Expect(
            "ExpectColumnValuesToBeNull",
            f"every COROP region (raking pool) of the {layout.edition} layout has respondents: the weighting rakes "
            f"a region's gemeenten with fewer than {MIN_RESPONDENTS} respondents together to their CBS totals, "
            "which needs at least one respondent among them",
            {"column": EMPTY_POOL},
        )
    ]


def validate(conn, relation: str, codebook: Codebook, layout: EditionLayout, batch: str, docs_dir=None) -> list:
    """Both validations of the raw check on one edition's rows (`relation`: a select in
    DuckDB, e.g. of raw.survey_responses), counted in DuckDB (data_quality/runner.py):
    the respondents against the codebook and the layout, with no value shown of resp_id or of
    any column whose content looks like respondent ids (monitor/landing/identifiers.py); and
    the raking pools. Returns their SuiteOutcomes."""
    from monitor.landing.identifiers import hidden_values_in_table

    rows = validation_relation(relation)
    counts = conn.execute(f"select gemeente_code, count(*) as n from ({relation}) group by 1").df()
    return [
        validate_table(
            conn, rows, SUITE_NAME, batch, build_suite(codebook, layout),
            private_columns=hidden_values_in_table(conn, f"select * from ({relation})", codebook), docs_dir=docs_dir,
        ),
        validate_frame(
            raking_pools(counts.set_index("gemeente_code")["n"], layout), POOLS_SUITE_NAME, f"raking pools of {batch}",
            build_pools_suite(layout), docs_dir=docs_dir,
        ),
    ]
