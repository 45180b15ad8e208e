"""Time small-area estimation (fit + predict + benchmark, both indicators, wijk and buurt).

    .venv/bin/python bench/bench_small_area.py [WAREHOUSE.duckdb]

1. Brabant: the inputs of a warehouse built from demo data (default /tmp/sae/full/warehouse/
   warehouse.duckdb; skipped when absent), read as the Dagster asset reads them.
2. National scale, synthesised here in the shape of the API inputs: 350 gemeenten, ~3,200
   wijken, ~14,000 buurten, 500,000 respondents.
Prints wall time and peak memory (tracemalloc, Python allocations incl. numpy) per case and method.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.statistics.small_area import INDICATORS, small_area_estimates  # noqa: E402

BRABANT = Path("/tmp/sae/full/warehouse/warehouse.duckdb")


def brabant_inputs(path: Path):
    import duckdb

    from monitor.statistics.tables import warehouse_small_area_inputs

    with duckdb.connect(str(path), read_only=True) as conn:
        return warehouse_small_area_inputs(conn, None)


def national_inputs(gemeenten=350, buurten=14_000, respondents=500_000, seed=1, edition=2018):
    rng = np.random.default_rng(seed)
    gem = rng.integers(0, gemeenten, buurten)
    gem.sort()
    wijk_in_gem = rng.integers(0, 10, buurten)
    gcode = np.char.add("GM", np.char.zfill(gem.astype(str), 4))
    wcode = np.char.add(np.char.add("WK", np.char.zfill(gem.astype(str), 4)), np.char.zfill(wijk_in_gem.astype(str), 2))
    bcode = np.char.add(np.char.add("BU", np.char.add(np.char.zfill(gem.astype(str), 4),
                                                      np.char.zfill(wijk_in_gem.astype(str), 2))),
                        np.char.zfill((np.arange(buurten) % 100).astype(str), 2))
    dep = rng.normal(0, 1, buurten) + rng.normal(0, 0.4, gemeenten)[gem]
    inhabitants = np.round(np.exp(rng.normal(6.8, 1.1, buurten))).clip(5, 30_000)
    bu = pd.DataFrame({"area_code": bcode, "gemeente_code": gcode, "wijk_code": wcode, "inhabitants": inhabitants,
                       "adults": np.round(0.8 * inhabitants)})
    names = ["cov_pct_65_plus", "cov_pct_0_14", "cov_pct_non_western", "cov_pct_single_households",
             "cov_mean_income_per_inhabitant", "cov_pct_households_low_income", "cov_bijstand_per_1000",
             "cov_log_population_density", "cov_urbanity", "cov_pct_owner_occupied"]
    for i, name in enumerate(names):
        bu[name] = (i - 4) * dep + rng.normal(0, 2, buurten)
    for name in ("gem_pct_65_plus", "gem_mean_income_per_inhabitant", "gem_pct_households_low_income", "gem_urbanity"):
        bu[name] = bu.groupby("gemeente_code")["cov_urbanity"].transform("mean") + rng.normal(0, 1, gemeenten)[gem]
    bu["suppressed"] = bu["inhabitants"] < 50
    bu["suppression_reason"] = np.where(bu["suppressed"], "fewer than 50 inhabitants", None)
    agg = {c: "mean" for c in names + ["gem_pct_65_plus", "gem_mean_income_per_inhabitant",
                                       "gem_pct_households_low_income", "gem_urbanity"]}
    agg |= {"inhabitants": "sum", "adults": "sum", "gemeente_code": "first"}
    wk = bu.groupby("wijk_code").agg(agg).reset_index()
    wk["area_code"] = wk["wijk_code"]
    wk["suppressed"] = wk["inhabitants"] < 50
    wk["suppression_reason"] = np.where(wk["suppressed"], "fewer than 50 inhabitants", None)
    areas = pd.concat([wk.assign(area_level="wijk"), bu.assign(area_level="buurt")], ignore_index=True)
    areas["edition"] = edition

    pick = rng.choice(buurten, respondents, p=bu["adults"] / bu["adults"].sum())
    true = 7.0 - 0.4 * dep + rng.normal(0, 0.2, buurten)
    score = np.clip(true[pick] + rng.normal(0, 1.9, respondents), 0, 10).round(1)
    resp = pd.DataFrame({"edition": edition, "resp_id": np.arange(respondents).astype(str), "gemeente_code": gcode[pick],
                         "buurt_code": bcode[pick], "wijk_code": wcode[pick], "weight": rng.uniform(10, 60, respondents),
                         "veerkracht_score": score, "pct_veerkrachtig": np.where(score >= 6.5, 100.0, 0.0)})
    rows = []
    for indicator in INDICATORS:
        for level, key in (("provincie", None), ("gemeente", "gemeente_code")):
            f = resp.assign(wy=resp["weight"] * resp[indicator])
            g = f.groupby(key if key else np.zeros(len(f), dtype=int)).agg(w=("weight", "sum"), wy=("wy", "sum"),
                                                                          n=("weight", "size"))
            est = g["wy"] / g["w"]
            half = 1.96 * resp[indicator].std() / np.sqrt(g["n"])
            codes = g.index.astype(str) if key else ["NL"]
            rows.append(pd.DataFrame({"edition": edition, "area_level": level, "area_code": codes, "indicator": indicator,
                                      "estimate": est.to_numpy(), "ci_lower": (est - half).to_numpy(),
                                      "ci_upper": (est + half).to_numpy(), "n_respondents": g["n"].to_numpy()}))
    return resp, areas, pd.concat(rows, ignore_index=True)


def timed(label: str, inputs, method: str) -> None:
    tracemalloc.start()
    start = time.perf_counter()
    result = small_area_estimates(*inputs, method=method)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    resp, areas, _ = inputs
    print(f"{label:<10} {method:<13} {len(resp):>9,} respondents {len(areas):>7,} areas "
          f"{len(result.estimates):>7,} rows  {seconds:7.2f} s  peak {peak / 2**20:7.1f} MiB", flush=True)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else BRABANT
    if path.exists():
        brabant = brabant_inputs(path)
        timed("Brabant", brabant, "fay_herriot")
        timed("Brabant", brabant, "nested_error")
    else:
        print(f"Brabant: {path} not found, skipped")
    national = national_inputs()
    timed("national", national, "fay_herriot")


if __name__ == "__main__":
    main()
