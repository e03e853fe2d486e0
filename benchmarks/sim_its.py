"""Simulation: honest inference for `its` at pilot lengths and `did` with few treated units.

Part ``its`` (default) — for 24, 36 and 48 monthly points, interruption half-way, AR(1)
errors with rho in {0, 0.3, 0.6}, no effect: type-I error at 5% of

- ``newey_west``: OLS with Newey-West errors, t with n - 4 df (``we.its(method="newey_west")``);
- ``pw_t``: Prais-Winsten FGLS with a t reference (n - 5 df);
- ``ar1_bootstrap``: the default of ``we.its``: Prais-Winsten with the restricted parametric
  AR(1) bootstrap, rho bias-corrected (``estimation/segmented.py``), for the level change,
  the slope change and the effect at the end.

Coverage of the test-inversion interval: Prais-Winsten is equivariant to adding a multiple
of a design column, so the interval for series ``y + d * post`` covers ``d`` exactly when
the test of ``beta = 0`` on ``y`` does not reject: coverage = 1 - type-I, for every true
effect. ``--ci-reps`` replicates per cell check this with the interval routine itself
(a level change of one innovation SD).

Part ``did`` — type-I error of the DiD with G = 20 clusters of which G1 in {1, 2, 3, 4, 5}
are treated (chosen at random), 10 rows per cluster and period, cluster x period shocks
and cluster-specific noise: the analytic cluster-robust path (``cluster_arm_welch``; CR1 for
G1 = 1, as ``did`` did before issue 13) against the placebo test (``inference="placebo"``),
rejecting when p <= 5% (``placebo``; the randomization test's exact level) and when
p < 5% (``placebo_strict``; with 1 treated of 20 clusters p >= 1/20, so never).

Each cell is written to the JSON as soon as it is done (a partial run keeps what ran).

Usage: ``python benchmarks/sim_its.py [--part its|did] [--reps 500] [--boot 399]``.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from wattelt_eval.estimation import did
from wattelt_eval.estimation import segmented as sg
from wattelt_eval.estimation.time_series import hac_cov, newey_west_lags


def its_cell(n: int, rho: float, reps: int, seed: int, n_boot: int, ci_reps: int) -> dict:
    rng = np.random.default_rng(seed)
    t0 = n // 2
    X = sg.segmented_design(n, t0)
    k_end = n - 1 - t0
    Xe = X.copy()
    Xe[:, 3] = X[:, 3] - k_end * X[:, 2]  # post coefficient = effect at the end
    keys = ("newey_west", "pw_t", "ar1_bootstrap", "ar1_bootstrap_slope", "ar1_bootstrap_end")
    rej = dict.fromkeys(keys, 0)
    cover = 0
    for r in range(reps):
        u = sg.ar1_errors(n, rho, 1.0, 1, rng)[:, 0]
        y = 10 + 0.05 * np.arange(n) + u
        b = np.linalg.lstsq(X, y, rcond=None)[0]
        V = hac_cov(X, y - X @ b, newey_west_lags(n))
        rej["newey_west"] += 2 * stats.t.sf(abs(b[2] / np.sqrt(V[2, 2])), n - 4) < 0.05
        fit = sg.prais_winsten(X, y)
        rej["pw_t"] += 2 * stats.t.sf(abs(fit.beta[0, 2] / fit.se[0, 2]), n - 5) < 0.05
        for key, design, j, f in (
            ("ar1_bootstrap", X, 2, fit),
            ("ar1_bootstrap_slope", X, 3, fit),
            ("ar1_bootstrap_end", Xe, 2, None),
        ):
            test = sg.bootstrap_test(design, y, j, n_boot=n_boot, rng=rng, fit=f, bias_correct=True)
            rej[key] += test.p_value < 0.05
        if r < ci_reps:
            lo, hi = sg.inverted_interval(
                X,
                y + X[:, 2],
                2,
                n_boot=n_boot,
                seed=int(rng.integers(1 << 30)),
                bias_correct=True,
                tol=1e-3,
            )
            cover += lo <= 1.0 <= hi
    out: dict = {k: v / reps for k, v in rej.items()}
    out["coverage_ar1_bootstrap"] = 1.0 - out["ar1_bootstrap"]
    if ci_reps:
        out["coverage_check"] = {"reps": min(ci_reps, reps), "coverage": cover / min(ci_reps, reps)}
    return out


def did_cell(g1: int, reps: int, seed: int, g: int = 20, m: int = 10) -> dict:
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(seed)
    cl = np.repeat(np.arange(g), 2 * m)
    post = np.tile(np.repeat([0.0, 1.0], m), g)
    rej = {"analytic": 0, "placebo": 0, "placebo_strict": 0}
    for _ in range(reps):
        scale = rng.uniform(0.5, 2.0, g)
        treated = np.zeros(g, dtype=int)
        treated[rng.choice(g, g1, replace=False)] = 1
        shock = rng.normal(0, 0.5, (g, 2))
        y = (
            rng.normal(0, 1, g)[cl]
            + 0.3 * post
            + shock[cl, post.astype(int)]
            + rng.normal(0, 1, len(cl)) * scale[cl]
        )
        d = pd.DataFrame(
            {
                "y": y,
                "grp": np.where(treated[cl] == 1, "pilot", "other"),
                "period": np.where(post == 1, "after", "before"),
                "cl": cl.astype(str),
            }
        )
        if g1 == 1:  # the analytic path is refused now; the old one was CR1 with t(G - 1)
            d["g"], d["p"] = treated[cl].astype(float), post
            f = smf.ols("y ~ g * p", d).fit(cov_type="cluster", cov_kwds={"groups": d["cl"]})
            p_an = 2 * stats.t.sf(abs(f.params["g:p"] / f.bse["g:p"]), g - 1)
        else:
            p_an = did(
                d, "y", "grp", "period", cluster="cl", treated="pilot", inference="analytic"
            ).p_value
        p_pl = did(d, "y", "grp", "period", cluster="cl", treated="pilot", inference="placebo")
        rej["analytic"] += p_an < 0.05
        rej["placebo"] += p_pl.p_value <= 0.05 + 1e-12  # exact level: P(p <= alpha) <= alpha
        rej["placebo_strict"] += p_pl.p_value < 0.05
    return {k: v / reps for k, v in rej.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=("its", "did"), default="its")
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--boot", type=int, default=399)
    ap.add_argument("--ci-reps", type=int, default=100)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out_path = Path(
        args.out or f"benchmarks/results/sim_its{'' if args.part == 'its' else '_did'}.json"
    )
    mc_se = float(np.sqrt(0.05 * 0.95 / args.reps))
    out = {"part": args.part, "reps": args.reps, "mc_se_at_5pct": mc_se, "cells": []}
    if args.part == "its":
        out["n_boot"] = args.boot
        grid = [(n, rho) for n in (24, 36, 48) for rho in (0.0, 0.3, 0.6)]
    else:
        out["clusters"] = 20
        grid = [(g1, None) for g1 in (1, 2, 3, 4, 5)]
    t0 = time.time()
    for a, b in grid:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if args.part == "its":
                res = its_cell(a, b, args.reps, 1000 * a + int(10 * b), args.boot, args.ci_reps)
                res.update(n=a, rho=b, reps=args.reps)
            else:
                res = did_cell(a, args.reps, 7000 + a)
                res.update(treated_clusters=a, reps=args.reps)
        out["cells"].append(res)
        out["seconds"] = round(time.time() - t0, 1)
        out_path.write_text(json.dumps(out, indent=1) + "\n")
        print(json.dumps(res), flush=True)
    print(f"wrote {out_path} ({out['seconds']} s)")


if __name__ == "__main__":
    main()
