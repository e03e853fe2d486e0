"""Simulation: type-I error and coverage of `compare` with few teams (issue 13).

Pilots whose arm is assigned per team (random team effects, ICC about 0.08; team sizes
15-40, unequal; age confounds the arm). For each design (teams per arm: 4+4, 3+3, 2+6,
1+7) and estimator (unadjusted; AIPW adjusting for age) the inference methods
``cluster_t`` (where allowed), ``wild`` (restricted wild cluster / score bootstrap,
Webb) and ``randomization`` are applied to the same pilots. Under ``null`` the
rejection rate at 5% is the type-I error; under ``effect`` (a constant effect of 0.5)
the share of intervals that contain it is the coverage.

Usage: ``python benchmarks/sim_few_teams.py [--reps 500] [--out benchmarks/results/sim_few_teams.json]``
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from wattelt_eval.errors import UsageError
from wattelt_eval.estimation import compare

DESIGNS = {"4+4": (4, 4), "3+3": (3, 3), "2+6": (2, 6), "1+7": (1, 7)}
METHODS = ("cluster_t", "wild", "randomization")
ESTIMATORS = {"unadjusted": None, "aipw": ["age"]}


def pilot(rng: np.random.Generator, n_treated: int, n_control: int, effect: float) -> pd.DataFrame:
    """One pilot: teams with random effects, age older in the treated teams (confounding)."""
    frames = []
    for arm, g in (("demand_driven", n_treated), ("supply_driven", n_control)):
        for t in range(g):
            m = int(rng.integers(15, 41))
            age = rng.normal(65 if arm == "demand_driven" else 58, 12, m)
            u = rng.normal(0, 0.3)  # team effect: ICC ~ 0.08 with residual SD 1
            y = 0.03 * (age - 60) + u + effect * (arm == "demand_driven") + rng.normal(0, 1, m)
            frames.append(pd.DataFrame({"arm": arm, "team": f"{arm[0]}{t}", "age": age, "y": y}))
    return pd.concat(frames, ignore_index=True)


def run(reps: int, effect: float, seed: int, n_boot: int) -> list[dict]:
    rows = []
    for name, (g1, g0) in DESIGNS.items():
        rng = np.random.default_rng(seed + g1 * 10 + g0)
        # rejections, intervals covering the effect, intervals given, pilots analysed
        hits = {(e, m): [0, 0, 0, 0] for e in ESTIMATORS for m in METHODS}
        t0 = time.time()
        for r in range(reps):
            table = pilot(rng, g1, g0, effect)
            for est, covs in ESTIMATORS.items():
                for m in METHODS:
                    if m == "randomization" and est != "unadjusted" and g1 + g0 == 8 and g1 == 4:
                        continue  # 70 AIPW refits per pilot: cluster_t is the rule there
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            res = compare(
                                table,
                                "y",
                                "arm",
                                covariates=covs,
                                method=est,
                                cluster="team",
                                ci=m,
                                n_boot=n_boot,
                                seed=r,
                                kind="continuous",
                            )
                    except UsageError:
                        continue
                    h = hits[(est, m)]
                    h[0] += res.p_value < 0.05
                    lo, hi = res.ci_low, res.ci_high
                    if not (np.isnan(lo) or np.isnan(hi)):  # an infinite bound covers
                        h[1] += bool(lo <= effect <= hi)
                        h[2] += 1
                    h[3] += 1
        for (est, m), (rej, cov, n_ci, n) in hits.items():
            rows.append(
                {
                    "design": name,
                    "estimator": est,
                    "ci": m,
                    "effect": effect,
                    "n": n,
                    "rejection": rej / n if n else None,
                    "coverage": cov / n_ci if n_ci else None,
                    "n_intervals": n_ci,
                    "mc_se": float(np.sqrt(0.05 * 0.95 / n)) if n else None,
                }
            )
        print(name, effect, f"{time.time() - t0:.0f} s", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--boot", type=int, default=999)
    ap.add_argument("--out", default="benchmarks/results/sim_few_teams.json")
    ap.add_argument("--setting", choices=("null", "effect", "both"), default="both")
    args = ap.parse_args()
    t0 = time.time()
    rows = []
    if args.setting in ("null", "both"):
        rows += run(args.reps, 0.0, 7, args.boot)
    if args.setting in ("effect", "both"):
        rows += run(args.reps, 0.5, 8, args.boot)
    out = {"reps": args.reps, "n_boot": args.boot, "seconds": round(time.time() - t0), "rows": rows}
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
