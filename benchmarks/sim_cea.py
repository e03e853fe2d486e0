"""Simulation: coverage of `cea`'s intervals (issue 13, point 5).

Pilots with the arm assigned per team (4 + 4 and 6 + 6 teams of 15-40 residents, team
effects on cost and effect, correlated within residents, age confounding both), analysed
with `cea(method="aipw", covariates=["age"], cluster="team")` (the default inference,
`cluster_t` through compare's influence functions). Truth: a constant cost difference
of -300 and effect difference of 0.08, so NMB(wtp) = 0.08 wtp + 300. Reported: coverage
of the 95% intervals of d_cost, d_effect and NMB at wtp 0, 5,000 and 20,000, and the mean
CEAC at the same WTP values.

Usage: ``python benchmarks/sim_cea.py [--reps 500] [--out benchmarks/results/sim_cea.json]``
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from wattelt_eval.estimation import cea

D_COST, D_EFFECT = -300.0, 0.08
WTP = (0, 5000, 20000)


def pilot(rng: np.random.Generator, g: int) -> pd.DataFrame:
    frames = []
    for arm, treated in (("demand_driven", 1), ("supply_driven", 0)):
        for t in range(g):
            m = int(rng.integers(15, 41))
            age = rng.normal(65 if treated else 58, 12, m)
            u_c, u_e = rng.normal(0, [400, 0.04])
            z = rng.normal(size=m)
            effect = 0.5 + D_EFFECT * treated + 0.002 * (age - 60) + u_e + 0.15 * z
            effect = effect + 0.1 * rng.normal(size=m)
            cost = 4000 + D_COST * treated + 20 * (age - 60) + u_c + 1200 * z
            cost = cost + 800 * rng.normal(size=m)
            frames.append(
                pd.DataFrame(
                    {"arm": arm, "team": f"{arm[0]}{t}", "age": age, "cost": cost, "effect": effect}
                )
            )
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--out", default="benchmarks/results/sim_cea.json")
    args = ap.parse_args()
    t0 = time.time()
    rows = []
    for g in (4, 6):
        rng = np.random.default_rng(100 + g)
        cover = {k: 0 for k in ["d_cost", "d_effect"] + [f"nmb_{w}" for w in WTP]}
        ceac = {w: 0.0 for w in WTP}
        for r in range(args.reps):
            t = pilot(rng, g)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = cea(
                    t,
                    "cost",
                    "effect",
                    covariates=["age"],
                    method="aipw",
                    cluster="team",
                    wtp=WTP,
                    kind_cost="continuous",
                    kind_effect="continuous",
                    seed=r,
                )
            tab = res.table
            for term, truth in (("d_cost", D_COST), ("d_effect", D_EFFECT)):
                row = tab[tab.term == term].iloc[0]
                cover[term] += row.ci_low <= truth <= row.ci_high
            for w in WTP:
                row = tab[(tab.term == "nmb") & (tab.wtp == w)].iloc[0]
                cover[f"nmb_{w}"] += row.ci_low <= w * D_EFFECT - D_COST <= row.ci_high
                ceac[w] += float(tab[(tab.term == "ceac") & (tab.wtp == w)].estimate.iloc[0])
        rows.append(
            {
                "teams_per_arm": g,
                "reps": args.reps,
                "coverage": {k: v / args.reps for k, v in cover.items()},
                "mean_ceac": {str(w): v / args.reps for w, v in ceac.items()},
                "mc_se_at_95": float(np.sqrt(0.05 * 0.95 / args.reps)),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    out = {"seconds": round(time.time() - t0), "rows": rows}
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
