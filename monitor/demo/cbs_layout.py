"""A demo survey on the layout of a real CBS export (`generate_demo_edition(..., cbs_layout=FILE)`).

The simulated population lives on the demo's synthetic buurten; to put its respondents on a
real export's layout, the synthetic buurten of a gemeente are mapped in order onto the real
buurten of the same gemeente in that file: both ordered by inhabitants (largest first, then by
code), so that respondents live where the file says people live. (In plain code order 287 of
12,000 respondents landed in real buurten of 0 inhabitants and 874 in buurten under 50.)
Where the counts differ the order is stretched: synthetic buurt i of n goes to real buurt
floor(i * m / n) of m, so with more synthetic buurten two similar ones share a real buurt,
with fewer the smallest real buurten get no respondents (as real buurten without respondents
are common); the differences are recorded. The real 2017 export has exactly the demo's counts
(brabant_wijk_buurt_counts_2017.csv) for every gemeente but Nuenen, whose rows are unusable.

A gemeente is unusable when the file has no accepted Gemeente row or no accepted Buurt row
for it (Nuenen in the 2017 export: its 14 rows were cut at the comma of its name and the
loader rejects them): its respondents cannot be placed on real codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.cbs.kwb import load_kwb
from monitor.demo.layout import Layout


@dataclass(frozen=True)
class RealLayout:
    source: Path
    buurt_map: dict[str, str]  # synthetic buurt code -> real buurt code (usable gemeenten only)
    unusable: pd.DataFrame  # gemeente_code, gemeente_name, reason
    unequal_counts: pd.DataFrame  # gemeente_code, synthetic_buurten, real_buurten (where they differ)
    rejected_rows: int  # rows of the whole file the loader rejected
    # every gemeente, wijk and buurt code of the file within the demo layout's gemeenten, rejected
    # rows by their row key (the demo boundaries are drawn on these codes)
    codes: tuple[str, ...] = ()

    def describe(self, keep_unusable: bool, respondents: int) -> dict:
        """What the truth file and the summary record about the mapping."""
        return {
            "file": self.source.name,
            "buurt_mapping": "synthetic buurten of a gemeente mapped onto the real ones in order of "
                             "inhabitants (stretched where the counts differ)",
            "unequal_counts": self.unequal_counts.to_dict("records"),
            "rejected_rows": self.rejected_rows,
            "unusable_gemeenten": self.unusable.to_dict("records"),
            "respondents_in_unusable_gemeenten": (
                f"{respondents} kept on the synthetic buurt codes" if keep_unusable else f"{respondents} dropped"
            ),
        }


def _by_size(inhabitants: pd.Series) -> list[str]:
    """Codes (the index) largest first; unknown sizes last; ties by code."""
    frame = pd.DataFrame({"code": inhabitants.index, "size": inhabitants.to_numpy(dtype=float)})
    return frame.sort_values(["size", "code"], ascending=[False, True], na_position="last")["code"].tolist()


def stretch(synthetic: pd.Series, real: pd.Series) -> dict[str, str]:
    """Map synthetic buurt codes onto real ones (both: code -> inhabitants), in order of size,
    stretched where the counts differ (see the module docstring)."""
    synthetic, real = _by_size(synthetic), _by_size(real)
    positions = np.arange(len(synthetic)) * len(real) // len(synthetic)
    return {code: real[p] for code, p in zip(synthetic, positions)}


def read_real_layout(path: Path, edition: int, layout: Layout) -> RealLayout:
    """The real buurt codes of `path` (a CBS CSV export of `edition`, read by load_kwb) for the
    gemeenten of the demo `layout`, and the mapping of the synthetic buurt codes onto them."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"cbs_layout {path}: not a file; expected a CBS KWB CSV export of {edition} "
                         "(it is copied into the landing folder as kwb.csv)")
    load = load_kwb(path, edition)
    frame = load.frame
    gemeente_rows = set(frame.loc[frame["region_type"] == "Gemeente", "region_code"])
    real_buurten = {code: rows.set_index("region_code")["AantalInwoners"]
                    for code, rows in frame[frame["region_type"] == "Buurt"].groupby("gemeente_code")}
    synthetic_buurten = {code: rows.set_index("buurt_code")["inhabitants"]
                         for code, rows in layout.buurten.groupby("gemeente_code")}

    buurt_map, unusable, unequal = {}, [], []
    for gemeente in layout.gemeenten.itertuples(index=False):
        code = gemeente.gemeente_code
        real = real_buurten.get(code, pd.Series(dtype=float))
        if code not in gemeente_rows or real.empty:
            what = "Gemeente row" if code not in gemeente_rows else "Buurt row"
            unusable.append({"gemeente_code": code, "gemeente_name": gemeente.gemeente_name,
                             "reason": f"no accepted {what} in {path.name}"})
            continue
        synthetic = synthetic_buurten[code]
        buurt_map |= stretch(synthetic, real)
        if len(synthetic) != len(real):
            unequal.append({"gemeente_code": code, "synthetic_buurten": len(synthetic), "real_buurten": len(real)})
    if len(unusable) == len(layout.gemeenten):
        raise ValueError(
            f"cbs_layout {path}: none of the {len(unusable)} gemeenten of the {edition} demo layout has an "
            f"accepted Gemeente row and Buurt rows in it; expected the CBS export of {edition} with Noord-Brabant"
        )
    rejected_keys = load.rejected.get("WijkenEnBuurten", pd.Series(dtype=str)).astype(str).str.strip()
    keys = pd.concat([frame["region_code"], rejected_keys])
    in_layout = keys.str[:2].isin(["GM", "WK", "BU"]) & ("GM" + keys.str[2:6]).isin(layout.gemeenten.gemeente_code)
    return RealLayout(
        source=path,
        buurt_map=buurt_map,
        unusable=pd.DataFrame(unusable, columns=["gemeente_code", "gemeente_name", "reason"]),
        unequal_counts=pd.DataFrame(unequal, columns=["gemeente_code", "synthetic_buurten", "real_buurten"]),
        rejected_rows=len(load.rejected),
        codes=tuple(sorted(set(keys[in_layout]))),
    )
