"""How many wijken and buurten are flagged "overall goed, maar niet overal": one definition for
every count people read (the factsheets, the index, the tabellenboek, the console summary and
the asset metadata), because three counts of one thing (area x indicator rows, distinct areas,
per gemeente) made readers compare numbers that were never meant to agree.

The definition: the DISTINCT wijken and buurten flagged (monitor_below_gemeente: significantly
below their own gemeente, in a gemeente at or above the province) on at least one headline
indicator (veerkracht_score, pct_veerkrachtig). An area flagged on both counts once; the
listings keep a row per area and indicator, and say so beside the count.

    from monitor.presentation.flagged import read_flagged_areas
    with duckdb.connect("warehouse/published.duckdb", read_only=True) as conn:
        flagged = read_flagged_areas(conn, 2018)
    flagged.total, flagged.by_gemeente["GM0772"], flagged.rows

Dutch words: flagged_definition() (the sentence beside every count), flagged_count_words()
(the same, short, under a key figure), flagged_phrase(n) and FLAGGED_SHORT (beside a flagged
area's mark)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.presentation.labels import HEADLINE_INDICATORS, indicator_label

BELOW_GEMEENTE_VIEW = "monitor_below_gemeente"


def below_gemeente_view_sql(schema: str) -> str:
    """The statement that (re)creates the view of every wijk and buurt estimate with its
    gemeente's name and estimate beside it, in `schema` (the publish step runs it after each
    publication; the benchmark's floor, bench/floor.py, on its own schema)."""
    return f"""
    create or replace view {schema}.{BELOW_GEMEENTE_VIEW} as
    select
        s.edition, s.gemeente_code, g.area_name as gemeente_name, s.area_level, s.area_code, s.area_name,
        s.indicator, s.estimate, s.ci_lower, s.ci_upper, s.gemeente_estimate, s.flag_basis, s.n_respondents,
        s.direct_estimate, s.own_weight, s.inhabitants
    from {schema}.monitor_small_area_estimates as s
    left join {schema}.monitor_area_estimates as g
        on g.edition = s.edition and g.area_level = 'gemeente' and g.area_code = s.gemeente_code
        and g.indicator = s.indicator
    where s.below_gemeente
    order by s.edition, s.gemeente_code, s.indicator, s.area_level desc, s.estimate
"""
# what a flagged area is called beside its mark (a chart's red point, a map's red outline)
FLAGGED_SHORT = "gesignaleerd: significant onder de gemeente"


@dataclass(frozen=True)
class FlaggedAreas:
    """The flagged wijken and buurten per gemeente, each (area_level, area_code) once."""

    areas: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)  # gemeente_code -> areas
    rows: int = 0  # the rows they came from: one per area and indicator

    @property
    def by_gemeente(self) -> dict[str, int]:
        return {code: len(areas) for code, areas in self.areas.items()}

    @property
    def total(self) -> int:
        return sum(len(areas) for areas in self.areas.values())

    def of(self, gemeente_code: str) -> int:
        return len(self.areas.get(gemeente_code, ()))


def flagged_areas(rows: Iterable[tuple[str, str, str, str]]) -> FlaggedAreas:
    """THE count: rows of monitor_below_gemeente as (gemeente_code, area_level, area_code,
    indicator) -> the distinct areas flagged on at least one headline indicator, per gemeente."""
    areas: dict[str, set[tuple[str, str]]] = {}
    counted = 0
    for gemeente_code, area_level, area_code, indicator in rows:
        if indicator not in HEADLINE_INDICATORS:
            continue
        areas.setdefault(gemeente_code, set()).add((area_level, area_code))
        counted += 1
    return FlaggedAreas({code: frozenset(found) for code, found in sorted(areas.items())}, counted)


def read_flagged_areas(conn, edition: int, schema: str = "monitor") -> FlaggedAreas:
    """The count of an edition from the published view (a DuckDB connection, read-only will do)."""
    found = conn.execute(
        f"select gemeente_code, area_level, area_code, indicator from {schema}.{BELOW_GEMEENTE_VIEW} "
        "where edition = ? order by gemeente_code, area_level, area_code, indicator",
        [int(edition)],
    ).fetchall()
    return flagged_areas(found)


def _indicators_in_words() -> str:
    first, second = (indicator_label(i).lower() for i in HEADLINE_INDICATORS)
    return f"de {first}, het {second} of beide"


def flagged_definition() -> str:
    """The definition in one Dutch sentence, shown wherever a count appears."""
    return (
        f"Geteld: de wijken en buurten die op {_indicators_in_words()} significant onder hun eigen gemeente liggen, in "
        "een gemeente die op of boven de provincie scoort (‘overall goed, maar niet overal’); een gebied dat op "
        "beide gesignaleerd is, telt één keer."
    )


def flagged_count_words() -> str:
    """The definition short enough to stand under a count: what is counted, and once each."""
    return f"wijken en buurten gesignaleerd op {_indicators_in_words()}; elk gebied één keer geteld"


def flagged_phrase(n: int) -> str:
    """'3 wijken en buurten' as a count reads: '1 wijk of buurt', '0 wijken en buurten'."""
    return f"{n} {'wijk of buurt' if n == 1 else 'wijken en buurten'}"
