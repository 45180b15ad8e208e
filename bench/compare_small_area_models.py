"""Compare the small-area models and flag rules on demo warehouses against the demo truth.

    .venv/bin/python bench/compare_small_area_models.py [ROOT ...]

Each ROOT holds `warehouse/warehouse.duckdb` (built by `monitor refresh` from demo data) and
`demo_truth/<edition>/truth.json`; the warehouses are opened read-only. For every candidate
(`CANDIDATES`: model, REML variant, flag rule, gaps) it runs `small_area_estimates` on the
warehouse's inputs and prints, per warehouse, what `monitor/demo/evaluate.py` scores: planted
weak buurten found per kind (predicted by the CBS figures / hidden, the latter with >= 12
respondents), false flags (true value not >= 0.5 below the gemeente), buurt RMSE ratio and
interval coverage, and per level sigma_u^2 and the median weight of an area's own
respondents. The module docstring of monitor/statistics/small_area.py holds its output.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.demo.evaluate import accuracy, flag_quality, good_gemeenten  # noqa: E402
from monitor.statistics.small_area import Options, small_area_estimates  # noqa: E402
from monitor.statistics.tables import warehouse_small_area_inputs  # noqa: E402

DEFAULT_ROOTS = ("/tmp/sae/seed7", "/tmp/sae/seed11", "/tmp/sae/seed2018", "/tmp/sae/seed3")
CANDIDATES = {  # gaps: the model margin (RELEVANT_GAP) and, for the direct contrast, its margin and z
    "model only, gap .75 (issue 5)": Options(flag_rule="model", relevant_gap=0.75),
    "model only, gap .75, plain REML": Options(flag_rule="model", relevant_gap=0.75, reml="plain"),
    "model only, gap .5": Options(flag_rule="model", relevant_gap=0.5),
    "model only, gap .5, plain REML": Options(flag_rule="model", relevant_gap=0.5, reml="plain"),
    "direct only, gap .25, z 1.96": Options(flag_rule="respondents", direct_gap=0.25, direct_z=1.96),
    "direct only, gap 0, z 1.96": Options(flag_rule="respondents", direct_gap=0.0, direct_z=1.96),
    "direct only, gap 0, z 1.645": Options(flag_rule="respondents", direct_gap=0.0, direct_z=1.645),
    "either, gap .75 / 0, z 1.645": Options(relevant_gap=0.75, direct_gap=0.0, direct_z=1.645),
    "either, gap .5 / 0, z 1.96": Options(relevant_gap=0.5, direct_gap=0.0, direct_z=1.96),
    "switch, gap .5 / 0, z 1.645": Options(flag_rule="switch", relevant_gap=0.5, direct_gap=0.0, direct_z=1.645),
    "either, gap .5 / 0, z 1.645, plain REML": Options(relevant_gap=0.5, direct_gap=0.0, direct_z=1.645, reml="plain"),
    "either, gap .5 / 0, z 1.645, nested error": Options(method="nested_error", relevant_gap=0.5, direct_gap=0.0,
                                                         direct_z=1.645),
    "published default": Options(),
}


def load(root: Path):
    truth_dir = root / "demo_truth"
    edition = max(int(p.name) for p in truth_dir.iterdir() if p.name.isdigit())
    with duckdb.connect(str(root / "warehouse" / "warehouse.duckdb"), read_only=True) as conn:
        respondents, areas, direct = warehouse_small_area_inputs(conn, edition)
    truth = json.loads((truth_dir / str(edition) / "truth.json").read_text(encoding="utf-8"))
    return respondents, areas, direct, truth


def fit_summary(diagnostics: dict, indicator: str = "veerkracht_score") -> str:
    parts = []
    for edition in diagnostics["editions"].values():
        for level in ("wijk", "buurt"):
            d = edition[level][indicator]
            q = d["own_weight_quartiles"]
            parts.append(f"{level} s2u {d['sigma2_area']:.4f} own weight median {q[1]:.3f}")
    return "; ".join(parts)


def score(root: Path, name: str, options: Options, inputs) -> dict:
    respondents, areas, direct, truth = inputs
    start = time.perf_counter()
    result = small_area_estimates(respondents, areas, direct, options=options)
    seconds = time.perf_counter() - start
    acc = accuracy(result.estimates, truth, respondents).set_index(["indicator", "level"])
    buurt = acc.loc[("veerkracht_score", "buurt")]
    buurt_pct = acc.loc[("pct_veerkrachtig", "buurt")]
    return {"warehouse": root.name, "candidate": name, **flag_quality(result.estimates, truth, good_gemeenten(direct)),
            "rmse_ratio": buurt["rmse_ratio"], "rmse_ratio_pct": buurt_pct["rmse_ratio"],
            "coverage": buurt["coverage"], "coverage_pct": buurt_pct["coverage"],
            "coverage_wijk": acc.loc[("veerkracht_score", "wijk"), "coverage"], "seconds": seconds,
            "fit": fit_summary(result.diagnostics)}


def main(roots: list[str]) -> None:
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 120)
    rows = []
    for root in map(Path, roots):
        inputs = load(root)
        for name, options in CANDIDATES.items():
            rows.append(score(root, name, options, inputs))
    table = pd.DataFrame(rows)
    table["predicted found"] = table["predicted_found"].astype(str) + "/" + table["predicted"].astype(str)
    table["hidden>=12 found"] = table["hidden_found"].astype(str) + "/" + table["hidden_findable"].astype(str)
    columns = ["warehouse", "candidate", "flagged", "predicted found", "hidden>=12 found", "false_flags", "false_flag_share",
               "rmse_ratio", "rmse_ratio_pct", "coverage", "coverage_pct", "coverage_wijk"]
    print(table[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print()
    total = table.groupby("candidate", sort=False)[["predicted_found", "predicted", "hidden_found", "hidden_findable",
                                                    "false_flags", "flagged"]].sum()
    total["max_false_share"] = table.groupby("candidate", sort=False)["false_flag_share"].max()
    print("over all warehouses (weak buurten in gemeenten published at or above the province):")
    print(total.to_string(float_format=lambda v: f"{v:.3f}"))
    print()
    for row in table[table["candidate"].isin(["published default", "either, gap .5 / 0, z 1.645, plain REML"])].itertuples():
        print(f"{row.warehouse} {row.candidate}: {row.fit}")


if __name__ == "__main__":
    main(sys.argv[1:] or list(DEFAULT_ROOTS))
