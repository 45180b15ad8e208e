"""How well the small-area estimates and the below_gemeente flag recover a demo truth.

One scoring for the proof tests (tests/test_small_area_truth.py, tests/test_flag_truth.py)
and the comparison of candidates (bench/compare_small_area_models.py), so that both measure
the same thing:

- per kind of planted weak buurt (`truth["weak_buurten_by_kind"]`: "predicted" where the CBS
  deprivation figures point, "hidden" average on every CBS figure), the share flagged, counting
  the ones a flag can apply to: in a gemeente whose published direct estimate is at or above
  the province's (`good_gemeenten`; the generator plants them in gemeenten truly above the
  province, but the direct estimate of a gemeente of 100 respondents errs by 0.2 point), and
  for hidden ones with at least FINDABLE_RESPONDENTS respondents (with fewer, no rule can tell
  them from chance and no covariate points at them);
- false flags: flagged buurten whose true value is not at least TRULY_BELOW below their
  gemeente's true value, as a count and as a share of all buurten;
- RMSE of the published estimates against the truth, over buurten with respondents, relative
  to the RMSE of their direct means; 95 % interval coverage of published buurten and wijken.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

INDICATORS = ("veerkracht_score", "pct_veerkrachtig")
FINDABLE_RESPONDENTS = 12
TRULY_BELOW = 0.5  # points of veerkracht_score


def truth_frame(truth: dict) -> pd.DataFrame:
    """area_level, area_code, gemeente_code, respondents, indicator, truth (wijken and buurten)."""
    rows = []
    for level, key in (("wijk", "wijken"), ("buurt", "buurten")):
        frame = pd.DataFrame(truth[key]).rename(columns={"code": "area_code"})
        rows.append(frame.melt(id_vars=["area_code", "gemeente_code", "respondents"], value_vars=list(INDICATORS),
                               var_name="indicator", value_name="truth").assign(area_level=level))
    return pd.concat(rows, ignore_index=True)


def direct_means(respondents: pd.DataFrame) -> pd.DataFrame:
    """Weighted mean of every wijk's and buurt's respondents (unpublished below 10
    respondents, so computed here for the comparison). `respondents` as the small-area step
    reads them (orchestration/assets/small_area.RESPONDENTS_SQL)."""
    out = []
    for level, column in (("wijk", "wijk_code"), ("buurt", "buurt_code")):
        for indicator in INDICATORS:
            r = respondents[[column, "weight", indicator]].dropna()
            s = (r[indicator] * r["weight"]).groupby(r[column]).sum() / r["weight"].groupby(r[column]).sum()
            out.append(pd.DataFrame({"area_level": level, "area_code": s.index, "indicator": indicator,
                                     "direct": s.to_numpy()}))
    return pd.concat(out, ignore_index=True)


def accuracy(estimates: pd.DataFrame, truth: dict, respondents: pd.DataFrame) -> pd.DataFrame:
    """Per indicator and level: RMSE of the model and of the direct means over areas with
    respondents, their ratio, and the interval coverage over published areas."""
    m = estimates.merge(truth_frame(truth).drop(columns=["gemeente_code", "respondents"]),
                        on=["area_level", "area_code", "indicator"], how="left")
    m = m.merge(direct_means(respondents), on=["area_level", "area_code", "indicator"], how="left")
    shown = m[~m["suppressed"].astype(bool) & m["truth"].notna()]
    rows = []
    for (indicator, level), g in shown.groupby(["indicator", "area_level"]):
        d = g[g["direct"].notna()]
        rmse_model = float(np.sqrt(((d["estimate"] - d["truth"]) ** 2).mean()))
        rmse_direct = float(np.sqrt(((d["direct"] - d["truth"]) ** 2).mean()))
        rows.append({"indicator": indicator, "level": level, "rmse_ratio": rmse_model / rmse_direct,
                     "coverage": float(((g["ci_lower"] <= g["truth"]) & (g["truth"] <= g["ci_upper"])).mean())})
    return pd.DataFrame(rows)


def good_gemeenten(direct: pd.DataFrame, indicator: str = "veerkracht_score") -> set[str]:
    """Gemeenten whose published direct estimate is at or above the province's (`direct`: rows
    of monitor_area_estimates with area_level, area_code, indicator, estimate)."""
    rows = direct[direct["indicator"] == indicator]
    province = rows.loc[rows["area_level"] == "provincie", "estimate"].iloc[0]
    gemeenten = rows[(rows["area_level"] == "gemeente") & (rows["estimate"] >= province)]
    return set(gemeenten["area_code"])


def flag_quality(estimates: pd.DataFrame, truth: dict, good: set[str] | None = None) -> dict:
    """The flags on buurten of veerkracht_score against the truth (see the module docstring);
    `good`: good_gemeenten (None: every gemeente counts)."""
    buurten = pd.DataFrame(truth["buurten"]).set_index("code")
    gemeenten = pd.DataFrame(truth["gemeenten"]).set_index("code")["veerkracht_score"]
    gap = buurten["veerkracht_score"] - buurten["gemeente_code"].map(gemeenten)
    truly_below = set(gap.index[gap <= -TRULY_BELOW])
    rows = estimates[(estimates["area_level"] == "buurt") & (estimates["indicator"] == "veerkracht_score")]
    flagged = set(rows.loc[rows["below_gemeente"].astype(bool), "area_code"])
    kinds = truth.get("weak_buurten_by_kind") or {"predicted": truth["weak_buurten"], "hidden": []}
    in_good = {c for c in truth["weak_buurten"] if good is None or buurten.loc[c, "gemeente_code"] in good}
    predicted = set(kinds["predicted"]) & in_good
    findable = {c for c in kinds["hidden"] if buurten.loc[c, "respondents"] >= FINDABLE_RESPONDENTS} & in_good
    false = flagged - truly_below
    return {
        "flagged": len(flagged),
        "predicted": len(predicted),
        "predicted_found": len(flagged & predicted),
        "hidden_findable": len(findable),
        "hidden_found": len(flagged & findable),
        "planted_in_gemeenten_below_province": len(set(truth["weak_buurten"]) - in_good),
        "false_flags": len(false),
        "false_flag_share": len(false) / max(len(buurten), 1),
        "truly_below": len(truly_below),
        "truly_below_found": len(flagged & truly_below),
    }
