"""Compare the small-area models on demo warehouses against the demo truth.

    .venv/bin/python bench/compare_small_area_models.py [ROOT ...]

Each ROOT holds `warehouse/warehouse.duckdb` (built by `monitor refresh` from demo data) and
`demo_truth/<edition>/truth.json`. Prints, per warehouse, model and indicator: buurt- and
wijk-level RMSE of the model (benchmarked) estimates and of the direct estimates against the
truth over areas with respondents and their ratio, the RMSE of the model over all published
areas, the 95 % interval coverage (published buurten and wijken), and for veerkracht_score
buurten the flags against the planted weak buurten (recall, precision) and against the truth
"true value at least 0.5 below the gemeente's true value" (precision). The warehouses are
opened read-only.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.statistics.small_area import INDICATORS, METHODS, small_area_estimates  # noqa: E402
from orchestration.assets.small_area import AREAS_SQL, DIRECT_SQL, RESPONDENTS_SQL  # noqa: E402

DEFAULT_ROOTS = ("/tmp/sae/test10k", "/tmp/sae/full")


def load(root: Path):
    with duckdb.connect(str(root / "warehouse" / "warehouse.duckdb"), read_only=True) as conn:
        respondents = conn.execute(RESPONDENTS_SQL).df()
        areas = conn.execute(AREAS_SQL).df()
        direct = conn.execute(DIRECT_SQL, [list(INDICATORS)]).df()
    edition = int(areas["edition"].max())
    truth = json.loads((root / "demo_truth" / str(edition) / "truth.json").read_text(encoding="utf-8"))
    return respondents, areas, direct, truth


def truth_frame(truth: dict) -> pd.DataFrame:
    rows = []
    for level, key in (("wijk", "wijken"), ("buurt", "buurten")):
        frame = pd.DataFrame(truth[key]).rename(columns={"code": "area_code"})
        rows.append(frame.melt(id_vars=["area_code", "gemeente_code"], value_vars=list(INDICATORS),
                               var_name="indicator", value_name="truth").assign(area_level=level))
    return pd.concat(rows, ignore_index=True)


def direct_estimates(respondents: pd.DataFrame) -> pd.DataFrame:
    """Weighted mean of every wijk's and buurt's respondents (unpublished below 10 respondents,
    so computed here for the comparison)."""
    out = []
    for level, column in (("wijk", "wijk_code"), ("buurt", "buurt_code")):
        for indicator in INDICATORS:
            r = respondents[[column, "weight", indicator]].dropna()
            s = (r[indicator] * r["weight"]).groupby(r[column]).sum() / r["weight"].groupby(r[column]).sum()
            out.append(pd.DataFrame({"area_level": level, "area_code": s.index, "indicator": indicator,
                                     "direct": s.to_numpy()}))
    return pd.concat(out, ignore_index=True)


def evaluate(est: pd.DataFrame, truth: dict, respondents: pd.DataFrame) -> list[dict]:
    t = truth_frame(truth)
    m = est.merge(t.drop(columns="gemeente_code"), on=["area_level", "area_code", "indicator"], how="left")
    m = m.merge(direct_estimates(respondents), on=["area_level", "area_code", "indicator"], how="left")
    shown = m[~m["suppressed"] & m["truth"].notna()]
    rows = []
    for (indicator, level), g in shown.groupby(["indicator", "area_level"]):
        d = g[g["direct"].notna()]
        rmse_model = float(np.sqrt(((d["estimate"] - d["truth"]) ** 2).mean()))
        rmse_direct = float(np.sqrt(((d["direct"] - d["truth"]) ** 2).mean()))
        covered = ((g["ci_lower"] <= g["truth"]) & (g["truth"] <= g["ci_upper"])).mean()
        rows.append({"indicator": indicator, "level": level, "areas_with_direct": len(d),
                     "rmse_model": rmse_model, "rmse_direct": rmse_direct, "ratio": rmse_model / rmse_direct,
                     "rmse_model_all": float(np.sqrt(((g["estimate"] - g["truth"]) ** 2).mean())),
                     "coverage": float(covered), "flagged": int(g["below_gemeente"].sum())})
    return rows


def flags(est: pd.DataFrame, truth: dict) -> dict:
    buurten = pd.DataFrame(truth["buurten"]).set_index("code")
    gemeenten = pd.DataFrame(truth["gemeenten"]).set_index("code")["veerkracht_score"]
    gap = buurten["veerkracht_score"] - buurten["gemeente_code"].map(gemeenten)
    truly_below = set(gap.index[gap <= -0.5])
    planted = set(truth["weak_buurten"])
    flagged = set(est.loc[(est["area_level"] == "buurt") & (est["indicator"] == "veerkracht_score")
                          & est["below_gemeente"], "area_code"])
    return {"flagged": len(flagged), "planted": len(planted),
            "recall_planted": len(flagged & planted) / max(len(planted), 1),
            "precision_planted": len(flagged & planted) / max(len(flagged), 1),
            "precision_truth": len(flagged & truly_below) / max(len(flagged), 1),
            "recall_truth": len(flagged & truly_below) / max(len(truly_below), 1),
            "truly_below": len(truly_below)}


def main(roots: list[str]) -> None:
    pd.set_option("display.width", 200)
    for root in map(Path, roots):
        respondents, areas, direct, truth = load(root)
        print(f"\n=== {root}  ({len(respondents):,} respondents, population fraction "
              f"{truth.get('population_fraction')}, seed {truth.get('seed')})")
        for method in METHODS:
            start = time.perf_counter()
            result = small_area_estimates(respondents, areas, direct, method=method)
            seconds = time.perf_counter() - start
            table = pd.DataFrame(evaluate(result.estimates, truth, respondents))
            f = flags(result.estimates, truth)
            print(f"\n-- {method} ({seconds:.1f} s)")
            print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
            print("flags (buurt, veerkracht_score): " + ", ".join(
                f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in f.items()))


if __name__ == "__main__":
    main(sys.argv[1:] or list(DEFAULT_ROOTS))
