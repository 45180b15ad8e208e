"""What a CBS delivery lacks, and how a data engineer fills it in without a network.

Real KWB exports are not always complete: the 2017 export in the shared test data has 22 of
the usual columns (no sex or age bands, which the weighting needs) and 14 rows of Nuenen that
were cut at the comma in the municipality name. Two things follow:

- every rejected row is *placed*: the gemeente it belongs to is taken from its code or, for a
  row cut before its code, from the municipality name that survived (`Nuenen` is the start of
  `Nuenen, Gerwen en Nederwetten` in the reference seed), so that the report names the
  gemeente and the pipeline knows which gemeente has no usable key figures;
- an optional second file beside the delivery, `<edition>/kwb_supplement.csv` (any format the
  KWB reader accepts: a StatLine export of the missing rows or columns, e.g. saved on another
  machine or copied from the nearest earlier edition's file), fills the gaps: its rows add
  regions the delivery lacks, and its values fill cells that are empty (or columns that are
  absent) in the delivery. It never overwrites a value CBS delivered. Every row says which file
  it came from (`_source_file`) and which columns the supplement filled (`_supplemented_columns`),
  so the weighting can record where each gemeente's margins came from; a region taken whole
  from the supplement has the supplement as its `_source_file`.
"""

from __future__ import annotations

import pandas as pd

from monitor.cbs import CODE_PATTERN

SUPPLEMENT_FILENAME = "kwb_supplement.csv"
SUPPLEMENTED_COLUMNS = "_supplemented_columns"


def _name_stem(name: str) -> str:
    """The part of a municipality name before a comma, case- and space-insensitive: what is
    left of `Nuenen, Gerwen en Nederwetten` in a row cut at its comma."""
    return " ".join(str(name).split(",")[0].split()).casefold()


def place_rejected_rows(rejected: pd.DataFrame, gemeenten: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows with the `region_code` and `gemeente_code` they belong to (NULL when
    nothing in the row says): the code from Codering or, where that is empty, from the
    WijkenEnBuurten field when it holds a code (the untyped API and the 2017 export put the
    code there); the gemeente from that code or else from the surviving municipality name,
    matched on the name stem of the edition's Brabant gemeenten (`gemeenten`: gemeente_code,
    gemeente_name). Rows of other provinces without a code stay NULL."""
    def field(name: str) -> pd.Series:
        return rejected.get(name, pd.Series(pd.NA, index=rejected.index, dtype="str")).fillna("").str.strip()

    codering, title = field("Codering"), field("WijkenEnBuurten")
    code = codering.where(codering.str.fullmatch(CODE_PATTERN), title.where(title.str.fullmatch(CODE_PATTERN)))
    from_code = ("GM" + code.str.slice(2, 6)).where(~code.fillna("NL").str.startswith("NL"))
    by_stem = {_name_stem(n): c for c, n in zip(gemeenten["gemeente_code"], gemeenten["gemeente_name"])}
    from_name = field("Gemeentenaam").map(lambda n: by_stem.get(_name_stem(n)) if n else None)
    return rejected.assign(
        region_code=code.astype("string"),
        gemeente_code=from_code.where(from_code.notna(), from_name).astype("string"),
    )


def merge_supplement(frame: pd.DataFrame, supplement: pd.DataFrame, supplement_file: str) -> pd.DataFrame:
    """The delivery's accepted rows with the supplement's rows and values added: a region the
    delivery lacks is taken whole from the supplement; for a region in both, the supplement
    fills the delivery's empty cells and absent columns only. Both frames are `load_table`
    frames (one row per region_code)."""
    if supplement.empty:
        return frame.assign(**{SUPPLEMENTED_COLUMNS: pd.Series(pd.NA, index=frame.index, dtype="string")})
    variables = [c for c in supplement.columns if c not in _BOOKKEEPING and c not in _IDENTITY]
    for name in variables:
        if name not in frame.columns:
            frame = frame.assign(**{name: pd.Series(pd.NA, index=frame.index, dtype=supplement[name].dtype)})
    known = frame.set_index("region_code")
    extra = supplement.set_index("region_code")
    both = known.index.intersection(extra.index)
    filled = pd.DataFrame(False, index=both, columns=variables)
    for name in variables:
        gaps = known.loc[both, name].isna() & extra.loc[both, name].notna()
        filled[name] = gaps
        known.loc[both[gaps.to_numpy()], name] = extra.loc[both[gaps.to_numpy()], name]
    known[SUPPLEMENTED_COLUMNS] = pd.Series(pd.NA, index=known.index, dtype="string")
    # "kwb_supplement.csv: Mannen,Vrouwen": where the row's other values came from
    names = filled.apply(lambda row: ",".join(c for c in variables if row[c]), axis=1)
    known.loc[both, SUPPLEMENTED_COLUMNS] = (f"{supplement_file}: " + names).where(names != "").astype("string")
    added = extra.loc[extra.index.difference(known.index)].assign(_source_file=supplement_file)
    merged = pd.concat([known, added]).reset_index()
    return merged[[*frame.columns, *[c for c in merged.columns if c not in frame.columns]]]


_IDENTITY = {"edition", "region_code", "region_type", "gemeente_code", "gemeente_name", "region_label",
             "cbs_row_id", "indeling_wijziging"}
_BOOKKEEPING = {"_source_file", "_source_row", SUPPLEMENTED_COLUMNS}


def mark_resolved(rejected: pd.DataFrame, frame: pd.DataFrame, supplement_file: str) -> pd.DataFrame:
    """`resolved_by`: the supplement file, for a rejected row of a gemeente whose gemeente row,
    with its inhabitants, the supplement provided; else NULL."""
    supplied = frame.loc[(frame["_source_file"] == supplement_file) & (frame["region_type"] == "Gemeente")
                         & frame["AantalInwoners"].notna(), "gemeente_code"]
    resolved = rejected["gemeente_code"].isin(set(supplied))
    return rejected.assign(resolved_by=pd.Series(supplement_file, index=rejected.index, dtype="string").where(resolved))
