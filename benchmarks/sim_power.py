"""Simulation check of ``we.power``: is the claimed 80% power at the reported MDE real?

For designs of 4+4, 6+6 and 10+10 teams of 15-40 residents (equal teams of 15 or 40, and
unequal teams spread evenly from 15 to 40), ICC 0.02 and 0.1, and continuous, binary and
count outcomes, the script

1. asks ``we.power`` for the MDE at 80% power (both directions for binary and count);
2. simulates ``--reps`` pilots from the model behind the formula with that effect and
   analyses each as ``compare(..., method="unadjusted", ci="cluster_t")`` (vectorised,
   ``we.power(..., method="simulate")``): the simulated power, with its Monte Carlo SE;
3. does the same at the MDE of the previous formula (``1 + (m-1) ICC``, noncentral t on
   ``2(k-1)`` df, sizes ignored), for continuous outcomes;
4. simulates under no effect: the type-I error of ``cluster_t`` in that design.

``--synth-reps`` pilots of the package's generator (600 trajectories, its 4+4 teams, default
effects) analysed as the council report does give the power per headline outcome and the
time per 100 simulations.

Usage (the machine is shared: keep it modest)::

    nice -n 19 python benchmarks/sim_power.py --reps 10000 --synth-reps 100 \
        --json benchmarks/results/sim_power.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy import optimize, stats

import wattelt_eval as we
from wattelt_eval.estimation._power_sim import SYNTH_OUTCOMES

KINDS = {
    "continuous": {"kind": "continuous", "sd": 1.0},
    "binary": {"kind": "binary", "p_control": 0.3},
    "count": {"kind": "count", "mean_control": 1.5, "dispersion": 1.0},
}


def designs():
    """(teams per arm, size label, team-size options, mean size) of every design."""
    for k in (4, 6, 10):
        yield k, "equal 15", {"n_per_arm": 15 * k, "n_clusters_per_arm": k}
        yield k, "equal 40", {"n_per_arm": 40 * k, "n_clusters_per_arm": k}
        sizes = [float(x) for x in np.rint(np.linspace(15, 40, k))]
        yield k, "15-40", {"cluster_sizes": sizes}


def old_mde(k: int, n: float, icc: float, sd: float, alpha=0.05, target=0.8) -> float:
    """The MDE of the previous ``we.power`` (equal-size DE, noncentral t on 2(k-1) df)."""
    de = 1 + (n / k - 1) * icc
    df = 2 * (k - 1)

    def pw(d):
        ncp = d / np.sqrt(2 * de * sd**2 / n)
        c = stats.t.isf(alpha / 2, df)
        p = stats.nct.sf(c, df, ncp) + stats.nct.cdf(-c, df, ncp)
        return (1.0 if not np.isfinite(p) else p) - target  # nct fails far in the tail

    return float(optimize.brentq(pw, 1e-9, 40 * sd))


N_CALLS = [0]


def sim(effect, reps, seed, **kw):
    N_CALLS[0] += 1
    r = we.power(effect=effect, power=None, method="simulate", n_sim=reps, seed=seed, **kw)
    row = r.table.iloc[0]
    return float(row.power), float(row.power_mc_se), float(row.power_analytic)


def model_rows(reps: int, seed: int) -> list[dict]:
    rows = []
    seeds = iter(np.random.SeedSequence(seed).generate_state(1000))
    for k, size_label, layout in designs():
        for icc in (0.02, 0.1):
            for kind_label, kw in KINDS.items():
                seed = int(next(seeds))  # one seed per design: independent Monte Carlo errors
                opts = {**layout, **kw, "icc": icc}
                r = we.power(**opts).table.iloc[0]
                mdes = [("increase", float(r.effect))]
                if "effect_decrease" in r and np.isfinite(r.effect_decrease):
                    mdes.append(("decrease", float(r.effect_decrease)))
                null_eff = 0.0
                t1, t1_se, _ = sim(null_eff, reps, seed, **opts)
                for direction, mde in mdes:
                    try:
                        pw, se, claimed = sim(mde, reps, seed, **opts)
                    except ValueError as e:  # the count model cannot hold this ICC there
                        print("skipped:", kind_label, k, size_label, icc, direction, e)
                        continue
                    row = {
                        "seed": seed,
                        "teams_per_arm": k,
                        "team_sizes": size_label,
                        "n_per_arm": float(r.n_per_arm),
                        "cv": round(float(r.cv), 4),
                        "icc": icc,
                        "kind": kind_label,
                        "direction": direction,
                        "mde": round(mde, 5),
                        "claimed_power": round(claimed, 4),
                        "simulated_power": pw,
                        "mc_se": round(se, 4),
                        "type_I_error": t1,
                        "type_I_mc_se": round(t1_se, 4),
                    }
                    if kind_label == "continuous":
                        old = old_mde(k, float(r.n_per_arm), icc, 1.0)
                        row["old_mde"] = round(old, 5)
                        row["old_simulated_power"] = sim(old, reps, seed, **opts)[0]
                    rows.append(row)
                    print(row, flush=True)
    return rows


def synth_rows(reps: int, seed: int) -> list[dict]:
    rows = []
    for outcome in SYNTH_OUTCOMES:
        t0 = time.perf_counter()
        r = we.power(n_per_arm=300, power=None, method="simulate", generator="synth",
                     outcome=outcome, n_sim=reps, seed=seed)  # fmt: skip
        row = r.table.iloc[0]
        rows.append(
            {
                "outcome": outcome,
                "n_trajectories": int(row.n_trajectories),
                "power": float(row.power),
                "mc_se": round(float(row.power_mc_se), 4),
                "truth_mean": float(row.effect),
                "estimate_mean": float(row.estimate_mean),
                "n_fallback": int(row.n_fallback),
                "n_failed": int(row.n_failed),
                "seconds_per_100": round(100 * (time.perf_counter() - t0) / reps, 1),
            }
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10000)
    ap.add_argument("--synth-reps", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    t0 = time.perf_counter()
    model = model_rows(a.reps, a.seed)
    t_model = time.perf_counter() - t0
    synth = synth_rows(a.synth_reps, a.seed) if a.synth_reps else []
    out = {
        "what": "claimed power at we.power's MDE vs simulated power of the cluster_t analysis",
        "reps": a.reps,
        "synth_reps": a.synth_reps,
        "seed": a.seed,
        "alpha": 0.05,
        "target_power": 0.8,
        "model_seconds_total": round(t_model, 1),
        "model_simulations": N_CALLS[0],
        "model_seconds_per_100": round(100 * t_model / (a.reps * N_CALLS[0]), 4),
        "model": model,
        "synth": synth,
    }
    if a.json:
        a.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
