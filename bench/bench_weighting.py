"""Timing of monitor.statistics.weighting.calibrate at Brabant and national scale.

Run: .venv/bin/python bench/bench_weighting.py"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from monitor.statistics.weighting import calibrate  # noqa: E402
from tests.test_weighting import make_respondents, make_targets  # noqa: E402


def synthetic(n_gemeenten: int, n_respondents: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    adults = rng.lognormal(10, 0.9, n_gemeenten).round() + 2000
    # Respondents roughly proportional to sqrt(population), as a monitor oversamples small gemeenten.
    share = np.sqrt(adults) / np.sqrt(adults).sum()
    n = rng.multinomial(n_respondents, share)
    gem = pd.DataFrame(
        {
            "gemeente_code": [f"GM{i:04d}" for i in range(n_gemeenten)],
            "corop_code": [f"CR{i % 40:02d}" for i in range(n_gemeenten)],
            "adults": adults,
            "n": n,
        }
    )
    return make_respondents(gem, seed=seed), make_targets(gem)


if __name__ == "__main__":
    for n_gem, n_resp in [(64, 10_000), (350, 500_000)]:
        resp, tgt = synthetic(n_gem, n_resp)
        t = time.perf_counter()
        cal = calibrate(resp, tgt)
        dt = time.perf_counter() - t
        m = cal.margins
        worst = ((m["weighted_total"] - m["target_total"]).abs() / m["target_total"]).max()
        print(
            f"{n_resp:>7} respondents, {n_gem} gemeenten, {len(cal.domains)} domains: {dt:.2f} s; "
            f"worst margin {worst:.1e}, max ratio {cal.weights['weight_ratio'].max():.3f}, "
            f"trimmed {cal.weights['trimmed'].sum()}, max rounds {cal.domains['rounds'].max()}, "
            f"all converged {cal.domains['converged'].all()}"
        )
