"""The habits of real CBS exports that some demo editions' KWB files get.

Real Kerncijfers files are not the tidy full table the demo writes by default (see
../shared/data/cbs/PROVENANCE.md and the real 2017 export kwb_2017_83765NED_nl_subset.csv):

- **a subset of columns**: the 2017 export has 22 columns, not every variable of
  kwb_variables.yaml; it is comma-separated with a BOM and unquoted padded values;
- **a damaged gemeente**: its 14 Nuenen rows have the name "Nuenen, Gerwen en Nederwetten"
  cut at its comma and every later field empty (no Codering, no SoortRegio, no values), e.g.
  `10807,GM0820    ,Nuenen,,,,,,,,,,,,,,,,,,,`;
- **`.` in whole columns**: a variable in the header that is secret in every row.

`EDITION_HABITS` is the one place that says which demo edition gets which habit. 2018 stays
clean: the test fixtures and the bad-input corpus are built on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from monitor.cbs import kwb_variables
from monitor.cbs.statline import (
    EXPORT_2017_SHAPE,
    ODATA_SHAPE,
    StatLineShape,
    statline_cells,
    write_statline_cells,
)

SHAPES = {"odata": ODATA_SHAPE, "export_2017": EXPORT_2017_SHAPE}
# The variables of kwb_variables.yaml that the real 2017 export has (its header; the export's
# other columns, e.g. Marokko_19, are not simulated). It lacks sex, four of the five age bands,
# households, owner-occupied homes, bijstand, urbanity and address density.
REAL_2017_VARIABLES = (
    "AantalInwoners",
    "k_65JaarOfOuder",
    "WestersTotaal",
    "NietWestersTotaal",
    "Bevolkingsdichtheid",
    "GemiddeldeWoningwaarde",
    "GemiddeldInkomenPerInwoner",
    "k_40PersonenMetLaagsteInkomen",
    "HuishoudensMetEenLaagInkomen",
)
NUENEN = "GM0820"  # "Nuenen, Gerwen en Nederwetten": in every demo layout, the real damaged gemeente


@dataclass(frozen=True)
class KwbHabits:
    """What a demo edition's kwb.csv looks like. The default is the clean OData file."""

    shape: str = "odata"  # a key of SHAPES
    # Variables written (None: every variable of kwb_variables.yaml), in the spec's order.
    variables: tuple[str, ...] | None = None
    # Gemeenten whose rows (gemeente, wijken, buurten) are written as the real Nuenen rows
    # are broken; the survey has no respondents there.
    damaged_gemeenten: tuple[str, ...] = ()
    # Variables present in the header and `.` in every row.
    secret_columns: tuple[str, ...] = ()

    def describe(self) -> dict:
        """The habits as the truth file and the summary record them."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


CLEAN = KwbHabits()
# 2016 has the columns of the real 2017 export plus those weighting cannot do without (the
# pipeline rakes to gemeente x sex and x age band, kwb_variables.yaml `required_for: weighting`;
# without them no edition can be published), so it lacks seven covariate variables.
EDITION_HABITS = {
    2016: KwbHabits(
        shape="export_2017",
        variables=tuple(v for v in kwb_variables() if v in {*REAL_2017_VARIABLES, *kwb_variables("weighting")}),
    ),
    2018: CLEAN,
    2020: KwbHabits(shape="export_2017", damaged_gemeenten=(NUENEN,), secret_columns=("Koopwoningen",)),
}


def habits_of(edition: int) -> KwbHabits:
    return EDITION_HABITS.get(edition, CLEAN)


def absent_variables(habits: KwbHabits) -> list[str]:
    """Variables of kwb_variables.yaml the file of these habits does not have."""
    return [] if habits.variables is None else [v for v in kwb_variables() if v not in habits.variables]


def _check(habits: KwbHabits, frame: pd.DataFrame) -> None:
    if habits.shape not in SHAPES:
        raise ValueError(f"KwbHabits.shape must be one of {sorted(SHAPES)}, got {habits.shape!r}")
    known = set(kwb_variables())
    unknown = sorted({*(habits.variables or ()), *habits.secret_columns} - known)
    if unknown:
        raise ValueError(f"KwbHabits names {unknown}, which are not variables of kwb_variables.yaml")
    missing = [v for v in kwb_variables("layout") if habits.variables is not None and v not in habits.variables]
    if missing:
        raise ValueError(f"KwbHabits.variables must keep {missing}: no KWB file can be placed without them")
    hidden = [v for v in habits.secret_columns if habits.variables is not None and v not in habits.variables]
    if hidden:
        raise ValueError(f"KwbHabits.secret_columns {hidden} are not among the variables written")
    codes = set(frame.loc[frame.Codering.str.startswith("GM"), "Codering"])
    absent = [g for g in habits.damaged_gemeenten if g not in codes]
    if absent:
        raise ValueError(f"KwbHabits.damaged_gemeenten {absent} are not gemeenten of this edition's layout")


def _cut_at_comma(cells: list[str], name: str) -> list[str]:
    """A row as the real 2017 export breaks it: ID and the row key kept, the name cut at its
    first comma (unpadded), every later field empty."""
    return [cells[0], cells[1], name.split(",")[0].strip()] + [""] * (len(cells) - 3)


def write_kwb(frame: pd.DataFrame, path, edition: int, habits: KwbHabits):
    """Write the StatLine frame of an edition (monitor.demo.kwb.statline_frame) with its habits."""
    _check(habits, frame)
    shape: StatLineShape = SHAPES[habits.shape]
    frame = frame.copy()
    for name in habits.secret_columns:
        frame[name] = frame[name].mask(pd.Series(True, index=frame.index))  # NULL, written as `.`
    if habits.variables is not None:
        frame = frame.drop(columns=absent_variables(habits))
    header, rows = statline_cells(frame, edition, shape)
    damaged = frame["Codering"].str[2:6].isin([g[2:] for g in habits.damaged_gemeenten]).to_numpy()
    rows = [_cut_at_comma(cells, name) if broken else cells
            for cells, name, broken in zip(rows, frame["Gemeentenaam"], damaged)]
    return write_statline_cells(header, rows, path, shape)
